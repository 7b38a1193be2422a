/// What can be wrong with a record, for the summary's counts.
public enum ProblemKind: String, Sendable, CaseIterable, Comparable {
    case syntax = "invalid JSON or UTF-8"
    case schema = "missing or mistyped field"
    case roles = "role order"
    case markers = "<image> markers vs media"
    case media = "media path or file"

    public static func < (lhs: ProblemKind, rhs: ProblemKind) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// One problem of one record: `record index, sample id, what`.
public struct RecordProblem: Sendable, Equatable, CustomStringConvertible {
    /// The record's 0-based position in its file.
    public let index: Int
    public let sampleID: String
    public let kind: ProblemKind
    public let message: String

    public init(index: Int, sampleID: String, kind: ProblemKind, message: String) {
        self.index = index
        self.sampleID = sampleID
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(index), \(sampleID), \(message)" }
}

extension DataFileError {
    /// The broken structure as a problem of the record it cuts.
    public var problem: RecordProblem {
        RecordProblem(index: recordIndex, sampleID: "?", kind: .syntax, message: "\(reason) (byte \(offset))")
    }
}

/// The checks `loom data validate` applies to each record (`../shared/spec/data.md` §2): the schema, turns that
/// alternate human/gpt starting with human, as many `<image>` markers in the human turns as the record has
/// images (one for a video), none in gpt turns, and — with a `MediaCheck` — media that exist (and decode).
public struct RecordValidator: Sendable {
    public var media: MediaCheck?

    public init(media: MediaCheck? = nil) {
        self.media = media
    }

    /// Every problem of the raw record at `raw.index` (empty when it is valid).
    public func problems(in raw: RawRecord) -> [RecordProblem] {
        let record: DataRecord
        do {
            record = try DataRecord(bytes: raw.bytes)
        } catch let error as RecordError {
            let kind: ProblemKind = error.reason.hasPrefix("invalid") ? .syntax : .schema
            return [RecordProblem(index: raw.index, sampleID: DataRecord.sampleIDGuess(raw.bytes), kind: kind, message: error.reason)]
        } catch {
            return [RecordProblem(index: raw.index, sampleID: "?", kind: .syntax, message: "\(error)")]
        }
        return problems(in: record, index: raw.index)
    }

    /// Every problem of a parsed record.
    public func problems(in record: DataRecord, index: Int) -> [RecordProblem] {
        var found: [(ProblemKind, String)] = []
        if record.turns.isEmpty { found.append((.roles, "`conversations` is empty")) }
        for (position, turn) in record.turns.enumerated() {
            let expected = position % 2 == 0 ? "human" : "gpt"
            if turn.from != expected {
                found.append((.roles, "turn \(position) is from \"\(turn.from)\", expected \"\(expected)\" (turns alternate, starting with human)"))
                break
            }
        }
        if !record.images.isEmpty && record.video != nil {
            found.append((.schema, "has both `image` and `video` (training reads only the images)"))
        }
        var markers = 0
        for (position, turn) in record.turns.enumerated() {
            let count = ImageMarker.count(in: turn.value)
            if turn.isHuman { markers += count } else if count > 0 {
                found.append((.markers, "turn \(position) (\(turn.from)) holds \(count) <image> marker\(count == 1 ? "" : "s"); only human turns may"))
            }
        }
        let expected = record.mediaCount
        if markers != expected {
            let what = record.video != nil ? "a video (one marker)" : "\(record.images.count) image\(record.images.count == 1 ? "" : "s")"
            found.append((.markers, "\(markers) <image> marker\(markers == 1 ? "" : "s") in the human turns for \(what)"))
        }
        if let media { found += media.problems(in: record).map { (.media, $0) } }
        return found.map { RecordProblem(index: index, sampleID: record.sampleID, kind: $0.0, message: $0.1) }
    }
}

extension DataRecord {
    /// The `sample_id` of a record that did not parse, when its text shows one (`"sample_id": 12`), else "?".
    public static func sampleIDGuess(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
        guard let key = text.range(of: "\"sample_id\"") else { return "?" }
        var rest = text[key.upperBound...].drop { $0 == " " || $0 == ":" }
        if rest.first == "\"" { rest = rest.dropFirst(); return String(rest.prefix { $0 != "\"" }) }
        let number = rest.prefix { $0.isNumber || $0 == "-" }
        return number.isEmpty ? "?" : String(number)
    }
}
