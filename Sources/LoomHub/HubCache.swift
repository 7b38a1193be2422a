import Foundation

/// The Hugging Face hub cache, laid out exactly as `huggingface_hub` writes it (`file_download.py`):
///
/// ```
/// <root>/models--ORG--NAME/refs/<revision>          the commit, no trailing newline
/// <root>/models--ORG--NAME/snapshots/<commit>/<path> relative symlink into blobs/ (or a copy)
/// <root>/models--ORG--NAME/blobs/<etag>             git-sha1 or sha256; may itself link into <root>/blobs/xx/<hash>
/// <root>/models--ORG--NAME/.no_exist/<commit>/<path> "absent at <commit>"
/// <root>/models--ORG--NAME/trees/<commit>.json       the repository listing at <commit> (2.x)
/// ```
///
/// Reading never falls back to another snapshot than the one the revision names.
public struct HubCache: Sendable {
    /// The cache root.
    public let root: URL

    /// The cache at `root`.
    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// The cache the environment names (see ``HubEnvironment/cacheDirectory``).
    public init(environment: HubEnvironment = HubEnvironment()) {
        self.init(root: environment.cacheDirectory)
    }

    /// The folder of a model repository.
    public func repoFolder(_ reference: RepoReference) -> URL {
        root.appendingPathComponent(reference.folderName, isDirectory: true)
    }

    /// The commit a revision names: itself when it is a 40-hex commit, else the trimmed content of `refs/<revision>`.
    /// When `refs/main` is missing and exactly one snapshot exists, that snapshot is taken (as huggingface_hub's
    /// verifier does) and `warning` says so.
    public func commit(for reference: RepoReference) throws -> (commit: String, warning: String?) {
        if reference.revisionIsCommit { return (reference.revision, nil) }
        let folder = repoFolder(reference)
        let ref = folder.appendingPathComponent("refs").appendingPathComponent(reference.revision)
        if let text = try? String(contentsOf: ref, encoding: .utf8) {
            let commit = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard RepoReference.isCommit(commit) else {
                throw HubError.notCached(repo: reference.repoID, revision: reference.revision, cache: root.path)
            }
            return (commit, nil)
        }
        if reference.revision == RepoReference.defaultRevision {
            let snapshots = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("snapshots").path)) ?? []
            let commits = snapshots.filter(RepoReference.isCommit)
            if commits.count == 1 {
                return (commits[0], "\(reference.repoID): no refs/main in the cache; using its only snapshot \(commits[0])")
            }
        }
        throw HubError.notCached(repo: reference.repoID, revision: reference.revision, cache: root.path)
    }

    /// The snapshot of `reference`, which must exist in the cache.
    public func snapshot(for reference: RepoReference) throws -> HubSnapshot {
        let (commit, warning) = try commit(for: reference)
        let snapshot = HubSnapshot(reference: reference, commit: commit, repoFolder: repoFolder(reference), warning: warning)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: snapshot.directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw HubError.notCached(repo: reference.repoID, revision: reference.revision, cache: root.path)
        }
        return snapshot
    }

    /// The model directory of `reference`: its snapshot, after checking that the files `requirement` names are
    /// there (see ``HubSnapshot/check(_:)``).
    public func modelDirectory(for reference: RepoReference, requiring requirement: SnapshotRequirement = .model) throws -> HubSnapshot {
        let snapshot = try snapshot(for: reference)
        try snapshot.check(requirement)
        return snapshot
    }
}

/// What a command needs from a cached snapshot before it is handed over.
public enum SnapshotRequirement: Sendable, Equatable {
    /// A loadable model: `config.json` and every weight file (see ``HubSnapshot/checkModelFiles()``).
    case model
    /// A tokenizer: `tokenizer.json`.
    case tokenizer
    /// Exactly these files.
    case files([String])
}

/// One commit of a repository in the cache.
public struct HubSnapshot: Sendable {
    /// What was asked for.
    public let reference: RepoReference
    /// The commit the revision resolved to.
    public let commit: String
    /// `models--ORG--NAME`.
    public let repoFolder: URL
    /// A note for the user (e.g. a snapshot chosen without `refs/main`).
    public let warning: String?

    /// `snapshots/<commit>`: the directory the model is read from.
    public var directory: URL { repoFolder.appendingPathComponent("snapshots").appendingPathComponent(commit, isDirectory: true) }

    /// What the cache knows about one file of the snapshot.
    public enum Entry: Sendable, Equatable {
        /// Present; the URL is inside the snapshot (opening it follows the symlinks, however many).
        case present(URL)
        /// Recorded in `.no_exist/<commit>/` as absent from the repository at this commit.
        case knownAbsent
        /// Not in the cache (never downloaded, or a dangling link).
        case missing
    }

    /// Looks `path` (relative, `/`-separated) up: a regular file reached through any chain of symlinks or a copy is
    /// present; a `.no_exist` marker is known-absent; anything else, including a dangling link, is missing.
    public func lookup(_ path: String) throws -> Entry {
        guard Self.isSafeRelativePath(path) else { throw HubError.unsafePath(path) }
        let url = directory.appendingPathComponent(path)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return .present(url)
        }
        let marker = repoFolder.appendingPathComponent(".no_exist").appendingPathComponent(commit).appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: marker.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            return .knownAbsent
        }
        return .missing
    }

    /// The URL of a file the model needs; an error naming it (and `loom pull`) when it is not there.
    public func requiredFile(_ path: String) throws -> URL {
        if case let .present(url) = try lookup(path) { return url }
        throw HubError.missingFile(repo: reference.repoID, revision: reference.revision, file: path, snapshot: directory.path)
    }

    /// The URL of an optional file, or nil when it is absent or known to be absent.
    public func optionalFile(_ path: String) throws -> URL? {
        if case let .present(url) = try lookup(path) { return url }
        return nil
    }

    /// The paths of the repository at this commit, from `trees/<commit>.json` (written by huggingface_hub 2.x's
    /// `snapshot_download`), or nil when there is no such listing.
    public func treeListing() -> [String]? {
        let url = repoFolder.appendingPathComponent("trees").appendingPathComponent("\(commit).json")
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let files = object["files"] as? [String: Any] else { return nil }
        return files.keys.sorted()
    }

    /// Checks the files `requirement` names; the first missing one is reported by name with the `loom pull` to run.
    public func check(_ requirement: SnapshotRequirement) throws {
        switch requirement {
        case .model: try checkModelFiles()
        case .tokenizer: _ = try requiredFile("tokenizer.json")
        case let .files(paths): for path in paths { _ = try requiredFile(path) }
        }
    }

    /// Checks that the snapshot holds a loadable model: `config.json`; every shard `model.safetensors.index.json`
    /// names (else `model.safetensors`); and, when a tree listing is cached, every file of it that `loom pull`
    /// would fetch. The first missing file is reported by name with the `loom pull` to run.
    public func checkModelFiles() throws {
        _ = try requiredFile("config.json")
        if let index = try optionalFile("model.safetensors.index.json") {
            for shard in try Self.shards(inIndex: index) {
                _ = try requiredFile(shard)
            }
        } else {
            _ = try requiredFile("model.safetensors")
        }
        if let listing = treeListing() {
            for path in PullPlan().select(listing) {
                if case .missing = try lookup(path) {
                    throw HubError.missingFile(repo: reference.repoID, revision: reference.revision, file: path, snapshot: directory.path)
                }
            }
        }
    }

    /// The shard files a safetensors index names (its `weight_map` values), sorted and unique.
    public static func shards(inIndex url: URL) throws -> [String] {
        let data = try Data(contentsOf: url)
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = object["weight_map"] as? [String: Any] else {
            throw HubError.unreadable(file: url.lastPathComponent, reason: "not a safetensors index (no weight_map)")
        }
        return Set(map.values.compactMap { $0 as? String }).sorted()
    }

    /// A relative path that stays inside the snapshot: no leading `/`, no empty, `.` or `..` components.
    public static func isSafeRelativePath(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\"), !path.contains("\0") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { $0 != "" && $0 != "." && $0 != ".." }
    }
}
