extension StatisticsReport {
    /// Bar colours by scenario (the seed's four; grey for any other, e.g. text-only).
    static let scenarioColours = ["multi-image": "#4e79a7", "multi-frame": "#f28e2b", "multi-view": "#59a14f",
                                  "single image": "#e15759"]

    /// The mix as a standalone SVG: one horizontal bar (`<rect>`) per group, its length the group's samples, coloured
    /// by scenario, labelled with the group's name and count; a legend (circles) of the scenarios shown.
    public func svg() -> String {
        let labelWidth = 320, barWidth = 460, step = 22, top = 64
        let width = labelWidth + barWidth + 90
        let height = top + groups.count * step + 12
        let largest = max(groups.map(\.counts.samples).max() ?? 0, 1)
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" \
        font-family="sans-serif" font-size="12">

        """
        out += "<text x=\"12\" y=\"24\" font-size=\"16\">\(Self.escaped("Samples per \(grouping.rawValue) (\(total.samples) records)"))</text>\n"
        var scenarios: [String] = []
        for group in groups where !scenarios.contains(group.scenario) { scenarios.append(group.scenario) }
        var legendX = 12
        for scenario in scenarios {
            out += "<circle cx=\"\(legendX + 5)\" cy=\"42\" r=\"5\" fill=\"\(Self.colour(scenario))\"/>"
            out += "<text x=\"\(legendX + 14)\" y=\"46\">\(Self.escaped(scenario))</text>\n"
            legendX += 24 + 7 * scenario.count
        }
        for (position, group) in groups.enumerated() {
            let y = top + position * step
            let length = group.counts.samples == 0 ? 0 : max(1, group.counts.samples * barWidth / largest)
            out += "<text x=\"\(labelWidth - 8)\" y=\"\(y + 13)\" text-anchor=\"end\">\(Self.escaped(group.name))</text>"
            out += "<rect x=\"\(labelWidth)\" y=\"\(y)\" width=\"\(length)\" height=\"16\" fill=\"\(Self.colour(group.scenario))\"/>"
            out += "<text x=\"\(labelWidth + length + 6)\" y=\"\(y + 13)\">\(group.counts.samples)</text>\n"
        }
        return out + "</svg>\n"
    }

    static func colour(_ scenario: String) -> String { scenarioColours[scenario] ?? "#9c9c9c" }

    /// `text` with XML's five special characters escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(character)
            }
        }
        return out
    }
}
