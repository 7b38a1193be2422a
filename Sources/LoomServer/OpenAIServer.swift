import Foundation
import HTTPTypes
import Hummingbird
import LoomEngine
import LoomGeneration
import LoomKit
import Logging
import NIOCore
import ServiceLifecycle

/// `loom serve`: an OpenAI-compatible HTTP server over one model's engine. It listens at once and answers `503`
/// while the model loads; requests are prepared (media fetched and decoded, prompt rendered) off Swift's cooperative
/// pool, then run by the engine, which batches every request in flight; a client that goes away is cancelled.
public final class OpenAIServer: Sendable {
    public let configuration: ServerConfiguration
    let state: ServerState
    let metrics = ServerMetrics()
    let logger: Logger
    private let load: @Sendable () throws -> LoomModel
    /// Where requests are prepared: not the cooperative pool (decoding images is long, blocking work).
    private let preparation = DispatchQueue(label: "loom-serve-prepare", attributes: .concurrent)

    /// A server for the model `load` returns (called once, in the background, when the server starts).
    public init(configuration: ServerConfiguration, logger: Logger, load: @escaping @Sendable () throws -> LoomModel) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        self.load = load
        state = ServerState()
    }

    /// Runs until SIGINT or SIGTERM, then stops taking requests and lets those in flight finish. `onListening`
    /// receives the bound port (useful with port 0).
    public func run(onListening: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let router = Router()
        router.middlewares.add(ErrorMiddleware(metrics: metrics, logger: logger))
        if !configuration.corsOrigins.isEmpty { router.middlewares.add(CORSOrigins(origins: configuration.corsOrigins)) }
        if let key = configuration.apiKey { router.middlewares.add(APIKeyMiddleware(key: key)) }
        router.get("/health") { [state] _, _ in try state.health() }
        router.get("/metrics") { [self] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.text(engine: state.loaded?.engine))))
        }
        router.get("/v1/models") { [self] _, _ in try models() }
        router.post("/v1/chat/completions") { [self] request, context in try await chatCompletions(request, context: context) }
        router.post("/v1/completions") { [self] request, context in try await completions(request, context: context) }
        let app = Application(router: router, configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                                                   serverName: "loom"),
                              services: [DrainService(state: state, logger: logger)],
                              onServerRunning: { channel in onListening(channel.localAddress?.port ?? 0) },
                              logger: logger)
        startLoading()
        try await app.runService()
    }

    /// Loads the model on a thread of its own; `/health` turns 200 when it is ready.
    private func startLoading() {
        let thread = Thread { [self] in
            let start = Date()
            logger.info("loading the model")
            do {
                let loom = try load()
                loom.imageLimits = .init(maxPixels: configuration.maxImagePixels)
                loom.engine.onStep = { [metrics] in metrics.step($0) }
                state.ready(loom)
                logger.info("model ready in \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
            } catch {
                state.failed("\(error)")
                logger.error("the model could not be loaded: \(error)")
            }
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    func models() throws -> Response {
        let loom = try state.requireReady(retryAfter: configuration.retryAfterSeconds)
        let model: [String: Any] = ["id": configuration.servedModelName, "object": "model", "created": state.startedAt, "owned_by": "loom",
                                    "max_model_len": loom.languageModel.contextLength,
                                    "modalities": loom.imageEncoder == nil ? ["text"] : ["text", "image", "video"]]
        return jsonResponse(["object": "list", "data": [model]])
    }

    // MARK: Completions

    func chatCompletions(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await complete(request, as: ChatCompletionRequest.self, kind: .chat) { try $0.chat($1) }
    }

    func completions(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await complete(request, as: CompletionRequest.self, kind: .completion) { try $0.completion($1) }
    }

    /// Reads and decodes a completion request, prepares it off the cooperative pool, and answers it.
    func complete<Body: CompletionBody>(_ request: Request, as type: Body.Type, kind: Call.Kind,
                                        prepare build: @escaping @Sendable (ChatPreparation, Body) throws -> PreparedRequest) async throws -> Response {
        let loom = try state.requireReady(retryAfter: configuration.retryAfterSeconds)
        var request = request
        let decoded = try decode(type, try await readBody(&request))
        try checkModel(decoded.model)
        let preparation = ChatPreparation(loom: loom, configuration: configuration)
        let prepared = try await prepare { try build(preparation, decoded) }
        let call = Call(kind: kind, stream: decoded.stream == true, includeUsage: decoded.streamOptions?.includeUsage == true,
                        model: configuration.servedModelName)
        return try await run(prepared, call: call, loom: loom, request: request)
    }

    /// The body, refused with 413 from its declared length before reading it, or once more than the limit arrived.
    /// The request keeps the collected body (and its connection, which tells when the client goes away).
    func readBody(_ request: inout Request) async throws -> ByteBuffer {
        let limit = configuration.maxBodyBytes
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit { throw APIError.tooLarge(limit: limit) }
        do {
            return try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw APIError.tooLarge(limit: limit)
        }
    }

    func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(buffer: body))
        } catch let error as DecodingError {
            throw APIError.badRequest("The request body is not valid: \(APIError.describe(error))")
        } catch {
            throw APIError.badRequest("The request body is not valid JSON: \(error.localizedDescription)")
        }
    }

    func checkModel(_ name: String) throws {
        guard name == configuration.servedModelName else {
            throw APIError.notFound("The model '\(name)' does not exist; this server serves '\(configuration.servedModelName)'.",
                                    code: "model_not_found")
        }
    }

    /// Runs `body` on the preparation queue.
    func prepare<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            preparation.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// What kind of answer a request wants.
    struct Call: Sendable {
        enum Kind: Sendable { case chat, completion }
        let kind: Kind
        let stream: Bool
        let includeUsage: Bool
        let model: String
        let token = UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(24).lowercased()
        let created = Int(Date().timeIntervalSince1970)

        /// `chatcmpl-…` or `cmpl-…`.
        var responseID: String { (kind == .chat ? "chatcmpl-" : "cmpl-") + token }
    }

    /// Submits every choice of `prepared` to the engine and answers, streaming or not; a client that closes the
    /// connection cancels its choices. Watching for that consumes the connection's input, so Hummingbird closes the
    /// connection after the answer: it says `Connection: close`, so that no client sends its next request into a
    /// connection that is going away.
    func run(_ prepared: PreparedRequest, call: Call, loom: LoomModel, request: Request) async throws -> Response {
        let submission = try ChoiceStreams(prepared, engine: loom.engine)
        state.begin()
        let start = Date()
        // Ends the request's bookkeeping; a status is counted here unless the error thrown is (by ErrorMiddleware).
        let finish: @Sendable (Int?) -> Void = { [self] status in
            state.end()
            for file in prepared.temporaries { try? FileManager.default.removeItem(at: file) }
            metrics.tokens(prompt: prepared.positions, generated: submission.completionTokens)
            if let first = submission.firstTokenSeconds { metrics.firstToken(seconds: first) }
            if let status { metrics.request(status: status) }
        }
        if !call.stream {
            do {
                let outputs = try await request.body.consumeWithInboundCloseHandler({ _ in
                    try await submission.collect()
                }, onInboundClosed: { submission.cancel() })
                let completion = outputs.reduce(0) { $0 + $1.completionTokens }
                logger.info("\(call.responseID) 200 prompt=\(prepared.positions) completion=\(completion) total=\(Int(Date().timeIntervalSince(start) * 1000))ms")
                finish(200)
                var response = jsonResponse(responseBody(outputs, call: call, loom: loom, promptTokens: prepared.positions))
                response.headers[.connection] = "close"
                return response
            } catch {
                submission.cancel()
                finish(nil)
                throw error
            }
        }
        let body = ResponseBody { [self] writer in
            do {
                try await request.body.consumeWithInboundCloseHandler({ _ in
                    try await self.stream(submission, call: call, loom: loom, promptTokens: prepared.positions, writer: &writer)
                }, onInboundClosed: { submission.cancel() })
                logger.info("\(call.responseID) 200 stream prompt=\(prepared.positions) total=\(Int(Date().timeIntervalSince(start) * 1000))ms")
                finish(200)
            } catch {
                submission.cancel()
                logger.info("\(call.responseID) stream ended early: \(error)")
                finish(499)
            }
            try? await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .connection: "close",
                                               HTTPField.Name("X-Accel-Buffering")!: "no"], body: body)
    }

    /// Writes the server-sent events of `submission`: a role chunk, a chunk per piece of text, a closing chunk per
    /// choice, the usage chunk when asked, then `data: [DONE]`.
    func stream(_ submission: ChoiceStreams, call: Call, loom: LoomModel, promptTokens: Int, writer: inout any ResponseBodyWriter) async throws {
        func send(_ object: Any) async throws {
            var buffer = ByteBuffer(string: "data: ")
            buffer.writeBytes(jsonBytes(object))
            buffer.writeString("\n\n")
            try await writer.write(buffer)
        }
        func chunk(_ choices: [[String: Any]], usage: Any = NSNull()) -> [String: Any] {
            ["id": call.responseID, "object": call.kind == .chat ? "chat.completion.chunk" : "text_completion", "created": call.created,
             "model": call.model, "choices": choices, "usage": usage]
        }
        if call.kind == .chat {
            for index in 0..<submission.count {
                try await send(chunk([["index": index, "delta": ["role": "assistant", "content": ""], "logprobs": NSNull(), "finish_reason": NSNull()]]))
            }
        }
        var offsets = Array(repeating: 0, count: submission.count)
        var last = Date()
        for try await (index, event) in submission.events() {
            switch event {
            case .token(let token):
                guard !token.text.isEmpty || token.logprob != nil else { continue }
                let now = Date()
                metrics.interToken(seconds: now.timeIntervalSince(last))
                last = now
                if call.kind == .chat {
                    try await send(chunk([["index": index, "delta": ["content": token.text],
                                           "logprobs": ChoiceOutput.chatLogprobs([token], tokenizer: loom.tokenizer), "finish_reason": NSNull()]]))
                } else {
                    try await send(chunk([["index": index, "text": token.text, "finish_reason": NSNull(),
                                           "logprobs": ChoiceOutput.completionLogprobs([token], tokenizer: loom.tokenizer, offset: offsets[index])]]))
                    offsets[index] += token.text.count
                }
            case .finished(let result):
                let reason = ChoiceOutput(index: index, result: result).finishReason ?? "stop"
                if call.kind == .chat {
                    try await send(chunk([["index": index, "delta": [String: Any](), "logprobs": NSNull(), "finish_reason": reason]]))
                } else {
                    try await send(chunk([["index": index, "text": "", "logprobs": NSNull(), "finish_reason": reason]]))
                }
            case .failed(let error):
                let api = APIError.from(error, retryAfter: configuration.retryAfterSeconds)
                try await send(["error": api.object])
                throw error
            }
        }
        let completion = submission.completionTokens
        if call.includeUsage {
            try await send(chunk([], usage: ["prompt_tokens": promptTokens, "completion_tokens": completion,
                                             "total_tokens": promptTokens + completion]))
        }
        try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
    }

    /// The non-streamed answer.
    func responseBody(_ outputs: [ChoiceOutput], call: Call, loom: LoomModel, promptTokens: Int) -> [String: Any] {
        let completion = outputs.reduce(0) { $0 + $1.completionTokens }
        let usage: [String: Any] = ["prompt_tokens": promptTokens, "completion_tokens": completion, "total_tokens": promptTokens + completion]
        let choices: [[String: Any]] = outputs.map { output in
            switch call.kind {
            case .chat:
                return ["index": output.index, "message": ["role": "assistant", "content": output.text, "refusal": NSNull()],
                        "logprobs": ChoiceOutput.chatLogprobs(output.tokens, tokenizer: loom.tokenizer),
                        "finish_reason": output.finishReason ?? "stop"]
            case .completion:
                return ["index": output.index, "text": output.text, "finish_reason": output.finishReason ?? "stop",
                        "logprobs": ChoiceOutput.completionLogprobs(output.tokens, tokenizer: loom.tokenizer, offset: 0)]
            }
        }
        return ["id": call.responseID, "object": call.kind == .chat ? "chat.completion" : "text_completion", "created": call.created,
                "model": call.model, "system_fingerprint": "loom", "choices": choices, "usage": usage]
    }
}

/// A JSON response.
func jsonResponse(_ object: Any, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: jsonBytes(object))))
}
