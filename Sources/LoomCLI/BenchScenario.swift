import ArgumentParser

/// A named `loom bench` workload.
enum BenchScenario: String, CaseIterable, ExpressibleByArgument {
    /// One 384 px image plus the text tokens (775 tokens with 46 text tokens).
    case oneImage = "1-image"
    /// Four images plus text (2962 tokens).
    case fourImages = "4-images"
    /// Sixteen video frames plus text (11710 tokens).
    case sixteenFrames = "16-frames"
    /// Greedy decoding after a one-image prompt.
    case decode
    /// `--batch` conversations with their own one-image prompts decoding together (prefill excluded), and the time
    /// to first token of a request arriving while they decode.
    case batchDecode = "batch-decode"

    /// Images in the prompt whose time to first token the scenario measures; nil for batch decoding.
    var imageCount: Int? {
        switch self {
        case .oneImage, .decode: return 1
        case .fourImages: return 4
        case .sixteenFrames: return 16
        case .batchDecode: return nil
        }
    }
}
