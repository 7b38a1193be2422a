import Foundation
import LoomJSON

/// Why a tokenizer could not be loaded. Every case names the file (and, where it applies, the field) at fault.
public enum TokenizerError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist or cannot be read.
    case unreadableFile(file: String, reason: String)
    /// The file is not valid JSON; `offset` is the byte offset where parsing stopped.
    case invalidJSON(file: String, offset: Int, reason: String)
    /// A required field is absent.
    case missingField(file: String, field: String)
    /// A field is present but has the wrong type or an impossible value.
    case invalidField(file: String, field: String, reason: String)
    /// A valid field names a feature this tokenizer does not implement.
    case unsupported(file: String, field: String, value: String)

    /// A one-line explanation naming the file and the field.
    public var description: String {
        switch self {
        case let .unreadableFile(file, reason):
            return "\(file): cannot read the file (\(reason))"
        case let .invalidJSON(file, offset, reason):
            return "\(file): invalid JSON at byte \(offset): \(reason)"
        case let .missingField(file, field):
            return "\(file): missing field `\(field)`"
        case let .invalidField(file, field, reason):
            return "\(file): field `\(field)` \(reason)"
        case let .unsupported(file, field, value):
            return "\(file): unsupported `\(field)`: \(value)"
        }
    }
}

/// Parses one of the tokenizer's JSON files, naming `file` in the error.
func parseJSON(_ data: Data, file: String) throws -> JSONValue {
    do {
        return try JSONParser.parse(data)
    } catch let error as JSONSyntaxError {
        throw TokenizerError.invalidJSON(file: file, offset: error.offset, reason: error.reason)
    }
}
