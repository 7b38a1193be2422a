import LoomJSON

extension StatisticsReport {
    /// The report as one JSON object: the settings, `groups` (name, scenario, seed K and the counts), `total`, every
    /// seed row with its measured samples (`seed_rows`), `unmapped`, `prefix_fallbacks` and `rejected`. Token counts
    /// are null without a tokenizer.
    public func json() -> String {
        func counted(_ list: [NameCount]) -> JSONValue {
            .array(list.map { .object(JSONObject(["name": .string($0.name), "count": .int($0.count)])) })
        }
        let groups: [JSONValue] = groups.map { group in
            var object = JSONObject(["name": .string(group.name), "scenario": .string(group.scenario),
                                     "seed_k": group.seedThousands.map(JSONValue.number) ?? .null])
            let counts = StatisticsColumns.json(group.counts, tokenized: tokenized).objectValue!
            for (key, value) in zip(counts.keys, counts.values) { object.append(key, value) }
            return .object(object)
        }
        let seedRows: [JSONValue] = zip(SeedTable.rows, seedSamples).map { row, samples in
            .object(JSONObject(["scenario": .string(row.scenario), "task": .string(row.task), "dataset": .string(row.dataset),
                                "domain": .string(row.domain), "seed_k": .number(row.thousands), "samples": .int(samples)]))
        }
        let rejected = JSONObject([
            "count": .int(rejectedCount),
            "examples": .array(rejectedExamples.map { .object(JSONObject(["sample_id": .string($0.sampleID), "reason": .string($0.reason)])) }),
        ])
        let report = JSONObject([
            "grouping": .string(grouping.rawValue),
            "positions_per_image": .int(positionsPerImage),
            "frames_per_video": .int(framesPerVideo),
            "tokenized": .bool(tokenized),
            "groups": .array(groups),
            "total": StatisticsColumns.json(total, tokenized: tokenized),
            "seed_rows": .array(seedRows),
            "unmapped": counted(unmapped),
            "prefix_fallbacks": counted(prefixFallbacks),
            "rejected": tokenized ? .object(rejected) : .null,
        ])
        return JSONWriter.string(.object(report)) + "\n"
    }

    /// The seed's table as the blog lays it out — scenario | task (K) | dataset | domain | seed K | measured samples —
    /// with all 41 rows (0 where nothing matched), then one row per unmapped name, then the totals.
    public func seedLayout() -> String {
        let rows = SeedTable.rows
        var lines = [["scenario", "task (K)", "dataset", "domain", "seed K", "measured"]]
        for (index, row) in rows.enumerated() {
            let previous = index > 0 ? rows[index - 1] : nil
            let scenario = previous?.scenario == row.scenario ? "" : row.scenario
            let task = previous?.task == row.task ? "" : "\(row.task) (\(StatisticsColumns.thousands(Self.seed(row.task, \.task))))"
            lines.append([scenario, task, row.dataset, row.domain, StatisticsColumns.thousands(row.thousands), String(seedSamples[index])])
        }
        for entry in unmapped {
            lines.append(["", "", "(unmapped: \(entry.name))", "", "", String(entry.count)])
        }
        let tasks = Set(rows.map(\.task)).count
        let seedTotal = StatisticsColumns.thousands((rows.reduce(0) { $0 + $1.thousands } * 10).rounded() / 10)
        lines.append(["total", "\(tasks) tasks", "\(rows.count) datasets", "", seedTotal, String(total.samples)])
        return StatisticsColumns.align(lines, leftColumns: 4)
    }
}
