/// Trains a byte-level BPE vocabulary for the pipeline `Tokenizer` implements (NFC, the Qwen2 split, GPT-2 byte
/// characters), so that the result loads in both Loom and HF `tokenizers`.
///
/// Documents are added one at a time: the special tokens are cut out of each (they are never learned), the text
/// between them is NFC-normalized and split by the Qwen2 pre-tokenizer, and each piece counts as one word. Training
/// starts from the 256 byte symbols (ids 0–255 in the order of their byte-level characters, as GPT-2's vocabulary)
/// and repeatedly merges the most frequent adjacent pair into a new symbol, ties going to the pair whose left
/// symbol's bytes come first in lexicographic byte order, then its right symbol's. It stops when the vocabulary
/// reaches `vocabSize` or the most frequent pair occurs fewer than `minFrequency` times. The special tokens follow
/// as added tokens at the next ids. The same documents give the same result, whatever their order.
public struct BPETrainer {
    /// The added tokens of every trained tokenizer, in id order after the BPE vocabulary: Qwen2's end of text and
    /// ChatML markers, then LLaVA's image placeholder.
    public static let specialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"]

    /// The BPE vocabulary size to reach: the 256 byte symbols plus one per merge (the special tokens come on top).
    public let vocabSize: Int
    /// The fewest occurrences a pair needs to be merged.
    public let minFrequency: Int
    private var wordCounts: [[UInt8]: Int] = [:]
    private let matcher = AddedTokenMatcher(tokens: specialTokens.enumerated().map {
        AddedToken(id: $0.offset, content: $0.element, isSpecial: true)
    })

    /// A trainer for a vocabulary of `vocabSize` ids (at least 256) merging pairs seen at least `minFrequency` times.
    public init(vocabSize: Int, minFrequency: Int = 2) {
        precondition(vocabSize >= 256, "a byte-level BPE vocabulary holds at least the 256 byte symbols")
        self.vocabSize = vocabSize
        self.minFrequency = max(1, minFrequency)
    }

    /// The number of distinct words counted so far.
    public var distinctWordCount: Int { wordCounts.count }

    /// Counts the words of one document.
    public mutating func add(_ document: String) {
        let utf8 = Array(document.utf8)
        for case let .text(range) in matcher.segments(of: utf8, matchSpecial: true) {
            Qwen2PreTokenizer.forEachPiece(of: NFC.normalize(utf8[range])) { wordCounts[Array($0), default: 0] += 1 }
        }
    }

    /// Learns the merges from the documents added so far; `progress` gets the number of merges done after each.
    public func train(progress: (Int) -> Void = { _ in }) -> TrainedTokenizer {
        let byteOrder = (0..<256).sorted { ByteLevel.scalarForByte[$0].value < ByteLevel.scalarForByte[$1].value }
        var idForByte = [Int32](repeating: 0, count: 256)
        for (id, byte) in byteOrder.enumerated() { idForByte[byte] = Int32(id) }
        let words = wordCounts.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        var statistics = BPEPairStatistics(symbols: byteOrder.map { [UInt8($0)] },
                                           words: words.map { $0.key.map { idForByte[Int($0)] } },
                                           counts: words.map(\.value))
        var idForSymbol = Dictionary(uniqueKeysWithValues: statistics.symbols.enumerated().map { ($1, Int32($0)) })
        var merges: [(left: Int, right: Int)] = []
        while statistics.symbols.count < vocabSize, let best = statistics.popMostFrequent(), best.count >= minFrequency {
            let bytes = statistics.symbols[Int(best.left)] + statistics.symbols[Int(best.right)]
            let merged = idForSymbol[bytes] ?? Int32(statistics.symbols.count)
            idForSymbol[bytes] = merged
            statistics.merge(best.left, best.right, into: merged)
            merges.append((Int(best.left), Int(best.right)))
            progress(merges.count)
        }
        return TrainedTokenizer(symbols: statistics.symbols, merges: merges)
    }
}
