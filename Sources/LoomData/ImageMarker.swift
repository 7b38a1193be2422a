/// The `<image>` placeholder of LLaVA training text: counting and splitting, the one place that finds markers.
public enum ImageMarker {
    public static let text = "<image>"

    /// How many markers `value` holds.
    public static func count(in value: String) -> Int {
        pieces(of: value).count - 1
    }

    /// The text around the markers: `count(in:) + 1` pieces (`"a<image>b"` → `["a", "b"]`).
    public static func pieces(of value: String) -> [String] {
        value.components(separatedBy: text)
    }

    /// Whether every marker of `value` stands at its start, back to back (`"<image><image>\nText"`): the front format.
    public static func allAtStart(of value: String) -> Bool {
        let markers = count(in: value)
        return value.hasPrefix(String(repeating: text, count: markers))
    }
}
