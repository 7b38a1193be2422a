/// Which frames of a video to take.
public enum FrameSampling: Equatable, Sendable {
    /// `min(total, count)` frames evenly spread from the first to the last, exactly as lmms-eval's
    /// `read_video_pyav` picks them: `np.linspace(0, total - 1, min(total, count)).astype(int)`.
    case uniform(count: Int)
    /// Every frame whose index is a multiple of `max(1, total / count)` (integer division), as the authors'
    /// LLaVA-NeXT interleave demo picks them. This can give more than `count` frames (100 frames, count 16 →
    /// interval 6 → 17 frames); that is the reference behaviour.
    case interval(count: Int)
    /// Frames at `rate` per second by presentation time, at most `maxCount`. For each target time
    /// `t_k = t_0 + k / rate` (k = 0, 1, …, while `t_k` ≤ the last frame's time; `t_0` the first frame's time) the
    /// frame whose time is nearest to `t_k` is taken (on a tie, the earlier frame); a frame nearest to several
    /// targets is taken once. When that gives more than `maxCount` frames, the uniform rule with `maxCount` thins
    /// the list (`list[i]` for `i` in `uniform(total: list.count, count: maxCount)`).
    case fps(rate: Double, maxCount: Int)

    /// The default: 16 frames spread uniformly (lmms-eval's and the authors' inference setting).
    public static let `default` = FrameSampling.uniform(count: 16)

    /// Whether the rule needs every frame's presentation time (only ``fps(rate:maxCount:)`` does).
    var needsTimestamps: Bool {
        if case .fps = self { return true }
        return false
    }

    /// A reason the rule cannot be applied, or nil when it can.
    var problem: String? {
        switch self {
        case .uniform(let count), .interval(let count):
            return count >= 1 ? nil : "the frame count must be at least 1, got \(count)"
        case .fps(let rate, let maxCount):
            if !(rate > 0 && rate.isFinite) { return "the rate must be a positive number, got \(rate)" }
            return maxCount >= 1 ? nil : "the maximum frame count must be at least 1, got \(maxCount)"
        }
    }

    /// The chosen frame indices, ascending, for a stream of `frameCount` frames whose presentation times (seconds,
    /// ascending) are `timestamps` (read only by ``fps(rate:maxCount:)``).
    func indices(frameCount: Int, timestamps: [Double]) -> [Int] {
        switch self {
        case .uniform(let count): return Self.uniformIndices(total: frameCount, count: count)
        case .interval(let count): return Self.intervalIndices(total: frameCount, count: count)
        case .fps(let rate, let maxCount):
            return Self.fpsIndices(timestamps: timestamps, rate: rate, maxCount: maxCount)
        }
    }

    /// `np.linspace(0, total - 1, min(total, count)).astype(int)`, with numpy's float64 arithmetic: element `i` is
    /// `i * ((total - 1) / (num - 1))` truncated, and the last element is `total - 1` exactly.
    public static func uniformIndices(total: Int, count: Int) -> [Int] {
        let num = min(total, count)
        guard num > 0 else { return [] }
        guard num > 1 else { return [0] }
        let step = Double(total - 1) / Double(num - 1)
        var indices = (0..<num).map { Int((Double($0) * step).rounded(.down)) }
        indices[num - 1] = total - 1
        return indices
    }

    /// `[i for i in range(total) if i % interval == 0]` with `interval = max(1, total // count)`.
    public static func intervalIndices(total: Int, count: Int) -> [Int] {
        guard total > 0, count > 0 else { return [] }
        let interval = max(1, total / count)
        return Array(stride(from: 0, to: total, by: interval))
    }

    /// The ``fps(rate:maxCount:)`` rule over ascending presentation times.
    public static func fpsIndices(timestamps: [Double], rate: Double, maxCount: Int) -> [Int] {
        guard let first = timestamps.first, let last = timestamps.last, rate > 0, maxCount > 0 else { return [] }
        var chosen: [Int] = []
        var lower = 0
        var k = 0
        while true {
            let target = first + Double(k) / rate
            guard target <= last else { break }
            while lower < timestamps.count && timestamps[lower] < target { lower += 1 }
            var nearest = min(lower, timestamps.count - 1)
            if lower > 0 && abs(timestamps[lower - 1] - target) <= abs(timestamps[nearest] - target) {
                nearest = lower - 1
                while nearest > 0 && timestamps[nearest - 1] == timestamps[nearest] { nearest -= 1 }
            }
            if chosen.last != nearest { chosen.append(nearest) }
            k += 1
        }
        return uniformIndices(total: chosen.count, count: maxCount).map { chosen[$0] }
    }
}
