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
