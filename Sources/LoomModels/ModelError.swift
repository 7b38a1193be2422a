import LoomCheckpoint

/// Why a model could not be built or run. Messages are one line naming the cause.
public enum ModelError: Error, CustomStringConvertible, Equatable {
    case unknownModelType(String, known: [String])
    case invalidConfiguration(String)
    case invalidInput(String)
    case contextOverflow(tokens: Int, limit: Int)

    public var description: String {
        switch self {
        case .unknownModelType(let type, let known):
            return "unknown model_type '\(type)' (supported: \(known.joined(separator: ", ")))"
        case .invalidConfiguration(let reason):
            return reason
        case .invalidInput(let reason):
            return reason
        case .contextOverflow(let tokens, let limit):
            return "prompt and generation need \(tokens) positions but the model's context is \(limit) (max_position_embeddings)"
        }
    }
}

extension TensorSource {
    /// Checks that the checkpoint holds layer `count − 1` (the tensor `prefix` + index + `.` + `probe`) before `count`
    /// layers are built, so a `config.json` claiming more layers than the weights hold (`num_hidden_layers:
    /// 1000000000`) is an error naming `field`, not an allocation of a billion layers.
    public func requireLayers(_ count: Int, prefix: String, probe: String, field: String) throws {
        guard count > 0, !contains("\(prefix)\(count - 1).\(probe)") else { return }
        var held = 0
        while held < count, contains("\(prefix)\(held).\(probe)") { held += 1 }
        throw ModelError.invalidConfiguration("\(field): \(count) layers needed but the checkpoint holds \(held) (\(prefix)0…)")
    }
}
