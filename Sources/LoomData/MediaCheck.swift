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
        if isDirectory.boolValue && Self.frameNames(in: url).isEmpty { return "a folder with no frames (.jpeg, .jpg, .png, .webp)" }
        guard decode else { return nil }
        do {
            _ = try frames(of: url)
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// The `videoFrames` frames sampled uniformly from a video file or a folder of frames (sorted by name).
    public func frames(of url: URL) throws -> [RGBImage] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { throw RecordError("missing file or folder") }
        guard isDirectory.boolValue else {
            do {
                return try VideoFile(path: url.path).sample(.uniform(count: videoFrames)).frames
            } catch {
                throw RecordError("does not decode: \(error)")
            }
        }
        let names = Self.frameNames(in: url)
        guard !names.isEmpty else { throw RecordError("a folder with no frames (.jpeg, .jpg, .png, .webp)") }
        return try FrameSampling.uniformIndices(total: names.count, count: videoFrames).map { index in
            do {
                return try ImageDecoder.decode(contentsOf: url.appendingPathComponent(names[index]), limits: limits)
            } catch {
                throw RecordError("frame \(names[index]) does not decode: \(error)")
            }
        }
    }

    /// The frame files of a frame folder, sorted by name.
    static func frameNames(in url: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { frameExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
    }

    private func quoted(_ path: String) -> String { "\"\(path)\"" }
}
