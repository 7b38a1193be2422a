/// SplitMix64: a small seeded generator (the same seed gives the same sequence on every machine), and its output
/// function, which also serves as a stateless hash of (seed, index) and as the seeder of larger generators.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    /// The increment each step adds to the state (the golden ratio in 64 bits).
    public static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// SplitMix64's output function of a state.
    @inline(__always)
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func next() -> UInt64 {
        state &+= Self.increment
        return Self.mix(state)
    }

    /// `k` distinct positions of `0..<n`, sorted (Floyd's algorithm: k draws, no array of n).
    public mutating func sample(_ k: Int, of n: Int) -> [Int] {
        var chosen = Set<Int>()
        for j in (n - k)..<n {
            let t = Int.random(in: 0...j, using: &self)
            if !chosen.insert(t).inserted { chosen.insert(j) }
        }
        return chosen.sorted()
    }
}

extension RandomNumberGenerator {
    /// A uniform number in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
