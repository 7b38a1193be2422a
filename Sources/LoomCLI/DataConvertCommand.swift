import ArgumentParser
import Foundation
import LoomCore
import LoomData
import LoomEval

/// `loom data convert`: front / interleaved / mixed text formats, data mixtures, samples and shards, streamed.
struct DataConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Rewrite data files: image placement (front / interleaved / a seeded mix), mixtures, samples, shards.",
        discussion: """
        --format front moves every human turn's <image> markers before its text, leaving "[Image k]" where each \
        stood; --format interleaved puts them back (or, for text that never had them in place, adds one \
        "Image k: <image>" line per image); mix:P makes each record interleaved with probability P, front \
        otherwise (seeded: the same --seed gives the same choice per record). The chosen format is recorded in \
        metadata.format. Converting front → interleaved → front gives back the original text.
        Selection per file uses LLaVA-NeXT's data-mixture grammar: all, first:N, end:N, random:N, random:P%, or \
        a fraction. Output: one JSON array, one record per line, written to OUT.partial and renamed when complete.

        Examples:
          loom data convert m4.json --format mix:0.5 --seed 1 --out m4-mixed.json
          loom data convert --mix a.json=random:10%,b.json=first:1000 --shard 0/8 --out part0.json
          loom data convert m4.json --sample 500 --out small.json
        """)

    @Argument(help: "Data files, taken whole (or use --mix).") var files: [String] = []
    @Option(help: "Files with a selection each: FILE=SPEC,… (SPEC: all, first:N, end:N, random:N, random:P%, or a fraction).")
    var mix: String?
    @Option(help: "Text format: front, interleaved, mix:P (P = probability of interleaved), or keep.") var format = "keep"
    @Option(help: "Keep N records chosen at random from all inputs (after --mix).") var sample: Int?
    @Option(help: "Keep the i-th of n interleaved slices (i/n, 0-based) of the selected records.") var shard: String?
    @Option(help: "Seed of every random choice.") var seed: UInt64 = 0
    @Option(help: "The output file (- for standard output).") var out: String

    func run() throws {
        let inputs = try selections()
        let plan = try FormatPlan(format)
        let slice = try shard.map(ShardSpec.init(parsing:))
        var random = SplitMix64(seed: seed)
        // Positions chosen per file (nil = every record, decided while streaming).
        var chosen: [Set<Int>?] = []
        var totals: [Int] = []
        for (path, selection) in inputs {
            if selection.needsCount || sample != nil {
                let total = try countRecords(path)
                totals.append(total)
                chosen.append(selection == .all ? nil : Set(selection.positions(total: total, random: &random)))
            } else {
                totals.append(-1)
                chosen.append(selection == .all ? nil : Set(selection.positions(total: Int.max, random: &random)))
            }
        }
        var sampled: Set<Int>?
        if let sample {
            let selected = zip(chosen, totals).reduce(0) { $0 + ($1.0?.count ?? $1.1) }
            sampled = Set(random.sample(min(sample, selected), of: selected))
        }
        let writer = try RecordArrayWriter(path: out)
        var selectedIndex = 0, keptIndex = 0
        var seconds = 0.0
        for ((path, _), keep) in zip(inputs, chosen) {
            let pass = try forEachRecord(in: path, label: "convert \((path as NSString).lastPathComponent)") { raw in
                if let keep, !keep.contains(raw.index) { return }
                let position = selectedIndex
                selectedIndex += 1
                if let sampled, !sampled.contains(position) { return }
                let kept = keptIndex
                keptIndex += 1
                if let slice, kept % slice.count != slice.index { return }
                let record: DataRecord
                do {
                    record = try DataRecord(bytes: raw.bytes)
                } catch {
                    throw ValidationError("\(path): record \(raw.index): \(error) (loom data validate lists every problem)")
                }
                try writer.append(plan.apply(to: record, index: kept, seed: seed))
            }
            seconds += pass.seconds
        }
        try writer.finish()
        writeError("\(out): \(writer.count) records written in \(String(format: "%.1f", seconds)) s")
    }

    private func selections() throws -> [(String, RecordSelection)] {
        var inputs = files.map { ($0, RecordSelection.all) }
        if let mix {
            for entry in mix.split(separator: ",") {
                guard let equals = entry.lastIndex(of: "=") else { throw ValidationError("--mix entry '\(entry)' is not FILE=SPEC") }
                inputs.append((String(entry[..<equals]), try RecordSelection(parsing: String(entry[entry.index(after: equals)...]))))
            }
        }
        if inputs.isEmpty { throw ValidationError("give data files, or --mix FILE=SPEC,…") }
        return inputs
    }

    private func countRecords(_ path: String) throws -> Int {
        let stream = try RecordStream(path: path)
        var count = 0
        while try stream.next() != nil { count += 1 }
        return count
    }
}

/// What `--format` asks for, applied to one record.
struct FormatPlan {
    enum Kind { case keep, fixed(TextFormat), mix(Double) }
    let kind: Kind

    init(_ text: String) throws {
        if text == "keep" { kind = .keep; return }
        if let format = TextFormat(rawValue: text) { kind = .fixed(format); return }
        if text.hasPrefix("mix:"), let p = Double(text.dropFirst(4)), p >= 0, p <= 1 { kind = .mix(p); return }
        throw ValidationError("--format must be front, interleaved, mix:P (0 ≤ P ≤ 1) or keep, got '\(text)'")
    }

    /// The record in the chosen format; under `mix:P` record `index`'s choice depends only on the seed and index.
    func apply(to record: DataRecord, index: Int, seed: UInt64) -> DataRecord {
        switch kind {
        case .keep: return record
        case .fixed(let format): return format.apply(to: record)
        case .mix(let p):
            var random = SplitMix64(seed: seed ^ (UInt64(index) &* 0x9E37_79B9_7F4A_7C15))
            return (random.unit() < p ? TextFormat.interleaved : .front).apply(to: record)
        }
    }
}
