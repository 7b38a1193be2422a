/// How a model computes: the precision of its matrix products and the form its weights are kept in.
/// Applied once at load time to every matrix a model asks for (``prepare(_:)``).
public struct ComputeOptions: Sendable, Equatable {
    /// The stored form of weight matrices.
    public enum WeightFormat: String, Sendable, CaseIterable {
        /// Prepacked bf16 blocks (oneDNN layout).
        case bf16
        /// int8 values in groups of 32, one f16 scale per group.
        case int8
        /// int4 values in groups of 32, one f16 scale per group.
        case int4
    }

    /// Precision of matrix products: `.f32` (the parity reference) or `.bf16` (bf16 inputs, f32 accumulation);
    /// nil follows the checkpoint (bf16 for bf16 weights, f32 otherwise).
    public var dtype: DType?
    /// Weight form; nil keeps the checkpoint's dense weights in f32 mode and prepacks them in bf16 mode.
    public var weights: WeightFormat?

    public init(dtype: DType? = nil, weights: WeightFormat? = nil) {
        precondition(dtype != .f16, "compute dtype is f32 or bf16")
        self.dtype = dtype
        self.weights = weights
    }

    /// The f32 reference path: dense weights widened where they are multiplied.
    public static let f32 = ComputeOptions(dtype: .f32)
    /// bf16 products against prepacked bf16 weights.
    public static let bf16 = ComputeOptions(dtype: .bf16)

    /// The product precision for a weight stored as `stored`.
    public func resolvedDType(stored: DType) -> DType { dtype ?? (stored == .bf16 ? .bf16 : .f32) }

    /// Whether `weight` is a matrix that products run against (not a table read by position only).
    static func isProductMatrix(_ weight: Weight) -> Bool {
        weight.shape.count == 2 && !weight.name.contains("position_embedding")
    }

    /// `parts` stacked by rows (products sharing an input) in the form these options compute with; bf16 packing
    /// reads the parts in place when they start on whole 64-row blocks, other forms stack a copy first.
    public func prepare(stacking parts: [Weight]) -> Weight {
        if parts.count == 1 { return prepare(parts[0]) }
        if packsBF16(stored: parts[0].dtype), let matrix = BlockedBF16Matrix(stacking: parts) {
            return Weight(name: Weight.stackedName(parts), shape: [matrix.rows, matrix.columns], packed: .blockedBF16(matrix))
        }
        return prepare(Weight.stacking(parts))
    }

    /// Whether dense weights stored as `stored` are kept as prepacked bf16 blocks.
    func packsBF16(stored: DType) -> Bool {
        (weights == nil || weights == .bf16) && (weights == .bf16 || resolvedDType(stored: stored) == .bf16)
    }

    /// `weight` in the form these options compute with: quantised, prepacked bf16, or unchanged.
    /// Vectors, convolution kernels and position tables are returned unchanged.
    public func prepare(_ weight: Weight) -> Weight {
        guard ComputeOptions.isProductMatrix(weight) else { return weight }
        let computeDType = resolvedDType(stored: weight.dtype)
        if case .quantized(let matrix, let current)? = weight.packed {
            return current == computeDType ? weight
                : Weight(name: weight.name, shape: weight.shape, packed: .quantized(matrix, computeDType: computeDType))
        }
        guard weight.packed == nil else { return weight }
        switch weights {
        case .int8?, .int4?:
            let matrix = QuantizedMatrix(quantizing: weight, bits: weights == .int8 ? .int8 : .int4)
            return Weight(name: weight.name, shape: weight.shape, packed: .quantized(matrix, computeDType: computeDType))
        case .bf16?, nil:
            guard packsBF16(stored: weight.dtype), let matrix = BlockedBF16Matrix(packing: weight) else { return weight }
            return Weight(name: weight.name, shape: weight.shape, packed: .blockedBF16(matrix))
        }
    }
}
