import Foundation
import LoomJSON

/// The count columns every statistics output shares, and their number formats: counts as integers, means with two
/// decimals, the seed's thousands as the blog writes them; token columns are "-" (null in JSON) without a tokenizer.
enum StatisticsColumns {
    /// Column titles of the plain-text tables.
    static let headers = ["samples", "images min", "images mean", "images max", "videos", "turns", "turns mean",
                          "tokenized", "text tokens", "text mean", "total tokens", "supervised"]
    /// Column names of the CSV header and the JSON members.
    static let keys = ["samples", "images_min", "images_mean", "images_max", "videos", "turns", "turns_mean",
                       "tokenized_samples", "text_tokens", "text_tokens_mean", "total_tokens", "supervised_tokens"]

    /// The values of `counts`, in the order of `headers`.
    static func values(_ counts: StatisticsCounts, tokenized: Bool) -> [Double?] {
        let shape: [Double?] = [Double(counts.samples), Double(counts.imagesMin), counts.imagesMean, Double(counts.imagesMax),
                                Double(counts.videos), Double(counts.turns), counts.turnsMean]
        let tokens: [Double] = [Double(counts.tokenizedSamples), Double(counts.textTokens), counts.textTokensMean, Double(counts.totalTokens), Double(counts.supervisedTokens)]
        return shape + tokens.map { tokenized ? $0 : nil }
    }

    /// Whether column `position` holds a mean (two decimals) rather than a count.
    static func isMean(_ position: Int) -> Bool { keys[position].hasSuffix("_mean") }

    /// The cells of `counts` as text.
    static func cells(_ counts: StatisticsCounts, tokenized: Bool) -> [String] {
        values(counts, tokenized: tokenized).enumerated().map { position, value in
            guard let value else { return "-" }
            return isMean(position) ? String(format: "%.2f", value) : String(Int(value))
        }
    }

    /// `counts` as a JSON object with the `keys` members (means rounded to two decimals).
    static func json(_ counts: StatisticsCounts, tokenized: Bool) -> JSONValue {
        var object = JSONObject()
        for (position, value) in values(counts, tokenized: tokenized).enumerated() {
            guard let value else { object.append(keys[position], .null); continue }
            object.append(keys[position], .number(isMean(position) ? (value * 100).rounded() / 100 : value))
        }
        return .object(object)
    }

    /// Thousands of samples as the blog writes them: `50`, `6.7`.
    static func thousands(_ value: Double) -> String {
        value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value)
    }

    /// `rows` as aligned text: the first `leftColumns` columns left-aligned, the others right-aligned, two spaces
    /// apart, a rule under the first row.
    static func align(_ rows: [[String]], leftColumns: Int) -> String {
        let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        func line(_ row: [String]) -> String {
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column < leftColumns ? cell + pad : pad + cell
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
        return ([line(rows[0]), rule] + rows.dropFirst().map(line)).joined(separator: "\n") + "\n"
    }
}
