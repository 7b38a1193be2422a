import Foundation
import LoomCore

/// A seeded xoshiro256** generator: reproducible across runs and platforms.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    /// A generator whose sequence depends only on `seed`.
    public init(seed: UInt64) {
        var seeder = SplitMix64(seed: seed)
        state = (seeder.next(), seeder.next(), seeder.next(), seeder.next())
    }

    public mutating func next() -> UInt64 {
        let result = ((state.1 &* 5) << 7 | (state.1 &* 5) >> 57) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = state.3 << 45 | state.3 >> 19
        return result
    }
}

/// Picks the next token from logits: arg-max when the temperature is 0, otherwise temperature, top-k and
/// top-p filtering (in transformers' order) followed by a draw.
public struct Sampler: Sendable {
    public let parameters: GenerationParameters
    private var random: SeededRandom

    public init(parameters: GenerationParameters) {
        self.parameters = parameters
        random = SeededRandom(seed: parameters.seed)
    }

    /// The index of the largest value (the first on ties, like `torch.argmax`).
    public static func argmax(_ values: ArraySlice<Float>) -> Int {
        var best = values.startIndex
        for i in values.indices where values[i] > values[best] { best = i }
        return best - values.startIndex
    }

    /// The next token for one row of logits.
    public mutating func next(_ logits: ArraySlice<Float>) -> Int {
        if parameters.temperature == 0 { return Sampler.argmax(logits) }
        let scaled = logits.map { Double($0) / Double(parameters.temperature) }
        var order = Array(scaled.indices).sorted { scaled[$0] > scaled[$1] || (scaled[$0] == scaled[$1] && $0 < $1) }
        if parameters.topK > 0 && parameters.topK < order.count { order.removeSubrange(parameters.topK...) }
        let maxValue = scaled[order[0]]
        var probabilities = order.map { exp(scaled[$0] - maxValue) }
        var total = probabilities.reduce(0, +)
        if parameters.topP < 1 {
            var cumulative = 0.0
            var keep = probabilities.count
            for (i, p) in probabilities.enumerated() {
                cumulative += p / total
                if cumulative >= Double(parameters.topP) { keep = i + 1; break }
            }
            order.removeSubrange(keep...)
            probabilities.removeSubrange(keep...)
            total = probabilities.reduce(0, +)
        }
        var draw = random.unit() * total
        for (i, p) in probabilities.enumerated() {
            draw -= p
            if draw < 0 { return order[i] }
        }
        return order[order.count - 1]
    }
}
