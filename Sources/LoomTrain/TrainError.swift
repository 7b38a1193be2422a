/// Why training cannot start or go on, in words that name the option, file or sample at fault.
public enum TrainError: Error, CustomStringConvertible, Equatable {
    case invalidOption(String)
    case invalidData(String)
    case invalidCheckpoint(String)

    public var description: String {
        switch self {
        case .invalidOption(let reason), .invalidData(let reason), .invalidCheckpoint(let reason): reason
        }
    }
}
