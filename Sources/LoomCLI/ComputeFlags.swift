import ArgumentParser
import LoomCore

/// `--dtype` and `--weights`: how a model computes (shared by `generate` and `bench`).
struct ComputeFlags: ParsableArguments {
    @Option(help: "Precision of matrix products: f32 (the reference) or bf16 (default: the checkpoint's dtype).")
    var dtype: String?
    @Option(help: "Weight form: bf16 (prepacked), int8 or int4 (group-quantised at load, groups of 32).")
    var weights: String?

    func validate() throws { _ = try options() }

    /// The compute options these flags select.
    func options() throws -> ComputeOptions {
        var options = ComputeOptions()
        if let dtype {
            guard let value = DType(rawValue: dtype.uppercased()), value != .f16 else {
                throw ValidationError("--dtype must be f32 or bf16, got '\(dtype)'")
            }
            options.dtype = value
        }
        if let weights {
            guard let value = ComputeOptions.WeightFormat(rawValue: weights.lowercased()) else {
                throw ValidationError("--weights must be bf16, int8 or int4, got '\(weights)'")
            }
            options.weights = value
        }
        return options
    }
}
