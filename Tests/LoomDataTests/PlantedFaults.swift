import Foundation
import LoomTestSupport

/// A data file with one planted fault per record kind, and its media folder, written to a temporary directory:
/// the fixture `validate` must find every fault in, at the right record index.
enum PlantedFaults {
    /// The indices of the valid records.
    static let valid: Set<Int> = [0, 6, 8]
    /// Record index → a fragment of the problem reported for it.
    static let faults: [Int: String] = [
        1: "missing field `conversations`",
        2: "1 <image> marker in the human turns for 2 images",
        3: "turn 0 is from \"gpt\", expected \"human\"",
        4: "missing file",
        5: "does not decode",
        7: "invalid UTF-8",
        9: "path leaves the media root",
        10: "the file ends inside record 10 (truncated JSON)",
    ]

    /// Writes `data.json` and `media/` under a new temporary directory; returns the directory.
    static func write() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("loom-planted-\(UUID().uuidString)")
        let media = directory.appendingPathComponent("media")
        let frames = media.appendingPathComponent("videos/clip-1")
        try FileManager.default.createDirectory(at: frames, withIntermediateDirectories: true)
        let jpeg = Fixtures.url("llava/images/coffee.jpg")
        for name in ["a.jpg", "b.jpg"] { try FileManager.default.copyItem(at: jpeg, to: media.appendingPathComponent(name)) }
        for name in ["000.jpeg", "001.jpeg"] { try FileManager.default.copyItem(at: jpeg, to: frames.appendingPathComponent(name)) }
        try Data(repeating: 0x5A, count: 100).write(to: media.appendingPathComponent("corrupt.jpg"))
        let turns = #""conversations": [{"from": "human", "value": "<image><image>\nWhat changed?"}, {"from": "gpt", "value": "Nothing."}]"#
        var text = "[\n"
        text += #"{"sample_id": 100, "image": ["a.jpg", "b.jpg"], \#(turns)},"# + "\n"
        text += #"{"sample_id": 101, "image": ["a.jpg", "b.jpg"]},"# + "\n"
        text += #"{"sample_id": 102, "image": ["a.jpg", "b.jpg"], "conversations": [{"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "No."}]},"# + "\n"
        text += #"{"sample_id": 103, "image": ["a.jpg", "b.jpg"], "conversations": [{"from": "gpt", "value": "<image><image>Hi"}, {"from": "human", "value": "Yes"}]},"# + "\n"
        text += #"{"sample_id": 104, "image": ["a.jpg", "missing.jpg"], \#(turns)},"# + "\n"
        text += #"{"sample_id": 105, "image": ["a.jpg", "corrupt.jpg"], \#(turns)},"# + "\n"
        text += #"{"sample_id": 106, "conversations": [{"from": "human", "value": "Hello"}, {"from": "gpt", "value": "Hi [with] {brackets} \"quoted\""}]},"# + "\n"
        var bytes = Array(text.utf8)
        bytes += Array(#"{"sample_id": 107, "conversations": [{"from": "human", "value": "bad "#.utf8) + [0xFF, 0xFE]
            + Array(#" bytes"}, {"from": "gpt", "value": "x"}]},"#.utf8) + [0x0A]
        bytes += Array((#"{"sample_id": 108, "video": "videos/clip-1", "conversations": [{"from": "human", "value": "<image>\nWhat happens?"}, {"from": "gpt", "value": "A cup."}]},"# + "\n").utf8)
        bytes += Array((#"{"sample_id": 109, "image": ["a.jpg", "../../../etc/passwd"], \#(turns)},"# + "\n").utf8)
        bytes += Array(#"{"sample_id": 110, "image": ["a.jpg"], "conversations": [{"from": "human", "value": "<ima"#.utf8)
        try Data(bytes).write(to: directory.appendingPathComponent("data.json"))
        return directory
    }
}
