import Foundation
import LoomCore
@testable import LoomHub

/// Builds hub-cache trees in a temporary folder in each of the layouts huggingface_hub produces, so the reader can
/// be tested without Python: relative symlinks into `blobs/`, two-level chains into the cache-wide shared store,
/// copies (symlinks disabled), `.no_exist` markers, refs with or without a newline, tree listings.
final class CacheTreeBuilder {
    /// How a snapshot file is stored.
    enum Layout {
        /// `snapshots/<c>/<path> -> ../../blobs/<etag>` (huggingface_hub's default).
        case symlink
        /// As `.symlink`, and `blobs/<etag> -> ../../blobs/<2 hex>/<hash>` in the shared store (2.x with Xet).
        case sharedStore
        /// A plain copy in the snapshot (`HF_HUB_DISABLE_SYMLINKS`, or no symlink support).
        case copy
    }

    let root: URL
    let repoID: String

    init(repoID: String = "org/model") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("loom-hub-\(UUID().uuidString)", isDirectory: true)
        self.repoID = repoID
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    var cache: HubCache { HubCache(root: root) }
    var repo: URL { root.appendingPathComponent("models--" + repoID.replacingOccurrences(of: "/", with: "--")) }

    /// A 40-hex commit id derived from `seed`.
    static func commit(_ seed: String) -> String {
        var hasher = GitSHA1()
        hasher.update(Array(seed.utf8))
        return hasher.hexDigest()
    }

    /// Adds `path` with `content` to snapshot `commit` in `layout`.
    func add(_ path: String, _ content: Data, commit: String, layout: Layout = .symlink) throws {
        let manager = FileManager.default
        let lfs = path.hasSuffix(".safetensors")
        let etag: String
        if lfs {
            etag = SHA256.hex([UInt8](content))
        } else {
            var hasher = GitSHA1(blobSize: content.count)
            hasher.update([UInt8](content))
            etag = hasher.hexDigest()
        }
        let destination = repo.appendingPathComponent("snapshots/\(commit)/\(path)")
        try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        switch layout {
        case .copy:
            try content.write(to: destination)
            return
        case .symlink:
            try manager.createDirectory(at: repo.appendingPathComponent("blobs"), withIntermediateDirectories: true)
            try content.write(to: repo.appendingPathComponent("blobs/\(etag)"))
        case .sharedStore:
            let hash = SHA256.hex([UInt8]("xet:\(etag)".utf8))
            let prefix = String(hash.prefix(2))
            let store = root.appendingPathComponent("blobs/\(prefix)")
            try manager.createDirectory(at: store, withIntermediateDirectories: true)
            try Data("1\n".utf8).write(to: root.appendingPathComponent("blobs/.huggingface-shared-blobs"))
            try content.write(to: store.appendingPathComponent(hash))
            try manager.createDirectory(at: repo.appendingPathComponent("blobs"), withIntermediateDirectories: true)
            try manager.createSymbolicLink(atPath: repo.appendingPathComponent("blobs/\(etag)").path,
                                           withDestinationPath: "../../blobs/\(prefix)/\(hash)")
        }
        let depth = path.split(separator: "/").count - 1
        try manager.createSymbolicLink(atPath: destination.path,
                                       withDestinationPath: String(repeating: "../", count: depth + 2) + "blobs/\(etag)")
    }

    /// Adds a text file.
    func add(_ path: String, _ text: String, commit: String, layout: Layout = .symlink) throws {
        try add(path, Data(text.utf8), commit: commit, layout: layout)
    }

    /// A small sharded model: config, index naming two shards, the shards, a tokenizer.
    func addModel(commit: String, layout: Layout = .symlink, skipping: Set<String> = []) throws {
        let files: [(String, String)] = [
            ("config.json", #"{"model_type": "llava"}"#),
            ("model.safetensors.index.json", #"{"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}"#),
            ("model-00001-of-00002.safetensors", "shard one"),
            ("model-00002-of-00002.safetensors", "shard two"),
            ("tokenizer.json", "{}"),
        ]
        for (path, text) in files where !skipping.contains(path) {
            try add(path, text, commit: commit, layout: layout)
        }
    }

    /// Writes `refs/<revision>`.
    func ref(_ revision: String, _ commit: String, newline: Bool = false) throws {
        let url = repo.appendingPathComponent("refs/\(revision)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data((commit + (newline ? "\n" : "")).utf8).write(to: url)
    }

    /// Touches `.no_exist/<commit>/<path>`.
    func noExist(_ path: String, commit: String) throws {
        let url = repo.appendingPathComponent(".no_exist/\(commit)/\(path)")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: url.path, contents: Data())
    }

    /// Writes `trees/<commit>.json` listing `paths`.
    func tree(_ paths: [String], commit: String) throws {
        let files = Dictionary(uniqueKeysWithValues: paths.map { ($0, ["size": 1, "blob_id": "x"] as [String: Any]) })
        let data = try JSONSerialization.data(withJSONObject: ["format_version": 1, "files": files])
        let url = repo.appendingPathComponent("trees/\(commit).json")
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url)
    }
}
