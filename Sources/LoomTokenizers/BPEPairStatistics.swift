/// The working state of BPE training: every distinct word as a sequence of symbol ids with its count, how often
/// each adjacent pair of symbols occurs (weighted by word counts), and a queue that yields the pair to merge next.
///
/// The queue is lazy: a pair's entry keeps the count it had when pushed. A pair whose count grows gets a new entry;
/// an entry whose count has since fallen is pushed again with the current count when it comes out. So the first
/// entry that comes out with its current count is the most frequent pair.
struct BPEPairStatistics {
    /// The raw bytes of each symbol id.
    private(set) var symbols: [[UInt8]]
    private var words: [[Int32]]
    private let wordCounts: [Int]
    private var pairCounts: [UInt64: Int] = [:]
    /// Words that may hold each pair (a superset: words are not removed when a merge takes the pair away).
    private var pairWords: [UInt64: Set<Int32>] = [:]
    private var queue = MinHeap<(count: Int, pair: UInt64)>()

    /// Starts from `symbols` (the base alphabet) and `words` spelled in them, with their counts.
    init(symbols: [[UInt8]], words: [[Int32]], counts: [Int]) {
        self.symbols = symbols
        self.words = words
        wordCounts = counts
        for (index, word) in words.enumerated() {
            for position in word.indices.dropLast() {
                let pair = Self.key(word[position], word[position + 1])
                pairCounts[pair, default: 0] += counts[index]
                pairWords[pair, default: []].insert(Int32(index))
            }
        }
        for (pair, count) in pairCounts { push(count, pair) }
    }

    @inline(__always)
    static func key(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Removes and returns the most frequent pair and its count; ties go to the pair whose left symbol's bytes are
    /// lexicographically smallest, then the right symbol's. Nil when no pair occurs.
    mutating func popMostFrequent() -> (left: Int32, right: Int32, count: Int)? {
        while let entry = pop() {
            let current = pairCounts[entry.pair] ?? 0
            if current == entry.count {
                return (Int32(truncatingIfNeeded: entry.pair >> 32), Int32(truncatingIfNeeded: entry.pair), current)
            }
            if current > 0 { push(current, entry.pair) }
        }
        return nil
    }

    /// Replaces every occurrence of `left` `right` (leftmost first, not overlapping) by `merged`, updating the
    /// counts of the pairs around them. `merged` may be a new id (one past the last symbol) or an existing one.
    mutating func merge(_ left: Int32, _ right: Int32, into merged: Int32) {
        if Int(merged) == symbols.count { symbols.append(symbols[Int(left)] + symbols[Int(right)]) }
        var changes: [UInt64: Int] = [:]
        for index in pairWords.removeValue(forKey: Self.key(left, right)) ?? [] {
            let word = words[Int(index)]
            var result: [Int32] = []
            result.reserveCapacity(word.count)
            var position = 0
            while position < word.count {
                if position + 1 < word.count, word[position] == left, word[position + 1] == right {
                    result.append(merged)
                    position += 2
                } else {
                    result.append(word[position])
                    position += 1
                }
            }
            guard result.count < word.count else { continue }
            let count = wordCounts[Int(index)]
            for position in word.indices.dropLast() {
                changes[Self.key(word[position], word[position + 1]), default: 0] -= count
            }
            for position in result.indices.dropLast() {
                let pair = Self.key(result[position], result[position + 1])
                changes[pair, default: 0] += count
                pairWords[pair, default: []].insert(index)
            }
            words[Int(index)] = result
        }
        for (pair, change) in changes where change != 0 {
            let count = pairCounts[pair, default: 0] + change
            pairCounts[pair] = count > 0 ? count : nil
            if change > 0 { push(count, pair) }
        }
    }

    private mutating func push(_ count: Int, _ pair: UInt64) {
        let symbols = symbols
        queue.push((count, pair)) { Self.precedes($0, $1, symbols: symbols) }
    }

    private mutating func pop() -> (count: Int, pair: UInt64)? {
        let symbols = symbols
        return queue.popMin { Self.precedes($0, $1, symbols: symbols) }
    }

    /// Queue order: higher count first, then the left symbol's bytes, then the right symbol's, in lexicographic order.
    private static func precedes(_ first: (count: Int, pair: UInt64), _ second: (count: Int, pair: UInt64), symbols: [[UInt8]]) -> Bool {
        if first.count != second.count { return first.count > second.count }
        let firstLeft = symbols[Int(first.pair >> 32)], secondLeft = symbols[Int(second.pair >> 32)]
        if firstLeft != secondLeft { return firstLeft.lexicographicallyPrecedes(secondLeft) }
        return symbols[Int(first.pair & 0xFFFF_FFFF)].lexicographicallyPrecedes(symbols[Int(second.pair & 0xFFFF_FFFF)])
    }
}
