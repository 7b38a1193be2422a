import Foundation

/// What a pull reports while it runs (called from any thread).
public protocol PullObserver: AnyObject, Sendable {
    /// The metadata phase is over: `downloads` files of `bytes` bytes in all are to be fetched (`bytes` counts the
    /// known sizes).
    func planned(downloads: [FileMetadata], bytes: Int)
    /// `file` starts downloading.
    func started(_ file: FileMetadata)
    /// Bytes arrived (negative when a restart discarded some).
    func received(_ delta: Int)
    /// `file` is verified and in the cache.
    func finished(_ file: FileMetadata)
    /// A remark for the user (a fallback, a missing optional file).
    func note(_ message: String)
}

/// The outcome of a pull.
public struct PullResult: Sendable {
    /// `snapshots/<commit>`: what `--model` resolves to.
    public let snapshot: URL
    /// The commit pulled.
    public let commit: String
    /// The repository paths now in the snapshot.
    public let files: [String]
    /// The paths whose content was fetched in this run.
    public let downloaded: [String]
}

/// `loom pull`: fetches the files a ``PullPlan`` selects into the hub cache, reusing whatever is there already (a
/// second pull fetches no content), and records the revision in `refs/` once every file is in place.
public struct HubPuller: Sendable {
    /// Cache, endpoint, token, offline mode.
    public let environment: HubEnvironment

    /// A puller for `environment`.
    public init(environment: HubEnvironment) {
        self.environment = environment
    }

    /// Pulls `reference`. With `HF_HUB_OFFLINE` set nothing goes to the network: the cache must already hold the
    /// files. When the hub cannot be reached at all, a complete cached snapshot is used instead (with a note).
    public func pull(_ reference: RepoReference, plan: PullPlan = PullPlan(), observer: PullObserver? = nil) async throws -> PullResult {
        let cache = HubCache(environment: environment)
        if environment.offline {
            do {
                return try cached(reference, plan: plan, cache: cache)
            } catch let error as HubError {
                throw HubError.offline(repo: reference.repoID, revision: reference.revision, detail: "\(error)")
            }
        }
        let client = HubClient(environment: environment)
        do {
            let result = try await pull(reference, plan: plan, cache: cache, client: client, observer: observer)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    /// The result from the cache alone: the snapshot must exist and hold the model's files (and every selected file
    /// of a cached tree listing).
    func cached(_ reference: RepoReference, plan: PullPlan, cache: HubCache) throws -> PullResult {
        let snapshot = try cache.snapshot(for: reference)
        if let listing = snapshot.treeListing() {
            for path in plan.select(listing) { _ = try snapshot.requiredFile(path) }
        } else {
            try snapshot.checkModelFiles()
        }
        return PullResult(snapshot: snapshot.directory, commit: snapshot.commit, files: plan.select(Self.files(in: snapshot.directory)), downloaded: [])
    }

    private func pull(_ reference: RepoReference, plan: PullPlan, cache: HubCache, client: HubClient,
                      observer: PullObserver?) async throws -> PullResult {
        let info: RepoInfo
        do {
            info = try await client.repoInfo(reference)
        } catch let error as HubError {
            throw error
        } catch {
            // The hub cannot be reached: a complete cached snapshot still answers.
            if let result = try? cached(reference, plan: plan, cache: cache) {
                observer?.note("the hub at \(environment.endpoint) cannot be reached (\(error)); using the cached snapshot")
                return result
            }
            throw HubError.network(url: environment.endpoint, detail: "\(error)")
        }
        let commit = info.commit
        let paths = plan.select(info.files.map(\.path))
        guard !paths.isEmpty else { throw HubError.nothingToPull(repo: reference.repoID, revision: reference.revision) }
        for path in paths where !HubSnapshot.isSafeRelativePath(path) { throw HubError.unsafePath(path) }

        let writer = CacheWriter(cache: cache, reference: reference, copies: environment.symlinksDisabled)
        try writer.prepare()
        var present: [String] = []
        var work: [FileMetadata] = []
        for path in paths {
            if isPresent(writer.snapshotFile(commit: commit, path: path)) {
                present.append(path)
                continue
            }
            let metadata: FileMetadata
            do {
                metadata = try await client.metadata(repoID: reference.repoID, revision: commit, path: path)
            } catch HubError.entryNotFound {
                writer.markAbsent(commit: commit, path: path)
                observer?.note("\(path) is listed but absent at \(commit); skipped")
                continue
            }
            if writer.hasBlob(metadata.etag) {
                try writer.link(commit: commit, path: path, etag: metadata.etag)
                present.append(path)
            } else {
                work.append(metadata)
            }
        }
        observer?.planned(downloads: work, bytes: work.reduce(0) { $0 + ($1.size ?? 0) })

        var downloaded: [String] = []
        for metadata in work {
            let lock = writer.lock(metadata.etag)
            defer { lock.unlock() }
            if !writer.hasBlob(metadata.etag) {
                // Nobody else wrote it while we waited for the lock: download it.
                observer?.started(metadata)
                let temporary = writer.temporaryBlob(metadata.etag)
                do {
                    try await client.download(metadata, to: temporary) { observer?.received($0) }
                    try writer.commitBlob(temporary, etag: metadata.etag)
                } catch {
                    try? FileManager.default.removeItem(at: temporary)
                    throw error
                }
                downloaded.append(metadata.path)
                observer?.finished(metadata)
            }
            try writer.link(commit: commit, path: metadata.path, etag: metadata.etag)
            present.append(metadata.path)
        }
        try writer.writeRef(revision: reference.revision, commit: commit)
        let presentSet = Set(present)
        let snapshot = cache.repoFolder(reference).appendingPathComponent("snapshots").appendingPathComponent(commit, isDirectory: true)
        return PullResult(snapshot: snapshot, commit: commit, files: paths.filter { presentSet.contains($0) }, downloaded: downloaded)
    }

    /// A regular file at `url`, through any links.
    private func isPresent(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// The relative paths of the regular files (through links) under `directory`, sorted.
    static func files(in directory: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        var paths: [String] = []
        while let path = enumerator.nextObject() as? String {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent(path).path, isDirectory: &isDirectory), !isDirectory.boolValue {
                paths.append(path)
            }
        }
        return paths.sorted()
    }
}
