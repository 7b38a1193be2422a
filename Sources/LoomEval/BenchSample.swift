import Foundation
import LoomData
import LoomJSON

/// One benchmark question set: a sample of the LLaVA-Interleave Bench (authors' layout or lmms-eval's export) or a
/// NExT-QA-style video multiple-choice question.
public struct BenchSample: Sendable, Equatable {
    /// Where the sample came from, which decides its prompt and its scoring.
    public enum Layout: String, Sendable {
        /// `multi_image_in_domain.json` & co.: `sample_id`, `metadata.{dataset, question_type}`, `image`, `conversations`;
        /// also M4-Instruct records (`id`, and `video` for a video file or frame folder), such as `loom data synth` writes.
        case authors
        /// lmms-eval's dataset as JSONL: `sample_id`, `sub_task`, `question_type`, `question`, `answer`, `image_0…`.
        case lmmsEval = "lmms-eval"
        /// NExT-QA multiple choice: `question`, five options, `answer` (index or letter), `video`.
        case nextQA = "nextqa"
    }

    public var layout: Layout
    /// `sample_id` as written (number or string).
    public var sampleIDValue: JSONValue
    public var dataset: String
    public var questionType: String
    /// Question and reference answer per turn (one pair for most samples; the authors' bench has multi-turn ones).
    public var turns: [(question: String, answer: String)]
    /// Image paths relative to the media root, in order.
    public var images: [String]
    /// A video file or frame folder relative to the media root (NExT-QA, M4-Instruct video records).
    public var video: String?
    /// The options of a multiple-choice question (NExT-QA).
    public var options: [String]

    /// `sample_id` as text.
    public var sampleID: String {
        if case .string(let text) = sampleIDValue { return text }
        return JSONWriter.string(sampleIDValue)
    }

    public static func == (lhs: BenchSample, rhs: BenchSample) -> Bool {
        lhs.layout == rhs.layout && lhs.sampleIDValue == rhs.sampleIDValue && lhs.dataset == rhs.dataset
            && lhs.questionType == rhs.questionType && lhs.images == rhs.images && lhs.video == rhs.video
            && lhs.options == rhs.options && lhs.turns.map(\.question) == rhs.turns.map(\.question)
            && lhs.turns.map(\.answer) == rhs.turns.map(\.answer)
    }

    /// Reads one record in any of the three layouts.
    public init(json object: JSONObject) throws {
        guard let id = object["sample_id"] ?? object["id"] ?? object["qid"], id.stringValue != nil || id.intValue != nil else {
            throw RecordError("no `sample_id` (a number or a string)")
        }
        sampleIDValue = id
        func string(_ key: String) throws -> String {
            guard let value = object[key] else { throw RecordError("missing field `\(key)`") }
            guard let text = value.stringValue else { throw RecordError("`\(key)` is \(value.typeName), expected a string") }
            return text
        }
        if let conversations = object["conversations"], let metadata = object["metadata"]?.objectValue, object["sub_task"] == nil {
            layout = .authors
            guard let dataset = metadata["dataset"]?.stringValue else { throw RecordError("missing `metadata.dataset`") }
            guard let type = metadata["question_type"]?.stringValue else { throw RecordError("missing `metadata.question_type`") }
            self.dataset = dataset
            questionType = type
            let record = try DataRecord(json: JSONObject(["conversations": conversations]))
            guard record.turns.count >= 2, record.turns.count % 2 == 0 else {
                throw RecordError("`conversations` must hold question/answer pairs, has \(record.turns.count) turns")
            }
            turns = stride(from: 0, to: record.turns.count, by: 2).map { (record.turns[$0].value, record.turns[$0 + 1].value) }
            images = try Self.paths(object["image"])
            switch object["video"] {
            case nil, .null?: video = nil
            case .string(let path)?: video = path
            case let other?: throw RecordError("`video` is \(other.typeName), expected a path")
            }
            options = []
        } else if object["sub_task"] != nil {
            layout = .lmmsEval
            dataset = try string("sub_task")
            questionType = try string("question_type")
            turns = [(try string("question"), try string("answer"))]
            var paths: [String] = try Self.paths(object["images"] ?? object["image"])
            for index in 0..<16 {
                guard let value = object["image_\(index)"], !value.isNull else { continue }
                guard let path = value.stringValue else { throw RecordError("`image_\(index)` is \(value.typeName), expected a path") }
                paths.append(path)
            }
            images = paths
            video = nil
            options = []
        } else if object["video"] != nil {
            layout = .nextQA
            dataset = object["dataset"]?.stringValue ?? "NExT-QA"
            questionType = "multi-choice"
            video = try string("video")
            images = []
            if let list = object["options"]?.arrayValue {
                options = try list.map { guard let text = $0.stringValue else { throw RecordError("`options` must be strings") }; return text }
            } else {
                options = try (0..<5).map { try string("a\($0)") }
            }
            guard options.count == 5 else { throw RecordError("\(options.count) options; NExT-QA questions have five") }
            let letters = ["A", "B", "C", "D", "E"]
            let answer: String
            if let index = object["answer"]?.intValue, (0..<5).contains(index) {
                answer = letters[index]
            } else if let letter = object["answer"]?.stringValue?.uppercased(), letters.contains(letter) {
                answer = letter
            } else {
                throw RecordError("`answer` must be an option index 0–4 or a letter A–E")
            }
            turns = [(try string("question"), answer)]
        } else {
            throw RecordError("not a benchmark record (needs `conversations` + `metadata`, `sub_task`, or `video` + options)")
        }
    }

    private static func paths(_ value: JSONValue?) throws -> [String] {
        switch value {
        case nil, .null?: return []
        case .string(let path)?: return [path]
        case .array(let items)?:
            return try items.map { guard let path = $0.stringValue else { throw RecordError("image paths must be strings") }; return path }
        case let other?: throw RecordError("`image` is \(other.typeName), expected a list of paths")
        }
    }
}

/// A benchmark file read whole (benchmarks are small): its samples in order, and the records that could not be read.
public struct BenchFile: Sendable {
    public let path: String
    public let samples: [BenchSample]
    /// Records that are not benchmark samples: their 0-based index and why.
    public let problems: [(index: Int, sampleID: String, reason: String)]

    public init(path: String) throws {
        self.path = path
        let stream = try RecordStream(path: path)
        var samples: [BenchSample] = [], problems: [(Int, String, String)] = []
        var seen = Set<String>()
        while let raw = try stream.next() {
            do {
                if let invalid = raw.bytes.withUnsafeBufferPointer({ JSONParser.firstInvalidUTF8($0) }) {
                    throw RecordError("invalid UTF-8 at byte \(invalid)")
                }
                guard let object = try raw.bytes.withUnsafeBufferPointer({ try JSONParser.parse($0) }).objectValue else {
                    throw RecordError("not a JSON object")
                }
                let sample = try BenchSample(json: object)
                guard seen.insert(EvalResult.sampleKey(dataset: sample.dataset, sampleID: sample.sampleID)).inserted else {
                    throw RecordError("duplicate sample_id \(sample.sampleID) in dataset \(sample.dataset)")
                }
                samples.append(sample)
            } catch let error as RecordError {
                problems.append((raw.index, DataRecord.sampleIDGuess(raw.bytes), error.reason))
            } catch let error as JSONSyntaxError {
                problems.append((raw.index, DataRecord.sampleIDGuess(raw.bytes), "invalid JSON: \(error.reason) at byte \(error.offset)"))
            }
        }
        self.samples = samples
        self.problems = problems
    }
}
