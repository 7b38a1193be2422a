import LoomCore

/// Where a model's weights come from: a checkpoint on disk, or random values for benchmarks.
public protocol TensorSource: AnyObject, Sendable {
    /// Whether a tensor named `name` is available.
    func contains(_ name: String) -> Bool
    /// The tensor `name`, which must have `shape`.
    func weight(_ name: String, shape: [Int]) throws -> Weight
    /// The matrices `names` (each checked against its shape) stacked by rows into one weight in compute form, for
    /// products that share an input (q, k and v; gate and up).
    func stackedWeight(_ names: [String], shapes: [[Int]]) throws -> Weight
}

extension TensorSource {
    /// The 1-D tensor `name` widened to f32, checked to have `count` elements.
    public func vector(_ name: String, count: Int) throws -> [Float] {
        try weight(name, shape: [count]).floats()
    }

    /// The linear layers `prefixes` (`P.weight` of `rows[i] × columns`, `P.bias`) as one stacked weight and their
    /// biases side by side, e.g. q, k and v of an attention layer.
    public func stackedLinear(_ prefixes: [String], rows: [Int], columns: Int) throws -> (weight: Weight, bias: [Float]) {
        let weight = try stackedWeight(prefixes.map { $0 + ".weight" }, shapes: rows.map { [$0, columns] })
        let bias = try zip(prefixes, rows).flatMap { try vector($0 + ".bias", count: $1) }
        return (weight, bias)
    }

    /// Stacks the tensors as handed out (dense or quantised).
    public func stackedWeight(_ names: [String], shapes: [[Int]]) throws -> Weight {
        let parts = try zip(names, shapes).map { try weight($0, shape: $1) }
        return parts.count == 1 ? parts[0] : Weight.stacking(parts)
    }
}

extension Checkpoint: TensorSource {}

/// Another source's tensors, with every matrix prepared for a compute mode as it is handed out
/// (e.g. random benchmark weights in bf16 or int4 form).
public final class PreparedSource: TensorSource, @unchecked Sendable {
    public let base: any TensorSource
    public let compute: ComputeOptions

    public init(_ base: any TensorSource, compute: ComputeOptions) {
        self.base = base
        self.compute = compute
    }

    public func contains(_ name: String) -> Bool { base.contains(name) }

    public func weight(_ name: String, shape: [Int]) throws -> Weight {
        compute.prepare(try base.weight(name, shape: shape))
    }

    public func stackedWeight(_ names: [String], shapes: [[Int]]) throws -> Weight {
        compute.prepare(stacking: try zip(names, shapes).map { try base.weight($0, shape: $1) })
    }
}
