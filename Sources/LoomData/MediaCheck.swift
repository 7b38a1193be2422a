import Foundation
import LoomMedia
import LoomVideo

/// Where a record's media live and how hard to check them: `root` joined with each relative path must exist;
/// with `decode`, images (and the sampled frames of videos) must also decode.
public struct MediaCheck: Sendable {
    public var root: URL
    public var decode: Bool
    /// Frames sampled from a video or frame folder for decoding (the authors train on 10).
    public var videoFrames: Int
    public var limits: ImageLimits

    public init(root: URL, decode: Bool = false, videoFrames: Int = 10, limits: ImageLimits = .default) {
        self.root = root.standardizedFileURL
        self.decode = decode
        self.videoFrames = videoFrames
        self.limits = limits
    }

    /// The file extensions of the frames in a frame folder.
    public static let frameExtensions: Set<String> = ["jpeg", "jpg", "png", "webp"]

    /// Problems with the media of `record` (empty when every path resolves and, with `decode`, decodes).
    public func problems(in record: DataRecord) -> [String] {
        var problems: [String] = []
        for (position, path) in record.images.enumerated() {
            let field = record.imageIsString ? "image" : "image[\(position)]"
            switch resolve(path) {
            case .failure(let problem): problems.append("\(field) \(quoted(path)): \(problem.reason)")
            case .success(let url):
                if let problem = checkImage(url) { problems.append("\(field) \(quoted(path)): \(problem)") }
            }
        }
        if let video = record.video {
            switch resolve(video) {
            case .failure(let problem): problems.append("video \(quoted(video)): \(problem.reason)")
            case .success(let url):
                if let problem = checkVideo(url) { problems.append("video \(quoted(video)): \(problem)") }
            }
        }
        return problems
    }

    /// The file `path` names under the root: never an absolute path or one that climbs out of the root.
    public func resolve(_ path: String) -> Result<URL, RecordError> {
        if path.isEmpty { return .failure(RecordError("empty path")) }
        if path.hasPrefix("/") { return .failure(RecordError("absolute path (paths are relative to the media root)")) }
        var depth = 0
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            if component == ".." { depth -= 1 } else if component != "." { depth += 1 }
            if depth < 0 { return .failure(RecordError("path leaves the media root")) }
        }
        return .success(root.appendingPathComponent(path).standardizedFileURL)
    }

    private func checkImage(_ url: URL) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return "missing file" }
        if isDirectory.boolValue { return "a directory, not an image" }
        guard decode else { return nil }
        do {
            _ = try ImageDecoder.decode(contentsOf: url, limits: limits)
            return nil
        } catch {
            return "does not decode: \(error)"
        }
    }

    private func checkVideo(_ url: URL) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return "missing file or folder" }
        if isDirectory.boolValue {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            let frames = names.filter { Self.frameExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            if frames.isEmpty { return "a folder with no frames (.jpeg, .jpg, .png, .webp)" }
            guard decode else { return nil }
            for index in FrameSampling.uniformIndices(total: frames.count, count: videoFrames) {
                do {
                    _ = try ImageDecoder.decode(contentsOf: url.appendingPathComponent(frames[index]), limits: limits)
                } catch {
                    return "frame \(frames[index]) does not decode: \(error)"
                }
            }
            return nil
        }
        guard decode else { return nil }
        do {
            _ = try VideoFile(path: url.path).sample(.uniform(count: videoFrames))
            return nil
        } catch {
            return "does not decode: \(error)"
        }
    }

    private func quoted(_ path: String) -> String { "\"\(path)\"" }
}
