import Foundation
import LoomData
import LoomJSON

/// One answered turn, written as one JSON line with the authors' field names (`model_vqa.py`): `dataset`,
/// `sample_id`, `prompt`, `pred_response`, `gt_response`, `question_type`, plus `turn`, `options` (NExT-QA),
/// `model_id`, `protocol` and `timings`. Reading also accepts lmms-eval's `sub_task` / `answer` / `prediction`.
public struct EvalResult: Sendable, Equatable {
    public var dataset: String
    public var sampleIDValue: JSONValue
    public var turn: Int
    public var prompt: String
    public var prediction: String
    public var answer: String
    public var questionType: String
    public var options: [String]
    public var modelID: String
    public var evalProtocol: String
    /// Milliseconds: queue, first token, total; and generated token count.
    public var timings: JSONObject

    public init(dataset: String, sampleIDValue: JSONValue, turn: Int, prompt: String, prediction: String, answer: String,
                questionType: String, options: [String] = [], modelID: String, evalProtocol: String, timings: JSONObject = JSONObject()) {
        self.dataset = dataset
        self.sampleIDValue = sampleIDValue
        self.turn = turn
        self.prompt = prompt
        self.prediction = prediction
        self.answer = answer
        self.questionType = questionType
        self.options = options
        self.modelID = modelID
        self.evalProtocol = evalProtocol
        self.timings = timings
    }

    /// `sample_id` as text.
    public var sampleID: String {
        if case .string(let text) = sampleIDValue { return text }
        return JSONWriter.string(sampleIDValue)
    }

    /// What identifies the answer across runs and shards: dataset, sample and turn.
    public var key: String { Self.key(dataset: dataset, sampleID: sampleID, turn: turn) }

    /// The sample the answer belongs to (all its turns).
    var sampleKey: String { Self.sampleKey(dataset: dataset, sampleID: sampleID) }

    /// What identifies a sample: its dataset and id (ids repeat across datasets).
    static func sampleKey(dataset: String, sampleID: String) -> String { "\(dataset)\u{0}\(sampleID)" }

    static func key(dataset: String, sampleID: String, turn: Int) -> String { "\(sampleKey(dataset: dataset, sampleID: sampleID))\u{0}\(turn)" }

    /// The JSON line (without its newline).
    public func jsonLine() -> [UInt8] {
        var object = JSONObject()
        object.append("dataset", .string(dataset))
        object.append("sample_id", sampleIDValue)
        object.append("turn", .int(turn))
        object.append("prompt", .string(prompt))
        object.append("pred_response", .string(prediction))
        object.append("gt_response", .string(answer))
        object.append("question_type", .string(questionType))
        if !options.isEmpty { object.append("options", .array(options.map(JSONValue.string))) }
        object.append("model_id", .string(modelID))
        object.append("protocol", .string(evalProtocol))
        object.append("timings", .object(timings))
        return JSONWriter.bytes(.object(object))
    }

    /// Reads a result line in the authors' or lmms-eval's field names.
    public init(json object: JSONObject) throws {
        func text(_ keys: String...) throws -> String {
            for key in keys { if let value = object[key]?.stringValue { return value } }
            throw RecordError("missing `\(keys.joined(separator: "` / `"))`")
        }
        guard let id = object["sample_id"], id.stringValue != nil || id.intValue != nil else { throw RecordError("missing `sample_id`") }
        sampleIDValue = id
        dataset = try text("dataset", "sub_task")
        prediction = try text("pred_response", "prediction", "parsed_pred")
        answer = try text("gt_response", "answer")
        questionType = try text("question_type")
        turn = object["turn"]?.intValue ?? 0
        prompt = object["prompt"]?.stringValue ?? ""
        options = object["options"]?.arrayValue?.compactMap(\.stringValue) ?? []
        modelID = object["model_id"]?.stringValue ?? ""
        evalProtocol = object["protocol"]?.stringValue ?? ""
        timings = object["timings"]?.objectValue ?? JSONObject()
    }
}

/// A results file read line by line: its answers, and the lines that are not answers (with their line numbers).
public struct ResultsFile: Sendable {
    public let path: String
    public let results: [EvalResult]
    public let problems: [(line: Int, reason: String)]
    /// The byte length of the complete lines (a run killed mid-write leaves a partial last line after it).
    public let completeLength: Int
    /// The file's byte length.
    public let length: Int

    public init(path: String) throws {
        self.path = path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw RecordError("cannot read \(path): \(FileManager.default.fileExists(atPath: path) ? "not a readable file" : "no such file")")
        }
        var results: [EvalResult] = [], problems: [(Int, String)] = []
        var start = 0, line = 0
        let bytes = [UInt8](data)
        // The authors' files have no `turn`: a sample's lines are its turns in order.
        var turns: [String: Int] = [:]
        while let end = bytes[start...].firstIndex(of: 0x0A) {
            line += 1
            let slice = Array(bytes[start..<end])
            start = end + 1
            if slice.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            do {
                guard let object = try slice.withUnsafeBufferPointer({ try JSONParser.parse($0) }).objectValue else {
                    throw RecordError("not a JSON object")
                }
                var result = try EvalResult(json: object)
                let sample = result.sampleKey
                if object["turn"] == nil { result.turn = turns[sample, default: 0] }
                turns[sample] = result.turn + 1
                results.append(result)
            } catch let error as RecordError {
                problems.append((line, error.reason))
            } catch {
                problems.append((line, "invalid JSON: \(error)"))
            }
        }
        completeLength = start
        length = bytes.count
        self.results = results
        self.problems = problems
    }
}
