import LoomCore

/// Where a model's weights come from: a checkpoint on disk, or random values for benchmarks.
public protocol TensorSource: AnyObject, Sendable {
    /// Whether a tensor named `name` is available.
    func contains(_ name: String) -> Bool
    /// The tensor `name`, which must have `shape`.
    func weight(_ name: String, shape: [Int]) throws -> Weight
}

extension TensorSource {
    /// The 1-D tensor `name` widened to f32, checked to have `count` elements.
    public func vector(_ name: String, count: Int) throws -> [Float] {
        try weight(name, shape: [count]).floats()
    }
}

extension Checkpoint: TensorSource {}
