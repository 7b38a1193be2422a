import Foundation
import LoomEval
import LoomJSON
import LoomTestSupport
import Testing

/// Reads a fixture of `Tests/Fixtures/eval/scoring/` (made by `tools/reference/make_eval_fixtures.py`).
private enum ScoringFixtures {
    static func lines(_ name: String) throws -> [JSONObject] {
        let text = try String(contentsOf: Fixtures.url("eval/scoring/\(name)"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            try #require(JSONParser.parse(Data(line.utf8)).objectValue)
        }
    }

    static func object(_ name: String) throws -> JSONObject {
        try #require(JSONParser.parse(Data(contentsOf: Fixtures.url("eval/scoring/\(name)"))).objectValue)
    }

    static func numbers(_ object: JSONObject?) -> [(String, Double)] {
        guard let object else { return [] }
        return zip(object.keys, object.values).map { key, value -> (String, Double) in
            guard case let .number(x) = value else { return (key, .nan) }
            return (key, x)
        }
    }

    /// `str(sample_id)` of a number or a string.
    static func id(_ value: JSONValue?) -> String {
        if let s = value?.stringValue { return s }
        if let i = value?.intValue { return String(i) }
        return "?"
    }
}

/// Code-point equality, as Python compares strings (Swift's `==` uses canonical equivalence).
private func sameText(_ a: String, _ b: String) -> Bool {
    Array(a.unicodeScalars) == Array(b.unicodeScalars)
}

private func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 }

@Suite("Scoring: ROUGE-L by hand")
struct ScoringRougeHandTests {
    @Test func identicalTexts() throws {
        #expect(try RougeL.f(hypothesis: "the cat", reference: "the cat") == 2.0 * (1.0 / (2.0 + 1e-8)))
    }

    @Test func repeatedWordsCountOnce() throws {
        // Set semantics: m = n = 1, llcs = 1.
        #expect(try RougeL.f(hypothesis: "a a a a", reference: "a") == 2.0 * (1.0 / (2.0 + 1e-8)))
    }

    @Test func partialOverlap() throws {
        // ref {the, dog}: m = 2; hyp {the, cat, sat}: n = 3; LCS "the".
        let p = 1.0 / 3.0, r = 1.0 / 2.0
        #expect(try RougeL.f(hypothesis: "the cat sat", reference: "the dog") == 2.0 * ((p * r) / (p + r + 1e-8)))
    }

    @Test func unionLcsOverSentences() throws {
        // rouge_score.py's docstring example: LCS_u = {w1, w2, w3, w5}; m = 5, n = 8 distinct hypothesis words.
        let f = try RougeL.f(hypothesis: "w1 w2 w6 w7 w8. w1 w3 w8 w9 w5", reference: "w1 w2 w3 w4 w5")
        let p = 4.0 / 8.0, r = 4.0 / 5.0
        #expect(f == 2.0 * ((p * r) / (p + r + 1e-8)))
    }

    @Test func noOverlapAndCodePoints() throws {
        #expect(try RougeL.f(hypothesis: "x y", reference: "z") == 0)
        // Precomposed and decomposed é are different words for Python.
        #expect(try RougeL.f(hypothesis: "caf\u{E9}", reference: "cafe\u{301}") == 0)
        // A whitespace-only sentence is the word "": it matches another empty sentence.
        #expect(try RougeL.f(hypothesis: " ", reference: ". .") == 2.0 * (1.0 / (2.0 + 1e-8)))
    }

    @Test func emptyTextsThrow() {
        #expect(throws: RougeError.hypothesisEmpty) { try RougeL.f(hypothesis: "", reference: "x") }
        #expect(throws: RougeError.hypothesisEmpty) { try RougeL.f(hypothesis: "...", reference: "") }
        #expect(throws: RougeError.referenceEmpty) { try RougeL.f(hypothesis: "x", reference: ".") }
    }
}

@Suite("Scoring: per-pair references")
struct ScoringPairTests {
    @Test func pairsMatchTheReferences() throws {
        let lines = try ScoringFixtures.lines("pairs.jsonl")
        #expect(lines.count >= 2000)
        var failures: [String] = []
        for line in lines {
            let id = line["id"]?.stringValue ?? "?"
            let prediction = try #require(line["prediction"]?.stringValue)
            let answer = try #require(line["answer"]?.stringValue)
            if !sameText(AuthorsScoring.process(prediction), try #require(line["authors_processed_prediction"]?.stringValue)) {
                failures.append("\(id): process(prediction) = \(AuthorsScoring.process(prediction).debugDescription)")
            }
            if !sameText(AuthorsScoring.process(answer), try #require(line["authors_processed_answer"]?.stringValue)) {
                failures.append("\(id): process(answer) = \(AuthorsScoring.process(answer).debugDescription)")
            }
            // Authors' ROUGE-L.
            let authorsStatus = line["authors_rouge_status"]?.stringValue
            do {
                let got = try AuthorsScoring.rouge(prediction: prediction, answer: answer)
                switch (authorsStatus, got, line["authors_rouge"]) {
                case ("ok", let x?, .number(let want)?) where close(x, want): break
                case ("skipped", nil, .null?): break
                default: failures.append("\(id): authors rouge \(String(describing: got)), want \(authorsStatus ?? "?")")
                }
            } catch {
                if authorsStatus != "raises" { failures.append("\(id): authors rouge threw \(error)") }
            }
            if AuthorsScoring.accuracy(prediction: prediction, answer: answer) != Double(line["authors_accuracy"]?.intValue ?? -1) {
                failures.append("\(id): authors accuracy")
            }
            // lmms-eval.
            let lmmsStatus = line["lmms_rouge_status"]?.stringValue
            do {
                let got = try LmmsEvalScoring.openEndedRouge(answer: answer, prediction: prediction)
                if lmmsStatus != "ok" || !close(got, line["lmms_rouge"].flatMap { if case let .number(x) = $0 { x } else { nil } } ?? .nan) {
                    failures.append("\(id): lmms rouge \(got), want \(lmmsStatus ?? "?")")
                }
            } catch {
                if lmmsStatus != "raises" || line["lmms_rouge"]?.isNull != true { failures.append("\(id): lmms rouge threw \(error)") }
            }
            if LmmsEvalScoring.mcqAccuracy(answer: answer, prediction: prediction) != Double(line["lmms_mcq"]?.intValue ?? -1) {
                failures.append("\(id): lmms mcq")
            }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches, first: \(failures.prefix(10))")
    }

    @Test func nextQAParsesMatchLmmsEval() throws {
        let lines = try ScoringFixtures.lines("nextqa.jsonl")
        #expect(lines.count >= 300)
        var failures: [String] = []
        for line in lines {
            let response = try #require(line["response"]?.stringValue)
            let options = try #require(line["options"]?.arrayValue).compactMap(\.stringValue)
            let want = line["parsed"]?.intValue
            let got = NextQAScoring.parse(response: response, options: options)
            if got != want { failures.append("\(line["id"]?.stringValue ?? "?"): \(String(describing: got)) vs \(String(describing: want))") }
        }
        #expect(failures.isEmpty, "\(failures.count) mismatches, first: \(failures.prefix(10))")
    }
}

@Suite("Scoring: aggregates")
struct ScoringAggregateTests {
    @Test func authorsMatchTheScript() throws {
        let samples = try ScoringFixtures.lines("results_authors.jsonl").map { line in
            ScoredSample(sampleID: ScoringFixtures.id(line["sample_id"]), dataset: try #require(line["dataset"]?.stringValue),
                         questionType: try #require(line["question_type"]?.stringValue),
                         prediction: try #require(line["pred_response"]?.stringValue),
                         answer: try #require(line["gt_response"]?.stringValue))
        }
        let expected = try ScoringFixtures.object("expected_authors.json")
        let report = Scoring.score(samples, scorer: .authors)
        #expect(report.scorer == .authors)
        #expect(report.overall == nil)

        let wantDatasets = ScoringFixtures.numbers(expected["datasets"]?.objectValue)
        #expect(report.datasets.map(\.name) == wantDatasets.map(\.0))
        for (got, want) in zip(report.datasets, wantDatasets) {
            #expect(close(got.score, want.1), "\(want.0): \(got.score) vs \(want.1)")
        }
        let wantCategories = ScoringFixtures.numbers(expected["categories"]?.objectValue)
        #expect(report.categories.map(\.name) == wantCategories.map(\.0))
        for (got, want) in zip(report.categories, wantCategories) {
            #expect(close(got.score, want.1), "\(want.0): \(got.score) vs \(want.1)")
        }
        let wantUnscorable = try #require(expected["unscorable"]?.arrayValue).compactMap(\.stringValue)
        #expect(Set(report.unscorable.map(\.sampleID)) == Set(wantUnscorable))
        #expect(report.unscorable.count == wantUnscorable.count)
        #expect(report.perSample.count == samples.count)
        #expect(report.perSample.filter { $0.score == nil }.count == wantUnscorable.count)
        for name in try #require(expected["excluded_datasets"]?.arrayValue).compactMap(\.stringValue) {
            #expect(!report.datasets.contains { $0.name == name })
        }
    }

    @Test func lmmsEvalMatchesOverallScore() throws {
        let samples = try ScoringFixtures.lines("results_lmms.jsonl").map { line in
            ScoredSample(sampleID: ScoringFixtures.id(line["sample_id"]), dataset: try #require(line["sub_task"]?.stringValue),
                         questionType: try #require(line["question_type"]?.stringValue),
                         prediction: try #require(line["prediction"]?.stringValue),
                         answer: try #require(line["answer"]?.stringValue))
        }
        let expected = try ScoringFixtures.object("expected_lmms.json")
        let report = Scoring.score(samples, scorer: .lmmsEval)
        #expect(report.scorer == .lmmsEval)
        let wantCategories = ScoringFixtures.numbers(expected["categories"]?.objectValue)
        #expect(report.categories.map(\.name) == wantCategories.map(\.0))
        for (got, want) in zip(report.categories, wantCategories) {
            #expect(close(got.score, want.1), "\(want.0): \(got.score) vs \(want.1)")
        }
        guard case let .number(wantOverall)? = expected["overall"] else { Issue.record("no overall"); return }
        #expect(close(try #require(report.overall), wantOverall))
        let wantSubTasks = ScoringFixtures.numbers(expected["sub_tasks"]?.objectValue)
        #expect(report.datasets.map(\.name) == wantSubTasks.map(\.0))
        for (got, want) in zip(report.datasets, wantSubTasks) {
            #expect(close(got.score, want.1), "\(want.0): \(got.score) vs \(want.1)")
        }
        let wantUnscorable = try #require(expected["unscorable"]?.arrayValue).compactMap(\.stringValue)
        #expect(report.unscorable.map(\.sampleID).sorted() == wantUnscorable.sorted())
    }

    @Test func jsonHasTheKeys() throws {
        let samples = [
            ScoredSample(sampleID: "1", dataset: "RAVEN", questionType: "multi-choice", prediction: "A", answer: "a"),
            ScoredSample(sampleID: "2", dataset: "Spot-the-Diff", questionType: "open-ended", prediction: "red car", answer: "a red car"),
        ]
        for scorer in Scorer.allCases {
            let report = Scoring.score(samples, scorer: scorer)
            let root = try #require(JSONParser.parse(Data(report.json().utf8)).objectValue)
            #expect(root.keys == ["scorer", "datasets", "categories", "overall"])
            #expect(root["scorer"]?.stringValue == scorer.rawValue)
            #expect(root["datasets"]?.objectValue?.keys == ["RAVEN", "Spot-the-Diff"])
            #expect(root["categories"]?.objectValue != nil)
            #expect(root["overall"]?.isNull == (scorer == .authors))
        }
    }

    @Test func authorsEdgeCases() {
        let samples = [
            // Every answer processes to "": np.mean([]) is NaN.
            ScoredSample(sampleID: "a", dataset: "WebQA", questionType: "open-ended", prediction: "x", answer: "()"),
            ScoredSample(sampleID: "b", dataset: "WebQA", questionType: "multi-choice", prediction: "x", answer: "..."),
            // First record decides: accuracy for the whole dataset.
            ScoredSample(sampleID: "c", dataset: "TQA", questionType: "multi-choice", prediction: "Answer: B", answer: "(b)"),
            ScoredSample(sampleID: "d", dataset: "TQA", questionType: "open-ended", prediction: "x", answer: "y"),
            // nlrv2 is scored by accuracy whatever its question_type.
            ScoredSample(sampleID: "e", dataset: "nlrv2", questionType: "yes-no", prediction: "Yes.", answer: "yes"),
            ScoredSample(sampleID: "f", dataset: "Elsewhere", questionType: "other", prediction: "x", answer: "x"),
        ]
        let report = Scoring.score(samples, scorer: .authors)
        #expect(report.datasets.map(\.name) == ["WebQA", "TQA", "nlrv2"])
        #expect(report.datasets[0].score.isNaN && report.datasets[0].samples == 0)
        #expect(report.datasets[1].score == 0.5)
        #expect(report.datasets[2].score == 1)
        #expect(report.categories.map(\.name) == ["text_rich_vqa"])
        #expect(report.categories[0].score.isNaN)
        #expect(report.unscorable.map(\.sampleID) == ["a", "b", "f"])
        #expect(report.json().contains("\"WebQA\": null"))
    }
}
