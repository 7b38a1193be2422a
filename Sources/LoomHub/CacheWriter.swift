import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes one repository's part of the cache the way `huggingface_hub` does (`_hf_hub_download_to_cache_dir`):
/// blobs through `blobs/<etag>.<8 hex>.incomplete` and a rename, relative snapshot symlinks (copies when symlinks are
/// disabled), `refs/<revision>` atomically and without a newline, `.no_exist` markers, `CACHEDIR.TAG`, and the
/// per-blob lock `.locks/models--ORG--NAME/<etag>.lock`.
public struct CacheWriter: Sendable {
    /// The cache.
    public let cache: HubCache
    /// The repository.
    public let reference: RepoReference
    /// Copy blobs into snapshots instead of linking them (`HF_HUB_DISABLE_SYMLINKS`).
    public let copies: Bool

    /// `CACHEDIR.TAG`'s content, as huggingface_hub writes it (`_local_folder.py`).
    public static let cacheDirTag = "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by huggingface_hub.\n# For information about cache directory tags, see:\n#\thttps://bford.info/cachedir/\n"

    /// A writer of `reference`'s folder in `cache`.
    public init(cache: HubCache, reference: RepoReference, copies: Bool = false) {
        self.cache = cache
        self.reference = reference
        self.copies = copies
    }

    var repoFolder: URL { cache.repoFolder(reference) }
    var blobs: URL { repoFolder.appendingPathComponent("blobs", isDirectory: true) }

    /// `blobs/<etag>`.
    public func blob(_ etag: String) -> URL { blobs.appendingPathComponent(etag) }

    /// `snapshots/<commit>/<path>`.
    public func snapshotFile(commit: String, path: String) -> URL {
        repoFolder.appendingPathComponent("snapshots").appendingPathComponent(commit).appendingPathComponent(path)
    }

    /// Creates the cache root's `CACHEDIR.TAG` and the repository's `blobs/` folder.
    public func prepare() throws {
        let manager = FileManager.default
        try manager.createDirectory(at: blobs, withIntermediateDirectories: true)
        let tag = cache.root.appendingPathComponent("CACHEDIR.TAG")
        if !manager.fileExists(atPath: tag.path) { try? Data(Self.cacheDirTag.utf8).write(to: tag) }
    }

    /// A fresh temporary path for a blob being downloaded: `blobs/<etag>.<8 hex>.incomplete`, unique per attempt.
    public func temporaryBlob(_ etag: String) -> URL {
        let suffix = String(format: "%08x", UInt32.random(in: 0...UInt32.max))
        return blobs.appendingPathComponent("\(etag).\(suffix).incomplete")
    }

    /// Waits for the lock of blob `etag` (shared with huggingface_hub).
    func lock(_ etag: String) -> FileLock {
        FileLock(cache.root.appendingPathComponent(".locks").appendingPathComponent(reference.folderName).appendingPathComponent("\(etag).lock"))
    }

    /// Whether `blobs/<etag>` exists as a regular file (following a link into the shared store).
    public func hasBlob(_ etag: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: blob(etag).path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Moves a verified temporary file to `blobs/<etag>` (an existing blob wins: the temporary file is removed).
    public func commitBlob(_ temporary: URL, etag: String) throws {
        if hasBlob(etag) {
            try? FileManager.default.removeItem(at: temporary)
            return
        }
        guard rename(temporary.path, blob(etag).path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(at: temporary)
            throw HubError.unreadable(file: blob(etag).path, reason: "cannot move the download into place: \(String(cString: strerror(code)))")
        }
    }

    /// Makes `snapshots/<commit>/<path>` point at `blobs/<etag>`: a relative symlink (`../../blobs/<etag>`, one more
    /// `../` per folder of `path`), or a copy. Replaces whatever was there, atomically.
    public func link(commit: String, path: String, etag: String) throws {
        guard HubSnapshot.isSafeRelativePath(path) else { throw HubError.unsafePath(path) }
        let manager = FileManager.default
        let destination = snapshotFile(commit: commit, path: path)
        try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).\(String(format: "%08x", UInt32.random(in: 0...UInt32.max))).tmp")
        do {
            if copies {
                try manager.copyItem(at: blob(etag).resolvingSymlinksInPath(), to: temporary)
            } else {
                let depth = path.split(separator: "/").count - 1
                let target = String(repeating: "../", count: depth + 2) + "blobs/" + etag
                try manager.createSymbolicLink(atPath: temporary.path, withDestinationPath: target)
            }
            guard rename(temporary.path, destination.path) == 0 else {
                throw HubError.unreadable(file: destination.path, reason: String(cString: strerror(errno)))
            }
        } catch {
            try? manager.removeItem(at: temporary)
            throw error
        }
    }

    /// Writes `refs/<revision>` = `commit`, without a newline, atomically; nothing when the revision is the commit or
    /// the ref already says so (`_cache_commit_hash_for_specific_revision`).
    public func writeRef(revision: String, commit: String) throws {
        guard revision != commit else { return }
        let ref = repoFolder.appendingPathComponent("refs").appendingPathComponent(revision)
        if let current = try? String(contentsOf: ref, encoding: .utf8), current == commit { return }
        try FileManager.default.createDirectory(at: ref.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = ref.deletingLastPathComponent().appendingPathComponent("\(ref.lastPathComponent).\(String(format: "%08x", UInt32.random(in: 0...UInt32.max))).tmp")
        try Data(commit.utf8).write(to: temporary)
        guard rename(temporary.path, ref.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw HubError.unreadable(file: ref.path, reason: String(cString: strerror(errno)))
        }
    }

    /// Touches `.no_exist/<commit>/<path>`: the file is absent from the repository at `commit`.
    public func markAbsent(commit: String, path: String) {
        guard HubSnapshot.isSafeRelativePath(path) else { return }
        let marker = repoFolder.appendingPathComponent(".no_exist").appendingPathComponent(commit).appendingPathComponent(path)
        try? FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: marker.path) { _ = FileManager.default.createFile(atPath: marker.path, contents: nil) }
    }
}
