import Foundation
import LoomCore
import LoomMedia
import LoomModels
import LoomVideo

/// `loom bench --video FILE`: a video prompt end to end — decoding and sampling the frames, preprocessing, the
/// vision tower and prefill — and the memory decoding takes (measured before the model is loaded).
struct VideoBench {
    /// What the video workload measured.
    struct Report: Encodable {
        let file: String
        let totalFrames: Int
        let frames: Int
        let decodeMs: Double
        let peakRSSAfterDecodeMiB: Double
        var tokens = 0
        var timeToFirstTokenMs = 0.0
        enum CodingKeys: String, CodingKey {
            case file, totalFrames = "total_frames", frames, decodeMs = "decode_ms"
            case peakRSSAfterDecodeMiB = "peak_rss_after_decode_mib", tokens, timeToFirstTokenMs = "time_to_first_token_ms"
        }
    }

    let path: String
    let frames: Int
    private(set) var sampled: SampledVideo
    private(set) var report: Report

    /// Decodes `frames` uniformly sampled frames of `path`, timing it and reading the peak memory afterwards.
    init(path: String, frames: Int) throws {
        self.path = path
        self.frames = frames
        let start = DispatchTime.now()
        sampled = try VideoFile(path: path).sample(.uniform(count: frames))
        report = Report(file: (path as NSString).lastPathComponent, totalFrames: sampled.info.frameCount,
                        frames: sampled.frames.count, decodeMs: millisecondsSince(start), peakRSSAfterDecodeMiB: peakResidentMiB())
    }

    /// Time to first token of the frames plus `textTokens` text tokens: decoding (measured above), preprocessing,
    /// the vision tower and prefill.
    mutating func run(_ llava: LlavaModel, processor: SiglipImageProcessor, textTokens: Int) throws {
        let start = DispatchTime.now()
        let pixels = sampled.frames.map { processor.preprocess($0) }
        let batch = Tensor(shape: [pixels.count] + pixels[0].shape, data: pixels.flatMap(\.data))
        let features = try llava.imageFeatures(batch)
        let decoder = llava.decoder
        let ids = Array(repeating: llava.configuration.imageTokenIndex, count: features.rows)
            + (0..<textTokens).map { ($0 * 7919 + 13) % decoder.vocabularySize }
        _ = decoder.logits(decoder.prefill(try llava.embed(ids: ids, imageFeatures: features), cache: decoder.makeCache()))
        report.tokens = ids.count
        report.timeToFirstTokenMs = report.decodeMs + millisecondsSince(start)
    }
}
