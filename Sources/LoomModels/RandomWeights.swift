import Foundation
import LoomCheckpoint
import LoomCore

/// Random weights of any requested shape, for benchmarking real architectures without a download.
/// Norm scales are 1, biases and matrices small uniform values, so activations stay in a realistic range.
public final class RandomWeights: TensorSource, @unchecked Sendable {
    /// The dtype every weight is stored in.
    public let dtype: DType
    private let absent: Set<String>
    private var seed: UInt64

    /// Random weights stored as `dtype`; names in `absent` are reported missing (e.g. a tied `lm_head`).
    public init(dtype: DType = .f32, absent: Set<String> = [], seed: UInt64 = 0) {
        self.dtype = dtype
        self.absent = absent
        self.seed = seed
    }

    public func contains(_ name: String) -> Bool { !absent.contains(name) }

    public func weight(_ name: String, shape: [Int]) throws -> Weight {
        guard contains(name) else { throw CheckpointError.missingTensor(name) }
        let count = shape.reduce(1, *)
        if name.hasSuffix("norm.weight") || name.hasSuffix("layernorm.weight") || name.contains("layer_norm") && name.hasSuffix(".weight") {
            return Weight(name: name, shape: shape, values: [Float](repeating: 1, count: count), dtype: dtype)
        }
        seed &+= 1
        let scale: Float = shape.count == 1 ? 0.01 : 0.02 * 1.7320508
        let buffer = OwnedBuffer(byteCount: count * dtype.byteSize)
        let base = seed
        Parallel.forEachChunk(count, costPerItem: 4) { range in
            for i in range {
                // SplitMix64 of (seed, index): the same values however the work is split.
                let state = SplitMix64.mix(base &* SplitMix64.increment &+ UInt64(i) &* 0xBF58_476D_1CE4_E5B9)
                let value = (Float(state >> 40) / Float(1 << 24) * 2 - 1) * scale
                switch self.dtype {
                case .f32: buffer.pointer.storeBytes(of: value, toByteOffset: i * 4, as: Float.self)
                case .bf16: buffer.pointer.storeBytes(of: floatToBF16(value), toByteOffset: i * 2, as: UInt16.self)
                case .f16: buffer.pointer.storeBytes(of: Float16(value).bitPattern, toByteOffset: i * 2, as: UInt16.self)
                }
            }
        }
        return Weight(name: name, dtype: dtype, shape: shape,
                      bytes: UnsafeRawBufferPointer(start: buffer.pointer, count: buffer.byteCount), owner: buffer)
    }
}
