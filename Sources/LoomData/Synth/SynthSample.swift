import LoomJSON
import LoomMedia

/// How a run writes the text of samples with several pictures (train.md §9.3).
public enum SynthFormat: String, Sendable, CaseIterable {
    /// Every marker first: `<image><image>\nWhat changed?`.
    case front
    /// Each marker on its own captioned line: `Image 1: <image>\nImage 2: <image>\nWhat changed?`.
    case interleaved
    /// Front or interleaved with p = ½ per sample.
    case mixed

    /// The format of the sample of `seed`. `mixed` tosses a coin from a stream of its own, so a seed's pictures,
    /// question and answer never depend on the format.
    public func resolve(seed: UInt64) -> TextFormat {
        switch self {
        case .front: return .front
        case .interleaved: return .interleaved
        case .mixed:
            var coin = SynthRandom(seed: seed ^ Self.formatStream)
            return coin.coin() ? .interleaved : .front
        }
    }

    /// Distinguishes the format coin's stream from the content stream of the same seed.
    private static let formatStream: UInt64 = 0x666F_726D_6174
}

/// The settings of a run shared by its samples.
public struct SynthOptions: Sendable, Equatable {
    /// The side of the images in pixels (the multi-patch task draws at twice this).
    public var imageSize: Int
    public var format: SynthFormat

    public init(imageSize: Int = 48, format: SynthFormat = .mixed) {
        self.imageSize = imageSize
        self.format = format
    }

    /// The image sizes the tasks can draw at (a 3×3 grid of cells at least 8 pixels wide).
    public static let imageSizes = 24...1024
}

/// One generated sample: a task's content for a seed, its text in the chosen format, its media files and its
/// M4-Instruct record (`../shared/spec/data.md` §2) with paths relative to the output folder.
public struct SynthSample: Sendable {
    public let task: String
    public let seed: UInt64
    /// The format of the human turn (always front for a single image: its one marker comes first).
    public let format: TextFormat
    public let content: SynthContent

    /// The sample of `task` for `seed`: the content from the stream of `seed`, the format from `options`.
    public init(task: any SynthTask, seed: UInt64, options: SynthOptions) {
        var random = SynthRandom(seed: seed)
        self.task = task.name
        self.seed = seed
        content = task.draw(&random, size: options.imageSize)
        if case .image = content.media { format = .front } else { format = options.format.resolve(seed: seed) }
    }

    /// `"<task>-<seed>"`: the record's `id`.
    public var id: String { "\(task)-\(seed)" }

    /// The human turn: the question after its markers, placed as `format` places them.
    public var humanText: String {
        let marker = ImageMarker.text
        switch (content.media, format) {
        case (.image, _), (.video, .front):
            return marker + "\n" + content.question
        case (.video, .interleaved):
            return "Video: \(marker)\n" + content.question
        case (.images(let images, _), .front):
            return String(repeating: marker, count: images.count) + "\n" + content.question
        case (.images(let images, let label), .interleaved):
            return (1...images.count).map { "\(label) \($0): \(marker)\n" }.joined() + content.question
        }
    }

    /// The media files: `images/<id>.png` for a single image, `images/<id>_<k>.png` (k from 1) for several,
    /// `videos/<id>/frame_<kk>.png` (kk from 00) for the frames of a video.
    public var files: [(path: String, image: RGBImage)] {
        switch content.media {
        case .image(let image): return [("images/\(id).png", image)]
        case .images(let images, _): return images.enumerated().map { ("images/\(id)_\($0.offset + 1).png", $0.element) }
        case .video(let frames):
            return frames.enumerated().map { ("\(videoFolder)/frame_\($0.offset < 10 ? "0" : "")\($0.offset).png", $0.element) }
        }
    }

    private var videoFolder: String { "videos/\(id)" }

    /// The record: `id`, `image` (a path for a single image, as classic LLaVA data; a list for several) or `video`
    /// (the frame folder), `conversations`, and `metadata` {`dataset`: the task, `question_type`: `exact`, `format`}.
    public var json: JSONObject {
        var object = JSONObject()
        object.append("id", .string(id))
        switch content.media {
        case .image: object.append("image", .string(files[0].path))
        case .images: object.append("image", .array(files.map { .string($0.path) }))
        case .video: object.append("video", .string(videoFolder))
        }
        object.append("conversations", .array([
            .object(JSONObject(["from": .string("human"), "value": .string(humanText)])),
            .object(JSONObject(["from": .string("gpt"), "value": .string(content.answer)])),
        ]))
        object.append("metadata", .object(JSONObject([
            "dataset": .string(task), "question_type": .string(Self.questionType), "format": .string(format.rawValue),
        ])))
        return object
    }

    /// The record as the data tools read it.
    public func record() throws -> DataRecord { try DataRecord(json: json) }

    /// `metadata.question_type` of every synthetic sample: scored by exact match.
    public static let questionType = "exact"
}
