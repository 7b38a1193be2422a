import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LoomData
import LoomJSON
import LoomPrompt

/// Answers through any OpenAI-compatible server (`POST {base}/v1/chat/completions`): images as base64 data URLs in
/// the order the question's markers place them (all first when it has none), greedy, the protocol's token limit;
/// later turns carry the earlier questions and answers as messages.
public final class ServerBackend: AnswerBackend, @unchecked Sendable {
    public let baseURL: URL
    public let modelID: String
    private let apiKey: String?
    private let session: URLSession

    public init(baseURL: URL, model: String, apiKey: String? = nil, timeout: TimeInterval = 600) {
        self.baseURL = baseURL
        modelID = model
        self.apiKey = apiKey
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        session = URLSession(configuration: configuration)
    }

    public func answer(_ sample: BenchSample, protocol evalProtocol: EvalProtocol, settings: EvalSettings) throws -> [EvalResult] {
        guard sample.video == nil else { throw RecordError("--server runs image benchmarks; video samples need a local --model") }
        var images = try sample.images.map { path -> JSONValue in
            let url = try settings.resolve(path)
            let data = try Data(contentsOf: url)
            let type = ["png": "image/png", "webp": "image/webp", "gif": "image/gif"][url.pathExtension.lowercased()] ?? "image/jpeg"
            return .object(JSONObject(["type": .string("image_url"),
                                       "image_url": .object(JSONObject(["url": .string("data:\(type);base64,\(data.base64EncodedString())")]))]))
        }[...]
        var messages: [JSONValue] = []
        var results: [EvalResult] = []
        for turn in sample.turns.indices {
            let question = evalProtocol.questionText(sample, turn: turn)
            var content: [JSONValue] = []
            let pieces = question.components(separatedBy: PromptTemplate.imageMarker)
            if pieces.count == 1 { content += images; images = [] }
            for (position, piece) in pieces.enumerated() {
                if position > 0, let image = images.popFirst() { content.append(image) }
                if !piece.isEmpty { content.append(.object(JSONObject(["type": .string("text"), "text": .string(piece)]))) }
            }
            messages.append(.object(JSONObject(["role": .string("user"), "content": .array(content)])))
            let started = Date()
            let prediction = try complete(messages, maxTokens: settings.maxNewTokens ?? evalProtocol.maxNewTokens)
            messages.append(.object(JSONObject(["role": .string("assistant"), "content": .string(prediction)])))
            var timings = JSONObject()
            timings.append("total_ms", .number(Date().timeIntervalSince(started) * 1000))
            results.append(EvalResult(dataset: sample.dataset, sampleIDValue: sample.sampleIDValue, turn: turn, prompt: sample.turns[turn].question,
                                      prediction: LocalBackend.cleaned(prediction), answer: sample.turns[turn].answer,
                                      questionType: sample.questionType, options: sample.options, modelID: modelID,
                                      evalProtocol: evalProtocol.rawValue, timings: timings))
        }
        return results
    }

    private func complete(_ messages: [JSONValue], maxTokens: Int) throws -> String {
        var request = URLRequest(url: baseURL.appendingPathComponent("v1/chat/completions"))
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let apiKey { request.setValue("Bearer \(apiKey)", forHTTPHeaderField: "Authorization") }
        let body = JSONObject(["model": .string(modelID), "messages": .array(messages), "temperature": .int(0),
                               "max_tokens": .int(maxTokens)])
        request.httpBody = Data(JSONWriter.bytes(.object(body)))
        let (data, response) = try send(request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let text = String(decoding: data.prefix(500), as: UTF8.self)
        guard status == 200 else { throw RecordError("the server answered HTTP \(status): \(text)") }
        guard let content = (try? JSONParser.parse(data))?.objectValue?["choices"]?.arrayValue?.first?.objectValue?["message"]?
            .objectValue?["content"]?.stringValue else {
            throw RecordError("the server's answer has no choices[0].message.content: \(text)")
        }
        return content
    }

    private func send(_ request: URLRequest) throws -> (Data, URLResponse) {
        let semaphore = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var outcome: Result<(Data, URLResponse), Error>?
        session.dataTask(with: request) { data, response, error in
            if let data, let response { outcome = .success((data, response)) } else { outcome = .failure(error ?? URLError(.unknown)) }
            semaphore.signal()
        }.resume()
        semaphore.wait()
        return try outcome!.get()
    }
}
