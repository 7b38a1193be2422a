import Foundation

/// One group of a report: a scenario, task or dataset row of the seed table, or an unmapped name
/// (`"(unmapped: NAME)"`, with the scenario the records' shape implies).
public struct StatisticsGroup: Sendable, Equatable {
    /// The scenario, task or dataset name, or `"(unmapped: NAME)"`.
    public let name: String
    /// The seed scenario of the group's rows, or the one the unmapped records' shape implies.
    public let scenario: String
    /// The seed's size of this group in thousands of samples; nil for a group the seed does not have.
    public let seedThousands: Double?
    /// The group's counts.
    public internal(set) var counts: StatisticsCounts
}

/// A name and how many records carried it.
public struct NameCount: Sendable, Equatable {
    public let name: String
    public let count: Int

    /// `count` records named `name`.
    public init(name: String, count: Int) {
        self.name = name
        self.count = count
    }
}

/// The statistics of a mix grouped one way, with the seed rows' counts, the unmapped names and the tokenizer's
/// rejections; rendered as an aligned table, JSON, CSV, the seed's table layout or an SVG plot.
public struct StatisticsReport: Sendable {
    /// What the groups are.
    public let grouping: StatisticsGrouping
    /// The groups in the seed's order, then unmapped groups by name and scenario.
    public let groups: [StatisticsGroup]
    /// All records.
    public let total: StatisticsCounts
    /// Samples per seed row, parallel to `SeedTable.rows`.
    public let seedSamples: [Int]
    /// Names (`metadata.dataset`, else zip prefix, else "?") that match no row, by name.
    public let unmapped: [NameCount]
    /// Records matched by their zip prefix because their `metadata.dataset` matched nothing, by name.
    public let prefixFallbacks: [NameCount]
    /// Records the tokenizer rejected.
    public let rejectedCount: Int
    /// The first `DataStatistics.rejectedExampleLimit` rejected records.
    public let rejectedExamples: [RejectedRecord]
    /// The token accounting the counts used (`DataStatistics.init`).
    public let positionsPerImage: Int
    public let framesPerVideo: Int
    /// Whether tokens were counted (a tokenizer was given).
    public let tokenized: Bool

    init(grouping: StatisticsGrouping, statistics: DataStatistics) {
        self.grouping = grouping
        let rows = SeedTable.rows
        var mapped: [Int: StatisticsGroup] = [:]
        var other: [String: StatisticsGroup] = [:]
        var seedSamples = Array(repeating: 0, count: rows.count)
        var unmapped: [String: Int] = [:]
        var total = StatisticsCounts()
        func add(_ counts: StatisticsCounts, order: Int, name: String, scenario: String, seed: Double) {
            mapped[order, default: StatisticsGroup(name: name, scenario: scenario, seedThousands: seed, counts: StatisticsCounts())].counts.merge(counts)
        }
        for (bucket, counts) in statistics.buckets {
            total.merge(counts)
            switch bucket {
            case .row(let index):
                seedSamples[index] = counts.samples
                let row = rows[index]
                switch grouping {
                case .scenario:
                    add(counts, order: Self.first(row.scenario, \.scenario), name: row.scenario, scenario: row.scenario,
                        seed: Self.seed(row.scenario, \.scenario))
                case .task:
                    add(counts, order: Self.first(row.task, \.task), name: row.task, scenario: row.scenario, seed: Self.seed(row.task, \.task))
                case .dataset:
                    add(counts, order: index, name: row.dataset, scenario: row.scenario, seed: row.thousands)
                }
            case .unmapped(let name, let scenario):
                unmapped[name, default: 0] += counts.samples
                if grouping == .scenario, rows.contains(where: { $0.scenario == scenario }) {
                    add(counts, order: Self.first(scenario, \.scenario), name: scenario, scenario: scenario, seed: Self.seed(scenario, \.scenario))
                    continue
                }
                let label = grouping == .scenario ? scenario : "(unmapped: \(name))"
                other["\(label)\u{0}\(scenario)", default: StatisticsGroup(name: label, scenario: scenario, seedThousands: nil, counts: StatisticsCounts())]
                    .counts.merge(counts)
            }
        }
        groups = mapped.keys.sorted().map { mapped[$0]! } + other.keys.sorted().map { other[$0]! }
        self.total = total
        self.seedSamples = seedSamples
        self.unmapped = unmapped.keys.sorted().map { NameCount(name: $0, count: unmapped[$0]!) }
        prefixFallbacks = statistics.fallbacks.keys.sorted().map { NameCount(name: $0, count: statistics.fallbacks[$0]!) }
        rejectedCount = statistics.rejectedCount
        rejectedExamples = statistics.rejectedExamples
        positionsPerImage = statistics.positionsPerImage
        framesPerVideo = statistics.framesPerVideo
        tokenized = statistics.tokenizer != nil
    }

    /// The position of the first seed row whose `field` is `value`.
    private static func first(_ value: String, _ field: KeyPath<SeedRow, String>) -> Int {
        SeedTable.rows.firstIndex { $0[keyPath: field] == value }!
    }

    /// The seed's thousands over the rows whose `field` is `value`, to one decimal as the blog gives them.
    static func seed(_ value: String, _ field: KeyPath<SeedRow, String>) -> Double {
        let sum = SeedTable.rows.reduce(0) { $0 + ($1[keyPath: field] == value ? $1.thousands : 0) }
        return (sum * 10).rounded() / 10
    }

    /// The aligned plain-text table: one line per group and a total line, then the unmapped names, the records
    /// matched by zip prefix and the tokenizer's rejections.
    public func table() -> String {
        let header = ["group", "scenario", "seed K"] + StatisticsColumns.headers
        var lines = groups.map { [$0.name, $0.scenario, $0.seedThousands.map(StatisticsColumns.thousands) ?? ""]
            + StatisticsColumns.cells($0.counts, tokenized: tokenized) }
        lines.append(["total", "", ""] + StatisticsColumns.cells(total, tokenized: tokenized))
        return StatisticsColumns.align([header] + lines, leftColumns: 2) + notes()
    }

    /// The unmapped names, zip-prefix matches and rejections as indented text lines.
    func notes() -> String {
        var text = unmapped.isEmpty ? "unmapped names: none\n" : "unmapped names (records):\n"
        for entry in unmapped { text += "  \(entry.name): \(entry.count)\n" }
        if !prefixFallbacks.isEmpty {
            text += "matched by zip prefix (metadata.dataset matched no row):\n"
            for entry in prefixFallbacks { text += "  \(entry.name): \(entry.count)\n" }
        }
        if tokenized {
            text += "rejected by the tokenizer: \(rejectedCount)\n"
            for example in rejectedExamples { text += "  sample \(example.sampleID): \(example.reason)\n" }
        }
        return text
    }

    /// CSV (RFC 4180 quoting): a header line, then one line per group.
    public func csv() -> String {
        let header = ["group", "scenario", "seed_k"] + StatisticsColumns.keys
        let lines = groups.map { [$0.name, $0.scenario, $0.seedThousands.map(StatisticsColumns.thousands) ?? ""]
            + StatisticsColumns.cells($0.counts, tokenized: tokenized) }
        return ([header] + lines).map { $0.map(Self.csvField).joined(separator: ",") }.joined(separator: "\n") + "\n"
    }

    private static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
