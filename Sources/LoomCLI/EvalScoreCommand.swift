import ArgumentParser
import Foundation
import LoomEval

/// `loom eval score`: merged results scored with a reference's rules, per dataset, per category, side by side.
struct EvalScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score results files (shards merged) as the authors' script or lmms-eval does.",
        discussion: """
        The authors' scorer (evaluate_interleave.py) picks ROUGE-L or accuracy per dataset from its first record's \
        question_type and averages datasets into its categories; lmms-eval's (llava_interleave_bench) scores each \
        sample by its own question_type and pools samples per category, overall = mean of the categories. NExT-QA \
        answers are reduced to the option lmms-eval's parser picks. Samples of question_type "exact" (loom data synth) \
        score by exact match after lower-casing, trimming and dropping one final period, per dataset (= task), with \
        either scorer. Scores print ×100; --output json gives the \
        unrounded fractions. Samples a reference cannot score are listed by id.

        Examples:
          loom eval score in_domain.*.jsonl --data multi_image_in_domain.json
          loom eval score results.jsonl --scorer lmms-eval --output json
          loom eval score bf16.jsonl --compare int4.jsonl --output markdown
        """)

    @Argument(help: "Results files (shards are merged in the order given).") var files: [String]
    @Option(help: "authors or lmms-eval.") var scorer = "authors"
    @Option(help: "table, markdown or json.") var output = "table"
    @Option(help: "The benchmark file: report its samples that have no answer.") var data: String?
    @Option(parsing: .upToNextOption, help: "Results of another run to show side by side (e.g. int4 against bf16).") var compare: [String] = []

    func validate() throws {
        guard Scorer(rawValue: scorer) != nil else { throw ValidationError("--scorer must be authors or lmms-eval, got '\(scorer)'") }
        guard ["table", "markdown", "json"].contains(output) else { throw ValidationError("--output must be table, markdown or json, got '\(output)'") }
    }

    func run() throws {
        let chosen = Scorer(rawValue: scorer)!
        let merged = try MergedResults(paths: files)
        let report = Scoring.score(merged.scoredSamples, scorer: chosen)
        if let data {
            let missing = merged.missing(from: try BenchFile(path: data).samples)
            if !missing.isEmpty {
                writeError("\(missing.count) samples of \(data) have no answer: "
                           + missing.prefix(20).map { "\($0.dataset)/\($0.sampleID)" }.joined(separator: ", ") + (missing.count > 20 ? ", …" : ""))
            }
        }
        for choice in merged.unparsedChoices.prefix(20) {
            writeError("sample \(choice.sampleID) (\(choice.dataset)): no option found in the answer (lmms-eval would pick one at random); scored wrong")
        }
        for item in report.unscorable.prefix(20) { writeError("sample \(item.sampleID): not scored: \(item.reason)") }
        if report.unscorable.count > 20 { writeError("… \(report.unscorable.count) samples not scored in all") }
        let other = try compare.isEmpty ? nil : Scoring.score(MergedResults(paths: compare).scoredSamples, scorer: chosen)
        switch output {
        case "json": writeOut(report.json() + "\n")
        default: writeOut(ScoreTable(report: report, other: other, markdown: output == "markdown",
                                     names: (files.joined(separator: " "), compare.joined(separator: " "))).text)
        }
    }
}

/// The seed's table layout: categories (then datasets outside them) × score ×100, optionally beside another run.
struct ScoreTable {
    let report: ScoreReport
    let other: ScoreReport?
    let markdown: Bool
    let names: (String, String)

    var text: String {
        var rows: [[String]] = []
        let otherCategories = Dictionary(other?.categories.map { ($0.name, $0.score) } ?? [], uniquingKeysWith: { a, _ in a })
        let otherDatasets = Dictionary(other?.datasets.map { ($0.name, $0.score) } ?? [], uniquingKeysWith: { a, _ in a })
        func row(_ kind: String, _ name: String, _ score: Double, _ compared: Double?) -> [String] {
            var cells = [kind, name, Self.percent(score)]
            if other != nil {
                cells.append(compared.map(Self.percent) ?? "—")
                cells.append(compared.map { String(format: "%+.2f", ($0 - score) * 100) } ?? "—")
            }
            return cells
        }
        for category in report.categories { rows.append(row("category", category.name, category.score, otherCategories[category.name])) }
        if let overall = report.overall { rows.append(row("overall", "", overall, other?.overall)) }
        for dataset in report.datasets { rows.append(row("dataset", dataset.name, dataset.score, otherDatasets[dataset.name])) }
        var header = ["", report.scorer == .authors ? "category / dataset" : "category / sub_task", "score"]
        if other != nil { header += ["compared", "Δ"] }
        if markdown {
            let lines = [header, header.map { _ in "---" }] + rows
            return lines.map { "| " + $0.joined(separator: " | ") + " |" }.joined(separator: "\n") + "\n"
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        let render = { (cells: [String]) in
            zip(cells, widths).enumerated().map { index, pair in
                index >= 2 ? String(repeating: " ", count: pair.1 - pair.0.count) + pair.0 : pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }
        var lines = ["scorer: \(report.scorer.rawValue) — \(names.0)" + (other == nil ? "" : "  (compared: \(names.1))"), render(header)]
        lines += rows.map(render)
        return lines.joined(separator: "\n") + "\n"
    }

    static func percent(_ value: Double) -> String { value.isNaN ? "nan" : String(format: "%.2f", value * 100) }
}
