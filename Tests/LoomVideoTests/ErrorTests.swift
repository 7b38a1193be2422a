import Foundation
import Testing
@testable import LoomVideo

@Suite("Unreadable videos fail with one line naming the file and the problem")
struct ErrorTests {
    @Test("each broken fixture fails with the expected kind",
          arguments: VideoFixtures.expected.errors.sorted { $0.key < $1.key })
    func fixtureFails(_ file: String, kind: String) throws {
        let path = VideoFixtures.path(file)
        let error = try #require(throws: VideoError.self) { try VideoFile(path: path).sample() }
        #expect(error.kind.rawValue == kind, "\(error)")
        expectOneLine(error, path)
    }

    @Test("messages say what is wrong", arguments: [
        ("audio.m4a", "no video stream: the file holds only audio (aac)"),
        ("zero.y4m", "no frames: the video stream holds no frames"),
        ("truncated.mp4", "cannot open video: moov atom not found"),
        ("truncated_faststart.mp4", "truncated video: the container promises 24 frames but the data ends after"),
    ])
    func messages(file: String, phrase: String) throws {
        let error = try #require(throws: VideoError.self) { try VideoFile(path: VideoFixtures.path(file)).sample() }
        #expect(error.description.contains(phrase), "\(error)")
    }

    @Test("a missing file")
    func missingFile() throws {
        let path = VideoFixtures.path("no-such-video.mp4")
        let error = try #require(throws: VideoError.self) { try VideoFile(path: path) }
        #expect(error.kind == .fileNotFound)
        #expect(error.description == "\(path): no such file: the file does not exist")
    }

    @Test("bytes that are no container, and an empty file")
    func unknownFormat() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-video-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = directory.appendingPathComponent("notes.bin")
        try Data(String(repeating: "not a video at all\n", count: 200).utf8).write(to: text)
        let empty = directory.appendingPathComponent("empty.mp4")
        try Data().write(to: empty)
        for (url, phrase) in [(text, "FFmpeg recognises no container format in it"), (empty, "the file is empty")] {
            let error = try #require(throws: VideoError.self) { try VideoFile(path: url.path) }
            #expect(error.kind == .unsupportedFormat)
            #expect(error.description.contains(phrase), "\(error)")
            expectOneLine(error, url.path)
        }
    }

    @Test("sampling rules that cannot be applied", arguments: [
        FrameSampling.uniform(count: 0), .interval(count: -1), .fps(rate: 0, maxCount: 8), .fps(rate: 1, maxCount: 0),
        .fps(rate: .nan, maxCount: 8),
    ])
    func invalidSampling(_ sampling: FrameSampling) throws {
        let path = VideoFixtures.path("h264.mp4")
        let error = try #require(throws: VideoError.self) { try VideoFile(path: path).sample(sampling) }
        #expect(error.kind == .invalidSampling)
        expectOneLine(error, path)
    }

    private func expectOneLine(_ error: VideoError, _ path: String) {
        #expect(error.source == path)
        #expect(error.description.hasPrefix("\(path): \(error.kind.phrase): "))
        #expect(!error.description.contains("\n"))
    }
}
