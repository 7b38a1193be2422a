import Testing
@testable import LoomVideo

@Suite("Decoded frames, indices, times and info match PyAV's")
struct DecodeTests {
    static let videos = VideoFixtures.expected.videos

    @Test("info: size after rotation, frame count, rate, duration, codec", arguments: videos)
    func info(_ expected: VideoFixtures.Video) throws {
        let info = try VideoFile(path: VideoFixtures.path(expected.file)).info
        #expect(info.width == expected.width)
        #expect(info.height == expected.height)
        #expect(info.rotation == expected.rotation)
        #expect(info.frameCount == expected.frameCount)
        #expect(info.frameCountSource == (expected.containerFrames > 0 ? .container : .packets))
        #expect(abs(info.averageFrameRate - expected.averageFps) < 1e-9)
        #expect(abs(info.duration - expected.duration) < 1e-9)
        #expect(info.codec == expected.codec)
    }

    @Test("uniform n=8 frames are within ±1 of PyAV's to_ndarray(rgb24), turned for display", arguments: videos)
    func uniformFrames(_ expected: VideoFixtures.Video) throws {
        let sampled = try VideoFile(path: VideoFixtures.path(expected.file)).sample(.uniform(count: 8))
        #expect(sampled.indices == expected.uniform8)
        #expect(sampled.timestamps == expected.uniform8.map { expected.timestamps[$0] })
        let reference = try expected.expectedFrames()
        try #require(sampled.frames.count == reference.count)
        for (frame, pixels) in zip(sampled.frames, reference) {
            #expect(frame.width == expected.width && frame.height == expected.height)
            #expect(maxByteDifference(frame.pixels, pixels) <= 1)
        }
    }

    @Test("interval and fps sampling pick the reference indices and times", arguments: videos)
    func otherRules(_ expected: VideoFixtures.Video) throws {
        let video = try VideoFile(path: VideoFixtures.path(expected.file))
        let interval = try video.sample(.interval(count: 8))
        #expect(interval.indices == expected.interval8)
        #expect(interval.timestamps == expected.interval8.map { expected.timestamps[$0] })
        let fps = try video.sample(.fps(rate: VideoFixtures.expected.fpsRate, maxCount: 8))
        #expect(fps.indices == expected.fps2max8)
        #expect(fps.frames.count == expected.fps2max8.count)
    }

    @Test("a rotated video's frames are the stored frames turned clockwise")
    func rotationTurnsClockwise() {
        let pixels: [UInt8] = (0..<6).flatMap { [UInt8($0), 0, 0] }  // 3 wide, 2 high: 0 1 2 / 3 4 5
        let quarter = DisplayRotation.turn(pixels, width: 3, height: 2, degrees: 90)
        #expect(quarter.width == 2 && quarter.height == 3)
        #expect(stride(from: 0, to: 18, by: 3).map { quarter.pixels[$0] } == [3, 0, 4, 1, 5, 2])
        let half = DisplayRotation.turn(pixels, width: 3, height: 2, degrees: 180)
        #expect(stride(from: 0, to: 18, by: 3).map { half.pixels[$0] } == [5, 4, 3, 2, 1, 0])
        let threeQuarters = DisplayRotation.turn(pixels, width: 3, height: 2, degrees: 270)
        #expect(stride(from: 0, to: 18, by: 3).map { threeQuarters.pixels[$0] } == [2, 5, 1, 4, 0, 3])
    }
}
