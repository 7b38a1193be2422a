/// A binary min-heap of `UInt64` keys (BPE packs `rank << 32 | position` so the lowest rank, then the leftmost
/// position, comes out first).
struct MinHeap {
    private var keys: [UInt64] = []

    init(capacity: Int) {
        keys.reserveCapacity(capacity)
    }

    mutating func push(_ key: UInt64) {
        keys.append(key)
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[child] < keys[parent] else { break }
            keys.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin() -> UInt64? {
        guard let last = keys.popLast() else { return nil }
        guard !keys.isEmpty else { return last }
        let minimum = keys[0]
        keys[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < keys.count else { break }
            let right = left + 1
            let smaller = right < keys.count && keys[right] < keys[left] ? right : left
            guard keys[smaller] < keys[parent] else { break }
            keys.swapAt(parent, smaller)
            parent = smaller
        }
        return minimum
    }
}
