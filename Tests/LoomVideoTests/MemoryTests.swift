import Testing
@testable import LoomVideo

@Suite("Sampling decodes once, converts only the chosen frames and stops after the last")
struct MemoryTests {
    @Test("16 uniform frames of a 300-frame video: 300 decoded, 16 converted and kept")
    func uniformKeepsOnlyChosen() throws {
        let video = try VideoFile(path: VideoFixtures.path("long.mp4"))
        #expect(video.info.frameCount == 300)
        var statistics = DecodeStatistics()
        let sampled = try video.sample(.uniform(count: 16), statistics: &statistics)
        #expect(sampled.frames.count == 16)
        #expect(statistics.framesConverted == 16)
        #expect(statistics.framesDecoded == 300)
        #expect(statistics.packetsRead == 300)
    }

    @Test("decoding stops after the last chosen frame")
    func stopsEarly() throws {
        let video = try VideoFile(path: VideoFixtures.path("long.mp4"))
        var statistics = DecodeStatistics()
        let sampled = try video.sample(.interval(count: 16), statistics: &statistics)
        #expect(sampled.indices == Array(stride(from: 0, through: 288, by: 18)))
        #expect(statistics.framesConverted == 17)
        #expect(statistics.framesDecoded == 289)
        #expect(statistics.packetsRead < 300)
    }
}
