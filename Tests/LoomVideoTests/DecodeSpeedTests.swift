import Foundation
import Testing
@testable import LoomVideo

/// Decoding speed on a video named by `LOOM_VIDEO_BENCH` (skipped without it), e.g. a 1080p H.264 clip made with
/// `ffmpeg -f lavfi -i testsrc2=size=1920x1080:rate=30:duration=5 -pix_fmt yuv420p -c:v libx264 bench.mp4`.
@Suite("Decoding speed")
struct DecodeSpeedTests {
    static let path = ProcessInfo.processInfo.environment["LOOM_VIDEO_BENCH"]

    @Test("decode every frame, convert 16", .enabled(if: path != nil))
    func decodeSpeed() throws {
        let video = try VideoFile(path: try #require(Self.path))
        var statistics = DecodeStatistics()
        let start = Date()
        let sampled = try video.sample(.uniform(count: 16), statistics: &statistics)
        let seconds = Date().timeIntervalSince(start)
        #expect(sampled.frames.count == min(16, video.info.frameCount))
        print("""
            \(video.info.codec) \(video.info.width)×\(video.info.height): \(statistics.framesDecoded) frames decoded, \
            \(statistics.framesConverted) converted in \(String(format: "%.3f", seconds)) s = \
            \(String(format: "%.2f", seconds * 1000 / Double(statistics.framesDecoded))) ms per frame
            """)
    }
}
