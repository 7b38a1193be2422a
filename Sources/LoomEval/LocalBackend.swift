import Foundation
import LoomData
import LoomGeneration
import LoomJSON
import LoomKit
import LoomMedia
import LoomPrompt
import LoomVideo

/// Answers with a model loaded in this process, through its engine (samples submitted from several threads are
/// batched together).
public final class LocalBackend: AnswerBackend, @unchecked Sendable {
    public let loom: LoomModel
    public let modelID: String

    public init(loom: LoomModel) {
        self.loom = loom
        modelID = loom.directory.lastPathComponent
    }

    public func answer(_ sample: BenchSample, protocol evalProtocol: EvalProtocol, settings: EvalSettings) throws -> [EvalResult] {
        var parameters = loom.defaultParameters
        parameters.maxNewTokens = settings.maxNewTokens ?? evalProtocol.maxNewTokens
        parameters.temperature = 0
        parameters.stopStrings = []
        let template = settings.promptTemplate
        var results: [EvalResult] = []
        var previous: RenderedPrompt?
        for turn in sample.turns.indices {
            let prompt: RenderedPrompt
            if let previous, let last = results.last {
                // model_vqa.py: the previous ids, the generated ids (with the end token), then the new question as a
                // conversation of its own (system block included).
                let question = evalProtocol.questionText(sample, turn: turn)
                let next = try loom.preparePrompt(Conversation.user([.text(question)]), template: template).prompt
                let generated = loom.tokenizer.encode(last.prediction, parseSpecialTokens: false) + endToken
                prompt = RenderedPrompt(text: previous.text + last.prediction + next.text,
                                        chunks: previous.chunks + [.text(generated)] + next.chunks,
                                        imageTokenID: loom.renderer.vision?.imageTokenID ?? 0)
            } else {
                prompt = try firstPrompt(sample, protocol: evalProtocol, settings: settings)
            }
            let started = Date()
            let result = try loom.generate(prompt, parameters: parameters)
            var timings = JSONObject()
            timings.append("queue_ms", .number(result.timings.queueMs))
            timings.append("first_token_ms", .number(result.timings.firstTokenMs))
            timings.append("total_ms", .number(Date().timeIntervalSince(started) * 1000))
            timings.append("prompt_tokens", .int(prompt.ids.count))
            timings.append("generated_tokens", .int(result.tokenIDs.count))
            results.append(EvalResult(dataset: sample.dataset, sampleIDValue: sample.sampleIDValue, turn: turn, prompt: sample.turns[turn].question,
                                      prediction: Self.cleaned(result.text), answer: sample.turns[turn].answer,
                                      questionType: sample.questionType, options: sample.options, modelID: modelID,
                                      evalProtocol: evalProtocol.rawValue, timings: timings))
            previous = prompt
        }
        return results
    }

    /// The prompt of `sample`'s first turn as a run asks it: its images (and video) where the question's `<image>`
    /// markers put them, rendered with the settings' template (the protocol's, `llava`, by default).
    public func firstPrompt(_ sample: BenchSample, protocol evalProtocol: EvalProtocol, settings: EvalSettings) throws -> RenderedPrompt {
        var media: [ContentPart] = try sample.images.map { .image(try evalProtocol.image(try settings.resolve($0), limits: loom.imageLimits)) }
        var question = evalProtocol.questionText(sample, turn: 0)
        if let video = sample.video {
            let (part, marker) = try videoPart(try settings.resolve(video), settings: settings)
            media.append(part)
            if sample.images.isEmpty, ImageMarker.count(in: question) == 1 {
                // M4-Instruct: a video record's one <image> marker stands for all its frames.
                question = question.replacingOccurrences(of: ImageMarker.text, with: marker)
            }
        }
        let template = settings.promptTemplate
        let parts = try PromptTemplate.parts(text: question, media: media, template: template)
        return try loom.preparePrompt(Conversation.user(parts), template: template).prompt
    }

    /// A video file as a video request, or a frame folder (M4-Instruct) as a block of its frames sampled as training
    /// samples them (sorted by name, `linspace` over them); with the marker that places it in the text.
    private func videoPart(_ url: URL, settings: EvalSettings) throws -> (ContentPart, String) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return (.video(VideoRequest(url: url, frames: settings.videoFrames)), PromptTemplate.videoMarker)
        }
        let frames = try MediaCheck(root: settings.mediaRoot, decode: true, videoFrames: settings.videoFrames, limits: loom.imageLimits)
            .frames(of: url)
        return (.views(frames.map { .pixels($0) }), PromptTemplate.viewsMarker)
    }

    /// `<|im_end|>`: what ends a generated answer in the ids the next turn continues from.
    private var endToken: [Int] { loom.tokenizer.id(for: "<|im_end|>").map { [$0] } ?? [] }

    /// model_vqa.py's clean-up: stripped, a trailing `<|im_end|>` removed, stripped again.
    static func cleaned(_ text: String) -> String {
        var output = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if output.hasSuffix("<|im_end|>") { output.removeLast("<|im_end|>".count) }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
