import LoomCheckpoint
import LoomCore

/// LLaVA's projector from vision features to the decoder's embedding width:
/// `linear_2(act(linear_1(x)))`, with exact-erf GELU (`gelu`) as in llava-interleave.
public final class MultimodalProjector: @unchecked Sendable {
    let linear1: Weight, linear2: Weight
    let bias1: [Float]?, bias2: [Float]?
    let activation: Activation

    /// Loads `<first>` and `<second>` (`.weight`, and `.bias` when `bias` is true).
    public init(source: any TensorSource, first: String, second: String, inputWidth: Int, outputWidth: Int,
                activation: String, bias: Bool) throws {
        guard let gelu = Activation(geluName: activation) else {
            throw ModelError.invalidConfiguration("projector_hidden_act '\(activation)' is not supported (gelu, gelu_pytorch_tanh)")
        }
        linear1 = try source.weight(first + ".weight", shape: [outputWidth, inputWidth])
        linear2 = try source.weight(second + ".weight", shape: [outputWidth, outputWidth])
        bias1 = bias ? try source.vector(first + ".bias", count: outputWidth) : nil
        bias2 = bias ? try source.vector(second + ".bias", count: outputWidth) : nil
        self.activation = gelu
    }

    /// Projects `[rows, inputWidth]` features to `[rows, outputWidth]`.
    public func callAsFunction(_ features: Tensor) -> Tensor {
        Linear.apply(Linear.apply(features, linear1, bias: bias1), activation: activation, linear2, bias: bias2)
    }
}
