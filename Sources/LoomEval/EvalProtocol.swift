import Foundation
import LoomMedia
import LoomPrompt

/// Which reference's way of asking the questions a run follows.
public enum EvalProtocol: String, Sendable, CaseIterable {
    /// The authors' `model_vqa.py`: the `qwen_1_5` conversation (`llava` template: system prompt, `\n` after each
    /// image), images where the question's `<image>` markers put them, greedy, up to 1024 new tokens; multi-turn
    /// samples continue from the previous turn's ids and generated ids.
    case authors
    /// lmms-eval 0.7.3's `llava_interleave_bench` with its `llava` model: the question with `<image> ` markers
    /// prepended when it has none, the `qwen_1_5` conversation, images padded to a square with the mean colour,
    /// greedy, 16 new tokens.
    case lmmsEval = "lmms-eval"

    /// The reference's new-token limit.
    public var maxNewTokens: Int {
        switch self {
        case .authors: return 1024
        case .lmmsEval: return 16
        }
    }

    /// The question text of `turn` as the model reads it.
    public func questionText(_ sample: BenchSample, turn: Int) -> String {
        let question = sample.turns[turn].question
        switch sample.layout {
        case .nextQA:
            let letters = ["A", "B", "C", "D", "E"]
            return question.trimmingCharacters(in: .whitespacesAndNewlines)
                + zip(letters, sample.options).map { "\n\($0). \($1.trimmingCharacters(in: .whitespacesAndNewlines))" }.joined()
        case .authors, .lmmsEval:
            guard self == .lmmsEval, turn == 0, !sample.images.isEmpty, !question.contains(PromptTemplate.imageMarker) else { return question }
            return Array(repeating: PromptTemplate.imageMarker, count: sample.images.count).joined(separator: " ") + "\n" + question
        }
    }

    /// The image of `url` as the protocol feeds it: lmms-eval pads to a square with SigLIP's mean colour
    /// (`expand2square(image, 127)`) before the model's own preprocessing.
    public func image(_ url: URL, limits: ImageLimits) throws -> ImageSource {
        switch self {
        case .authors: return .file(url)
        case .lmmsEval: return .pixels(try ImageDecoder.decode(contentsOf: url, limits: limits).paddedToSquare(fill: (127, 127, 127)))
        }
    }
}
