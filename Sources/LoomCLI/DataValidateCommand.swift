import ArgumentParser
import Foundation
import LoomData

/// `loom data validate`: every record checked; problems printed as `record index, sample id, what`.
struct DataValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check every record of a data file before training on it.",
        discussion: """
        Checks: JSON and UTF-8, required fields and their types, turns alternating human/gpt from human, one <image> \
        marker in the human turns per image (one for a video), none in gpt turns; with --media-root every path \
        exists under it (never outside it), with --check-media every image and sampled video frame decodes. \
        Problems go to standard output as `record index, sample id, what` (index 0-based in the file), a summary to \
        standard error. Exit status 1 when any record is invalid or the file is malformed.

        Example: loom data validate m4_instruct_annotations.json --media-root data/ --check-media
        """)

    @Argument(help: "The data file (JSON array or JSON Lines).") var file: String
    @Option(help: "The folder the records' image and video paths are relative to (checks that they exist).") var mediaRoot: String?
    @Flag(help: "Also decode every image and the sampled frames of every video (needs --media-root).") var checkMedia = false
    @Option(help: "Frames sampled from each video for --check-media.") var videoFrames = 10

    func validate() throws {
        if checkMedia && mediaRoot == nil { throw ValidationError("--check-media needs --media-root DIR") }
        if videoFrames < 1 { throw ValidationError("--video-frames must be at least 1") }
        if let mediaRoot {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: mediaRoot, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--media-root \(mediaRoot) is not a folder")
            }
        }
    }

    func run() throws {
        let media = mediaRoot.map { MediaCheck(root: URL(fileURLWithPath: $0, isDirectory: true), decode: checkMedia, videoFrames: videoFrames) }
        let validator = RecordValidator(media: media)
        let stream = try RecordStream(path: file)
        var invalid = 0
        var kinds: [ProblemKind: Int] = [:]
        var fileError: DataFileError?
        var result = (records: 0, seconds: 0.0)
        do {
            result = try forEachRecord(in: stream, label: "validate") { raw in
                let problems = validator.problems(in: raw)
                if !problems.isEmpty {
                    invalid += 1
                    for problem in problems {
                        writeOut("\(problem)\n")
                        kinds[problem.kind, default: 0] += 1
                    }
                }
            }
        } catch let error as DataFileError {
            fileError = error
            writeOut("\(error.problem)\n")
            result.records = error.recordIndex
        }
        let rate = result.seconds > 0 ? Int(Double(result.records) / result.seconds) : 0
        writeError("\(file): \(result.records) records checked in \(String(format: "%.1f", result.seconds)) s (\(rate) records/s): \(result.records - invalid) valid, \(invalid) invalid")
        for (kind, count) in kinds.sorted(by: { $0.key < $1.key }) { writeError("  \(count) × \(kind.rawValue)") }
        if let fileError { writeError("  the file is malformed: \(fileError.reason); records after it were not read") }
        if invalid > 0 || fileError != nil { throw ExitCode(1) }
    }
}
