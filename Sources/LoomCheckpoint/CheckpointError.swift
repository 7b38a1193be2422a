import Foundation

/// Why a checkpoint could not be read. Every message is one line naming the file or tensor at fault.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case missingFile(String)
    case unreadableFile(String, reason: String)
    case invalidHeader(file: String, reason: String)
    case truncated(file: String, tensor: String, needed: Int, available: Int)
    case unsupportedDType(file: String, tensor: String, dtype: String)
    case inconsistentTensor(file: String, tensor: String, reason: String)
    case missingTensor(String)
    case shapeMismatch(tensor: String, expected: [Int], actual: [Int])
    case dtypeMismatch(tensor: String, expected: String, actual: String)
    case invalidIndex(file: String, reason: String)
    case invalidConfig(file: String, reason: String)

    public var description: String {
        switch self {
        case .missingFile(let path):
            return "missing file: \(path)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .invalidHeader(let file, let reason):
            return "\(file): invalid safetensors header: \(reason)"
        case .truncated(let file, let tensor, let needed, let available):
            return "\(file): truncated: tensor '\(tensor)' needs bytes up to \(needed) but the data section has \(available)"
        case .unsupportedDType(let file, let tensor, let dtype):
            return "\(file): tensor '\(tensor)' has unsupported dtype \(dtype) (supported: F32, F16, BF16)"
        case .inconsistentTensor(let file, let tensor, let reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case .missingTensor(let name):
            return "checkpoint has no tensor '\(name)'"
        case .shapeMismatch(let tensor, let expected, let actual):
            return "tensor '\(tensor)' has shape \(actual) but the config implies \(expected)"
        case .dtypeMismatch(let tensor, let expected, let actual):
            return "tensor '\(tensor)' has dtype \(actual), expected \(expected)"
        case .invalidIndex(let file, let reason):
            return "\(file): invalid shard index: \(reason)"
        case .invalidConfig(let file, let reason):
            return "\(file): \(reason)"
        }
    }
}
