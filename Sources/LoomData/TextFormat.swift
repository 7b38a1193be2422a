import Foundation
import LoomJSON

/// The two ways M4-Instruct text places images (`../shared/spec/data.md` §6): `front` puts every marker of a turn
/// before its text and refers to image k with a placeholder (`[Image k]`); `interleaved` puts each marker where the
/// image belongs. Each conversion undoes the other's text exactly, so front → interleaved → front (and the reverse)
/// returns the original wherever the text allows it.
public enum TextFormat: String, Sendable, CaseIterable {
    case front
    case interleaved

    /// The placeholder that refers to image `k` (1-based, numbered over the record) in front-format text.
    public static func placeholder(_ k: Int) -> String { "[Image \(k)]" }

    /// The caption line interleaving gives image `k` of a turn that had no placeholders.
    public static func caption(_ k: Int) -> String { "Image \(k): " + ImageMarker.text }

    /// `record` with every human turn in this format (gpt turns are never changed); `metadata.format` records it.
    public func apply(to record: DataRecord) -> DataRecord {
        var next = 1
        let values = record.turns.map { turn -> String in
            guard turn.isHuman else { return turn.value }
            let markers = ImageMarker.count(in: turn.value)
            defer { next += markers }
            switch self {
            case .front: return Self.toFront(turn.value, firstImage: next)
            case .interleaved: return Self.toInterleaved(turn.value, firstImage: next)
            }
        }
        var converted = record.replacingTurnValues(values)
        var metadata = converted.json["metadata"]?.objectValue ?? JSONObject()
        metadata.append("format", .string(rawValue))
        converted.json.append("metadata", .object(metadata))
        return converted
    }

    /// A turn in front format: markers moved before the text, each leaving its placeholder. A turn interleaving
    /// gave caption lines (`Image k: <image>` lines at its start) gets its markers back in front instead.
    static func toFront(_ value: String, firstImage: Int) -> String {
        let markers = ImageMarker.count(in: value)
        guard markers > 0, !ImageMarker.allAtStart(of: value) else { return value }
        let captions = (0..<markers).map { caption(firstImage + $0) + "\n" }.joined()
        if value.hasPrefix(captions) {
            return String(repeating: ImageMarker.text, count: markers) + "\n" + value.dropFirst(captions.count)
        }
        let pieces = ImageMarker.pieces(of: value)
        var text = pieces[0]
        for k in 1..<pieces.count { text += placeholder(firstImage + k - 1) + pieces[k] }
        return String(repeating: ImageMarker.text, count: markers) + "\n" + text
    }

    /// A turn in interleaved format: a front turn whose text holds each image's placeholder once gets its markers
    /// back at the placeholders; any other front turn gets one caption line per image (`Image k: <image>`).
    static func toInterleaved(_ value: String, firstImage: Int) -> String {
        let markers = ImageMarker.count(in: value)
        guard markers > 0, ImageMarker.allAtStart(of: value) else { return value }
        var rest = String(value.dropFirst(ImageMarker.text.count * markers))
        if rest.hasPrefix("\n") { rest.removeFirst() }
        let placeholders = (0..<markers).map { placeholder(firstImage + $0) }
        if placeholders.allSatisfy({ rest.components(separatedBy: $0).count == 2 }) {
            for placeholder in placeholders { rest = rest.replacingOccurrences(of: placeholder, with: ImageMarker.text) }
            return rest
        }
        let front = String(repeating: ImageMarker.text, count: markers) + "\n"
        guard value.hasPrefix(front) else { return value }
        return (0..<markers).map { caption(firstImage + $0) + "\n" }.joined() + rest
    }
}
