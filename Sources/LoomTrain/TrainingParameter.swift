import Foundation
import LoomCore

/// A model tensor during training: f32 values and, when it is trained, a gradient of the same size.
public final class TrainingParameter: @unchecked Sendable {
    /// The tensor's name: the llava-hf hub layout for model weights, PEFT's saved key for LoRA matrices.
    public let name: String
    /// Dimensions, PyTorch order.
    public let shape: [Int]
    /// Current values.
    public var values: [Float]
    /// The accumulated gradient; nil for a frozen tensor.
    public var grad: [Float]?
    /// Whether AdamW's weight decay applies (not to biases and norm weights).
    public let decays: Bool
    /// The values in a compact stored form while frozen (bf16 under `--dtype bf16`); ``values`` is then empty and
    /// products widen the stored rows as they go.
    public private(set) var compact: Weight?

    /// A tensor of `values`; `trainable` allocates a zero gradient.
    public init(name: String, shape: [Int], values: [Float], trainable: Bool, decays: Bool? = nil) {
        precondition(shape.reduce(1, *) == values.count, "TrainingParameter \(name): shape \(shape) does not match \(values.count) values")
        self.name = name
        self.shape = shape
        self.values = values
        self.grad = trainable ? [Float](repeating: 0, count: values.count) : nil
        self.decays = decays ?? TrainingParameter.decays(name)
    }

    /// Whether it is trained.
    public var isTrainable: Bool { grad != nil }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The values in f32, widened from the compact form when there is one.
    public var floats: [Float] { compact?.floats() ?? values }

    /// Starts (or stops) training the tensor (a compact frozen tensor is widened back to f32 first).
    public func setTrainable(_ trainable: Bool) {
        if trainable, let compact {
            values = compact.floats()
            self.compact = nil
        }
        if trainable, grad == nil { grad = [Float](repeating: 0, count: values.count) }
        if !trainable { grad = nil }
    }

    /// Stores a frozen matrix (a linear's weight or an embedding table: products only read it through
    /// ``TrainableLinear`` and row lookups) as `dtype`, releasing its f32 values; nothing for a trained tensor.
    func compact(as dtype: DType) {
        guard grad == nil, compact == nil, shape.count >= 2, dtype != .f32 else { return }
        compact = Weight(name: name, shape: [shape[0], count / shape[0]], values: values, dtype: dtype)
        values = []
    }

    /// Calls `body` with the gradient buffer (nil when frozen), so kernels can add into it.
    public func withGradient<R>(_ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
        guard grad != nil else { return body(nil) }
        return grad!.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }

    /// Adds `delta` (same size) into the gradient; nothing when frozen.
    public func accumulate(_ delta: [Float]) {
        guard grad != nil else { return }
        precondition(delta.count == count, "TrainingParameter \(name): gradient of \(delta.count) values, needs \(count)")
        grad!.withUnsafeMutableBufferPointer { g in
            delta.withUnsafeBufferPointer { d in for i in 0..<d.count { g[i] += d[i] } }
        }
    }

    /// Zeroes the gradient.
    public func zeroGradient() {
        guard grad != nil else { return }
        grad!.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// The decay rule of the authors' trainer and transformers: no decay on biases and norm weights.
    public static func decays(_ name: String) -> Bool {
        !name.contains("bias") && !name.contains("norm")
    }
}
