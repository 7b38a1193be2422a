import Foundation
import LoomCore
import LoomEngine
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

    /// Time to first token of the frames plus the run's text tokens through the engine: decoding (measured above),
    /// preprocessing, the vision tower and prefill.
    mutating func run(_ run: BenchRun, encoder: any ImageEncoding) throws {
        let start = DispatchTime.now()
        let prompt = sampled.frames.map { EngineInput.image(EngineImage($0, encoder: encoder)) } + [.tokens(run.textIDs(run.textTokens))]
        let firstTokenMs = try run.generate(prompt, decode: false, since: start).firstTokenMs
        report.tokens = prompt.reduce(0) { $0 + $1.positions }
        report.timeToFirstTokenMs = report.decodeMs + firstTokenMs
    }
}
