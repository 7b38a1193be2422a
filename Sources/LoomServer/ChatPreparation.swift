import Foundation
import LoomEngine
import LoomGeneration
import LoomKit
import LoomMedia
import LoomPrompt

/// A request turned into what the engine runs: its rendered prompt, the engine's input, and the parameters of
/// each choice.
struct PreparedRequest {
    let prompt: [EngineInput]
    /// Prompt positions (text tokens plus image positions): `usage.prompt_tokens`.
    let positions: Int
    /// One set of parameters per choice (`n`).
    let choices: [GenerationParameters]
    /// Files to remove once the request ends (videos sent as data).
    let temporaries: [URL]
}

/// Builds conversations and parameters from OpenAI requests, under the server's limits.
struct ChatPreparation {
    let loom: LoomModel
    let configuration: ServerConfiguration

    var media: MediaResolver { MediaResolver(configuration: configuration) }

    /// A chat request, rendered with the request's template (default: the server's) and plain text: no special token
    /// or image slot can come from what users typed.
    func chat(_ request: ChatCompletionRequest) throws -> PreparedRequest {
        try checkMediaCounts(request)
        var temporaries: [URL] = []
        do {
            var template = try chosenTemplate(request.loomTemplate)
            var conversation = Conversation()
            for (index, message) in request.messages.enumerated() {
                guard let role = Role(rawValue: message.role == "developer" ? "system" : message.role) else {
                    throw APIError.badRequest("messages[\(index)].role '\(message.role)' is not supported (system, user, assistant)",
                                              param: "messages")
                }
                var parts: [ContentPart] = []
                for part in message.content {
                    switch part {
                    case .text(let text): parts.append(.text(text))
                    case .image(let url): parts.append(.image(try media.image(url)))
                    case .views(let urls): parts.append(.views(try urls.map { try media.image($0) }))
                    case .video(let url):
                        let (file, temporary) = try media.videoFile(url)
                        if temporary { temporaries.append(file) }
                        parts.append(.video(VideoRequest(url: file, frames: try frames(request), sampling: try sampling(request))))
                    }
                }
                if configuration.bindImageMarkers, let bound = try boundMarkers(parts, message: index) {
                    parts = bound
                    if template == .hf { template = .interleaved }
                }
                conversation.append(role, parts)
            }
            let rendered = try loom.preparePrompt(conversation, template: template, text: .plain).prompt
            let input = try loom.engineInput(rendered)
            var parameters = try baseParameters(maxTokens: request.maxCompletionTokens ?? request.maxTokens,
                                                temperature: request.temperature, topP: request.topP, topK: request.topK,
                                                seed: request.seed, stop: request.stop)
            if request.logprobs == true { parameters.topLogprobs = request.topLogprobs ?? 0 }
            else if request.topLogprobs != nil {
                throw APIError.badRequest("top_logprobs needs logprobs: true", code: "unsupported_parameter", param: "top_logprobs")
            }
            return PreparedRequest(prompt: input, positions: rendered.ids.count, choices: try choices(parameters, n: request.n),
                                   temporaries: temporaries)
        } catch {
            for file in temporaries { try? FileManager.default.removeItem(at: file) }
            throw error
        }
    }

    /// A completion request: the prompt verbatim (its special tokens parsed, as a raw prompt is the one place
    /// they may be written), text only.
    func completion(_ request: CompletionRequest) throws -> PreparedRequest {
        guard !request.prompt.text.isEmpty else { throw APIError.badRequest("the prompt is empty", param: "prompt") }
        let ids = loom.tokenizer.encode(request.prompt.text)
        var parameters = try baseParameters(maxTokens: request.maxTokens ?? 16, temperature: request.temperature, topP: request.topP,
                                            topK: request.topK, seed: request.seed, stop: request.stop)
        if let logprobs = request.logprobs {
            guard (0...5).contains(logprobs) else {
                throw APIError.badRequest("logprobs must be 0…5 for completions, is \(logprobs)", code: "unsupported_parameter", param: "logprobs")
            }
            parameters.topLogprobs = logprobs
        }
        return PreparedRequest(prompt: [.tokens(ids)], positions: ids.count, choices: try choices(parameters, n: request.n), temporaries: [])
    }

    /// The checkpoint's defaults with the request's values.
    func baseParameters(maxTokens: Int?, temperature: Float?, topP: Float?, topK: Int?, seed: UInt64?, stop: StopField?) throws -> GenerationParameters {
        var parameters = loom.defaultParameters
        if let maxTokens {
            guard maxTokens >= 1 else { throw APIError.badRequest("max_tokens must be ≥ 1, is \(maxTokens)", param: "max_tokens") }
            parameters.maxNewTokens = maxTokens
        }
        if let temperature {
            guard (0...2).contains(temperature) else {
                throw APIError.badRequest("temperature must be within 0…2, is \(temperature)", param: "temperature")
            }
            parameters.temperature = temperature
        }
        if let topP { parameters.topP = topP }
        if let topK { parameters.topK = topK }
        if let seed { parameters.seed = seed }
        if let stop {
            guard stop.strings.count <= 16, stop.strings.allSatisfy({ !$0.isEmpty }) else {
                throw APIError.badRequest("stop takes at most 16 non-empty strings", param: "stop")
            }
            parameters.stopStrings = stop.strings
        }
        try parameters.validate()
        return parameters
    }

    /// `n` choices: seeds follow one another so that sampled choices differ.
    func choices(_ parameters: GenerationParameters, n: Int?) throws -> [GenerationParameters] {
        let count = n ?? 1
        guard (1...16).contains(count) else { throw APIError.badRequest("n must be within 1…16, is \(count)", param: "n") }
        return (0..<count).map { index in
            var choice = parameters
            choice.seed = parameters.seed &+ UInt64(index)
            return choice
        }
    }

    /// Refuses too many images or videos before fetching or decoding any.
    func checkMediaCounts(_ request: ChatCompletionRequest) throws {
        var images = 0, videos = 0
        let frames = try frames(request)
        for message in request.messages {
            for part in message.content {
                switch part {
                case .image: images += 1
                case .views(let urls): images += urls.count
                case .video:
                    videos += 1
                    images += frames
                case .text: break
                }
            }
        }
        if videos > configuration.maxVideosPerPrompt {
            throw APIError.badRequest("At most \(configuration.maxVideosPerPrompt) video(s) may be provided in one prompt. "
                + "Set `--limit-mm-per-prompt` to increase this limit.", code: "too_many_media_items", param: "messages")
        }
        if images > configuration.maxImagesPerPrompt {
            throw APIError.badRequest("At most \(configuration.maxImagesPerPrompt) image(s) may be provided in one prompt "
                + "(video frames and views count as images; this one has \(images)). Set `--limit-mm-per-prompt` to increase this limit.",
                code: "too_many_media_items", param: "messages")
        }
    }

    /// With `--bind-image-markers`: the message's `<image>` markers each take the message's next image, when the
    /// counts match; nil when its text has no marker.
    func boundMarkers(_ parts: [ContentPart], message: Int) throws -> [ContentPart]? {
        let text = parts.compactMap { if case .text(let t) = $0 { t } else { nil } }.joined(separator: "\n")
        let images = parts.filter { if case .image = $0 { true } else { false } }
        let markers = text.components(separatedBy: PromptTemplate.imageMarker).count - 1
        guard markers > 0 else { return nil }
        guard markers == images.count, parts.allSatisfy({ if case .views = $0 { false } else if case .video = $0 { false } else { true } }) else {
            throw APIError.badRequest("messages[\(message)] has \(markers) <image> marker(s) but \(images.count) image(s)",
                                      param: "messages")
        }
        return try PromptTemplate.parts(text: text, media: images, template: .interleaved)
    }

    func chosenTemplate(_ name: String?) throws -> PromptTemplate {
        guard let name else { return configuration.template ?? (loom.usesOriginalTemplate ? .llava : loom.automaticTemplate) }
        guard let template = PromptTemplate(rawValue: name) else {
            throw APIError.badRequest("loom_template must be checkpoint, hf, interleaved or llava, is '\(name)'", param: "loom_template")
        }
        return template
    }

    func frames(_ request: ChatCompletionRequest) throws -> Int {
        let frames = request.loomFrames ?? request.mediaIOKwargs?.video?.numFrames ?? configuration.videoFrames
        guard (1...256).contains(frames) else { throw APIError.badRequest("frames must be within 1…256, is \(frames)", param: "loom_frames") }
        return frames
    }

    func sampling(_ request: ChatCompletionRequest) throws -> VideoRequest.Sampling {
        switch request.loomSampling {
        case nil: return configuration.videoSampling
        case "uniform": return .uniform
        case "interval": return .interval
        case "fps":
            guard let rate = request.loomFPS, rate > 0 else { throw APIError.badRequest("loom_sampling fps needs loom_fps > 0", param: "loom_fps") }
            return .fps(rate)
        case let other?: throw APIError.badRequest("loom_sampling must be uniform, interval or fps, is '\(other)'", param: "loom_sampling")
        }
    }
}
