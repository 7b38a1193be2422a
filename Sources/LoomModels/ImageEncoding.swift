import Foundation
import LoomCore
import LoomMedia

/// How a vision-language model turns one decoded image into decoder rows: how many prompt positions it takes, its
/// preprocessing, and its projected features. Chosen once per model (one view per image, or AnyRes tiles);
/// callers never look at the concrete model.
public protocol ImageEncoding: Sendable {
    /// The id that marks image positions in a rendered prompt.
    var imageTokenID: Int { get }
    /// Prompt positions an image of `width` × `height` pixels takes: the one function that owns the image-token
    /// count (``features(of:)`` gives exactly this many rows).
    func positions(width: Int, height: Int) -> Int
    /// What, besides the pixels, decides an image's features (part of its feature-cache key).
    var settings: String { get }
    /// The preprocessed pixels of `image`: `[3, H, W]` for one view, `[1 + tiles, 3, H, W]` for a tiled image.
    func pixels(of image: RGBImage) -> Tensor
    /// The encoding of `image` (preprocessed now), to run a few tower layers at a time; its result is
    /// `[positions(width:height:), hiddenSize]` decoder-ready features, the same however it is split.
    func startEncoding(_ image: RGBImage) throws -> any ImageEncodingJob
}

/// An image (or a batch of views) being encoded: the vision tower run a few layers at a time, then projected.
public protocol ImageEncodingJob: AnyObject {
    /// Runs up to `layers` more tower layers (at least one while any is left); returns the features once done.
    func advance(layers: Int) throws -> Tensor?
}

extension ImageEncodingJob {
    /// Runs every remaining layer; the features.
    public func finish() throws -> Tensor {
        while true {
            if let features = try advance(layers: .max) { return features }
        }
    }
}

extension ImageEncoding {
    /// Decoder-ready features of `image`, encoded in one go: `[positions(width:height:), hiddenSize]`.
    public func features(of image: RGBImage) throws -> Tensor { try startEncoding(image).finish() }

    /// The feature-cache key of `image` under this encoding: a SHA-256 of its size, the settings and its pixels.
    public func contentKey(of image: RGBImage) -> String {
        imageContentKey(width: image.width, height: image.height, pixels: image.pixels, settings: settings)
    }
}

/// The feature-cache key of an image: a SHA-256 of its size, the `settings` that turn it into features, and its
/// RGB `pixels` — decided by content, never by where the image came from.
public func imageContentKey(width: Int, height: Int, pixels: [UInt8], settings: String) -> String {
    var hasher = SHA256()
    hasher.update(Array("\(width)x\(height)|\(settings)|".utf8))
    hasher.update(pixels)
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
}

/// A vision-language model: a decoder that also takes images (llava, llava_next, llava_qwen).
public protocol VisionLanguageModel: LoadedModel {
    /// Whether prompts use the original LLaVA-NeXT conversation (`llava` template) by default: the original
    /// checkpoints' tokenizers carry no chat template.
    var usesOriginalTemplate: Bool { get }
    /// Side of the vision tower's square input, in pixels (the AnyRes tile size).
    var towerImageSize: Int { get }
    /// What encoding one view costs.
    var visionWorkload: VisionWorkload { get }
    /// How this checkpoint's images become decoder rows, with the preprocessing files of `directory` (defaults
    /// when absent or nil). `anyResPinpoints` tiles images at those `[height, width]` resolutions (the
    /// llava-interleave multi-patch shape); nil takes the checkpoint's own way.
    func imageEncoder(directory: URL?, anyResPinpoints: [[Int]]?) throws -> any ImageEncoding
}
