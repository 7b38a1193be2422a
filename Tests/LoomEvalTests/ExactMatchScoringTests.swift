import Foundation
import LoomEval
import LoomJSON
import Testing

/// `question_type: "exact"` (the synthetic tasks of `loom data synth`): exact match after lower-casing, trimming and
/// dropping one final period, per dataset, with either scorer; and synthetic records read as benchmark samples.
@Suite struct ExactMatchScoringTests {
    @Test(arguments: [
        ("red.", "red.", 1.0), ("Red", "red.", 1), ("  red.\n", "red.", 1), ("THE RED CIRCLE TURNED BLUE.", "The red circle turned blue.", 1),
        ("Image 3", "Image 3.", 1), ("4", "4.", 1), ("red..", "red.", 0), ("red circle", "red.", 0), ("4.0", "4.", 0),
        ("", "red.", 0), ("blue.", "red.", 0), ("View 2. ", "View 2.", 1), (". red", "red.", 0),
    ])
    func matches(_ example: (String, String, Double)) {
        #expect(ExactMatchScoring.score(prediction: example.0, answer: example.1) == example.2)
    }

    @Test func normalisesOnePeriodOnly() {
        #expect(ExactMatchScoring.normalise(" Left To Right. ") == "left to right")
        #expect(ExactMatchScoring.normalise("3..") == "3.")
        #expect(ExactMatchScoring.normalise("\tA Red Square Appeared.\n") == "a red square appeared")
    }

    static let answered = [
        ScoredSample(sampleID: "color-0", dataset: "color", questionType: "exact", prediction: "Red.", answer: "red."),
        ScoredSample(sampleID: "motion-1", dataset: "motion", questionType: "exact", prediction: "left to right", answer: "left to right."),
        ScoredSample(sampleID: "color-2", dataset: "color", questionType: "exact", prediction: "blue.", answer: "green."),
        ScoredSample(sampleID: "motion-3", dataset: "motion", questionType: "exact", prediction: "top to bottom.", answer: "top to bottom."),
        ScoredSample(sampleID: "color-4", dataset: "color", questionType: "exact", prediction: " green ", answer: "green."),
    ]

    @Test(arguments: Scorer.allCases)
    func scoresPerDataset(_ scorer: Scorer) throws {
        let report = Scoring.score(Self.answered, scorer: scorer)
        #expect(report.datasets.map(\.name) == ["color", "motion"])
        #expect(report.datasets.map(\.score) == [2.0 / 3.0, 1.0])
        #expect(report.datasets.map(\.samples) == [3, 2])
        #expect(report.categories.isEmpty)
        #expect(report.overall == nil)
        #expect(report.unscorable.isEmpty)
        #expect(report.perSample.map(\.score) == [1, 1, 0, 1, 1])
        let json = try #require(JSONParser.parse(Data(report.json().utf8)).objectValue)
        #expect(json["datasets"]?.objectValue?.keys == ["color", "motion"])
    }

    @Test func synthRecordsAreBenchmarkSamples() throws {
        let records = [
            #"{"id": "color-5", "image": "images/color-5.png", "conversations": [{"from": "human", "value": "<image>\nWhat color is the triangle?"}, {"from": "gpt", "value": "blue."}], "metadata": {"dataset": "color", "question_type": "exact", "format": "front"}}"#,
            #"{"id": "spot-difference-8", "image": ["images/spot-difference-8_1.png", "images/spot-difference-8_2.png"], "conversations": [{"from": "human", "value": "Image 1: <image>\nImage 2: <image>\nWhat changed?"}, {"from": "gpt", "value": "The black triangle disappeared."}], "metadata": {"dataset": "spot-difference", "question_type": "exact", "format": "interleaved"}}"#,
            #"{"id": "count-frames-10", "video": "videos/count-frames-10", "conversations": [{"from": "human", "value": "<image>\nIn how many frames is there a red square?"}, {"from": "gpt", "value": "5."}], "metadata": {"dataset": "count-frames", "question_type": "exact", "format": "front"}}"#,
        ]
        let samples = try records.map { try BenchSample(json: try #require(JSONParser.parse(Data($0.utf8)).objectValue)) }
        #expect(samples.map(\.layout) == [.authors, .authors, .authors])
        #expect(samples.map(\.sampleID) == ["color-5", "spot-difference-8", "count-frames-10"])
        #expect(samples.map(\.dataset) == ["color", "spot-difference", "count-frames"])
        #expect(samples.allSatisfy { $0.questionType == "exact" })
        #expect(samples.map(\.images) == [["images/color-5.png"], ["images/spot-difference-8_1.png", "images/spot-difference-8_2.png"], []])
        #expect(samples.map(\.video) == [nil, nil, "videos/count-frames-10"])
        #expect(samples[2].turns.map(\.answer) == ["5."])
    }
}
