import LoomCore
import Testing

/// What this machine can run, for tests of paths that only exist on some CPUs.
public enum Capabilities {
    /// Whether bf16 products run through oneDNN's packed layout here (libdnnl present and choosing `BA16a64b2a`,
    /// which needs AVX-512 BF16). Without them bf16 compute falls back to f32 products.
    public static let packedBF16: Bool = BlockedBF16Matrix(
        packing: Weight(name: "probe", shape: [64, 32], values: [Float](repeating: 0.5, count: 64 * 32), dtype: .bf16)) != nil

    /// Why a test of packed bf16 products is skipped.
    public static let packedBF16Reason: Comment = "needs oneDNN bf16 products (AVX-512 BF16); this CPU computes bf16 mode in f32"
}
