import Foundation
import LoomData

/// Results files merged for scoring: shards in the order given, a duplicated answer refused, NExT-QA answers
/// reduced to their option letter (lmms-eval's parser) before the chosen scorer sees them.
public struct MergedResults: Sendable {
    public let results: [EvalResult]
    /// Per result, the option lmms-eval's parser picks in a NExT-QA answer (nil: none, or not a choice question).
    private let choices: [Int?]
    /// NExT-QA answers in which lmms-eval's parser finds no option (it would pick one at random): scored wrong here.
    public let unparsedChoices: [(sampleID: String, dataset: String)]

    /// Reads and merges `paths`; throws naming the first duplicate answer or the first line that is not a result.
    public init(paths: [String]) throws {
        var results: [EvalResult] = []
        var seen: [String: String] = [:]
        for path in paths {
            let file = try ResultsFile(path: path)
            if let problem = file.problems.first { throw RecordError("\(path) line \(problem.line): \(problem.reason)") }
            for result in file.results {
                if let earlier = seen[result.key] {
                    throw RecordError("sample \(result.sampleID) of \(result.dataset) (turn \(result.turn)) is answered twice: in \(earlier) and \(path)")
                }
                seen[result.key] = path
                results.append(result)
            }
        }
        self.results = results
        choices = results.map { $0.options.isEmpty ? nil : NextQAScoring.parse(response: $0.prediction, options: $0.options) }
        unparsedChoices = zip(results, choices).filter { !$0.0.options.isEmpty && $0.1 == nil }.map { ($0.0.sampleID, $0.0.dataset) }
    }

    /// The samples the scorers read (a NExT-QA answer becomes the letter of the option it picks, or "" when none).
    public var scoredSamples: [ScoredSample] {
        zip(results, choices).map { result, choice in
            var prediction = result.prediction
            if !result.options.isEmpty {
                let letters = ["A", "B", "C", "D", "E", "F", "G", "H"]
                prediction = choice.map { letters[$0] } ?? ""
            }
            return ScoredSample(sampleID: result.sampleID, dataset: result.dataset, questionType: result.questionType,
                                prediction: prediction, answer: result.answer)
        }
    }

    /// The samples of `bench` with no answer here (all turns), by dataset and id.
    public func missing(from bench: [BenchSample]) -> [BenchSample] {
        let keys = Set(results.map(\.key))
        return bench.filter { sample in
            sample.turns.indices.contains { !keys.contains(EvalResult.key(dataset: sample.dataset, sampleID: sample.sampleID, turn: $0)) }
        }
    }
}
