import Foundation

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
    public var count: Int { values.count }

    /// Starts (or stops) training the tensor.
    public func setTrainable(_ trainable: Bool) {
        if trainable, grad == nil { grad = [Float](repeating: 0, count: values.count) }
        if !trainable { grad = nil }
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
