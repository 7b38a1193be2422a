import LoomCore

/// The random choices of one synthetic sample, drawn from a ``SplitMix64`` stream with arithmetic of its own (not
/// the standard library's `random(in:)`, whose algorithm may change), so a seed gives the same sample everywhere.
public struct SynthRandom: Sendable {
    private var generator: SplitMix64

    /// The stream of `seed`.
    public init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    /// A number in `0..<count` (the high word of a 64 × 64-bit product: no loop, a bias below 2⁻⁵⁰ for small counts).
    public mutating func below(_ count: Int) -> Int {
        precondition(count > 0, "SynthRandom.below: empty range")
        return Int(generator.next().multipliedFullWidth(by: UInt64(count)).high)
    }

    /// A number in `range`.
    public mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + below(range.count)
    }

    /// A fair coin.
    public mutating func coin() -> Bool { below(2) == 1 }

    /// One element of `items`.
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }

    /// `count` distinct elements of `items`, in the order drawn.
    public mutating func distinct<T>(_ count: Int, of items: [T]) -> [T] {
        var pool = items
        return (0..<count).map { _ in pool.remove(at: below(pool.count)) }
    }
}
