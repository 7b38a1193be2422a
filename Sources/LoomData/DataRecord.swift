import LoomJSON

/// One conversation turn of a record (`{"from": "human"|"gpt", "value": …}`).
public struct Turn: Sendable, Equatable {
    public var from: String
    public var value: String

    public init(from: String, value: String) {
        self.from = from
        self.value = value
    }

    /// Whether the turn is the user's.
    public var isHuman: Bool { from == "human" }
}

/// A record that is not a training record: what is wrong with it (e.g. "missing field `conversations`").
public struct RecordError: Error, Equatable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// One M4-Instruct / LLaVA training record (`../shared/spec/data.md` §2): its conversation, media and metadata,
/// with the whole JSON object kept (members in order) so that writers preserve fields Loom does not read.
public struct DataRecord: Sendable, Equatable {
    /// The record as read, members in document order.
    public var json: JSONObject
    /// `sample_id` (or `id` when there is none) as text, "?" when neither exists.
    public let sampleID: String
    /// `image`: its paths; a single string (classic LLaVA data) is one path.
    public let images: [String]
    /// Whether `image` was a single string rather than a list.
    public let imageIsString: Bool
    /// `video`: a frame folder or video file, relative to the media root.
    public let video: String?
    /// `conversations`, in order.
    public private(set) var turns: [Turn]
    /// `metadata.dataset`, when present.
    public let dataset: String?
    /// `metadata.question_type`, when present.
    public let questionType: String?

    /// Reads a record from its raw bytes (invalid UTF-8, JSON syntax and schema are errors).
    public init(bytes: [UInt8]) throws {
        if let invalid = bytes.withUnsafeBufferPointer({ JSONParser.firstInvalidUTF8($0) }) {
            throw RecordError("invalid UTF-8 at byte \(invalid) of the record")
        }
        let value: JSONValue
        do {
            value = try bytes.withUnsafeBufferPointer { try JSONParser.parse($0) }
        } catch let error as JSONSyntaxError {
            throw RecordError("invalid JSON at byte \(error.offset) of the record: \(error.reason)")
        }
        guard let object = value.objectValue else { throw RecordError("is \(value.typeName), expected an object") }
        try self.init(json: object)
    }

    /// Reads a record from its JSON object.
    public init(json: JSONObject) throws {
        self.json = json
        sampleID = Self.identifier(json["sample_id"]) ?? Self.identifier(json["id"]) ?? "?"
        switch json["image"] {
        case nil, .null?:
            images = []
            imageIsString = false
        case .string(let path)?:
            images = [path]
            imageIsString = true
        case .array(let items)?:
            images = try items.enumerated().map { position, item in
                guard let path = item.stringValue else { throw RecordError("`image[\(position)]` is \(item.typeName), expected a string") }
                return path
            }
            imageIsString = false
        case let other?:
            throw RecordError("`image` is \(other.typeName), expected a string or a list of strings")
        }
        switch json["video"] {
        case nil, .null?: video = nil
        case .string(let path)?: video = path
        case let other?: throw RecordError("`video` is \(other.typeName), expected a string")
        }
        guard let conversations = json["conversations"] else { throw RecordError("missing field `conversations`") }
        guard let list = conversations.arrayValue else {
            throw RecordError("`conversations` is \(conversations.typeName), expected a list")
        }
        turns = try list.enumerated().map { position, item in
            guard let turn = item.objectValue else {
                throw RecordError("`conversations[\(position)]` is \(item.typeName), expected an object")
            }
            guard let from = turn["from"] else { throw RecordError("`conversations[\(position)]` has no `from`") }
            guard let role = from.stringValue else {
                throw RecordError("`conversations[\(position)].from` is \(from.typeName), expected a string")
            }
            guard let value = turn["value"] else { throw RecordError("`conversations[\(position)]` has no `value`") }
            guard let text = value.stringValue else {
                throw RecordError("`conversations[\(position)].value` is \(value.typeName), expected a string")
            }
            return Turn(from: role, value: text)
        }
        let metadata = json["metadata"]?.objectValue
        dataset = metadata?["dataset"]?.stringValue
        questionType = metadata?["question_type"]?.stringValue
    }

    /// Whether the record carries media (`image` or `video`): the authors' `has_image`.
    public var hasMedia: Bool { json["image"] != nil || json["video"] != nil }

    /// The number of visual inputs the text must mark: one per image, one for a video.
    public var mediaCount: Int { images.count + (video == nil ? 0 : 1) }

    /// The record with its turns' text replaced (same count and roles), written back into `json`.
    public func replacingTurnValues(_ values: [String]) -> DataRecord {
        precondition(values.count == turns.count, "replacingTurnValues: \(values.count) values for \(turns.count) turns")
        var copy = self
        copy.turns = zip(turns, values).map { Turn(from: $0.from, value: $1) }
        guard case .array(var items)? = json["conversations"] else { return copy }
        for (position, value) in values.enumerated() {
            guard var turn = items[position].objectValue else { continue }
            turn.append("value", .string(value))
            items[position] = .object(turn)
        }
        copy.json.append("conversations", .array(items))
        return copy
    }

    private static func identifier(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text)?: return text
        case .number?: return JSONWriter.string(value!)
        default: return nil
        }
    }
}
