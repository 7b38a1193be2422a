/// A binary min-heap. The order is given per call (`by`: whether the first element comes out before the second), so
/// an order that reads other state (BPE training's symbol bytes) needs no copy of it in the elements; `Comparable`
/// elements have `push(_:)` / `popMin()` by `<` (BPE encoding packs `rank << 32 | position` into a `UInt64` so the
/// lowest rank, then the leftmost position, comes out first).
struct MinHeap<Element> {
    private var elements: [Element] = []

    init(capacity: Int = 0) {
        elements.reserveCapacity(capacity)
    }

    mutating func push(_ element: Element, by precedes: (Element, Element) -> Bool) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func popMin(by precedes: (Element, Element) -> Bool) -> Element? {
        guard let last = elements.popLast() else { return nil }
        guard !elements.isEmpty else { return last }
        let minimum = elements[0]
        elements[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            guard left < elements.count else { break }
            let right = left + 1
            let first = right < elements.count && precedes(elements[right], elements[left]) ? right : left
            guard precedes(elements[first], elements[parent]) else { break }
            elements.swapAt(parent, first)
            parent = first
        }
        return minimum
    }
}

extension MinHeap where Element: Comparable {
    mutating func push(_ element: Element) { push(element, by: <) }

    mutating func popMin() -> Element? { popMin(by: <) }
}
