import Foundation

/// What can go wrong when resolving a model from the hub cache or pulling it from the hub. Every message names the
/// repository, the revision or the file involved and, where it helps, what to run next.
public enum HubError: Error, LocalizedError, CustomStringConvertible, Equatable {
    /// The text is not a repo id `ORG/NAME[@REVISION]` (nor, where that counts, an existing local path).
    case invalidReference(String, reason: String)
    /// Nothing of the repository (or of that revision) is in the cache.
    case notCached(repo: String, revision: String, cache: String)
    /// A file the model needs is absent from the cached snapshot.
    case missingFile(repo: String, revision: String, file: String, snapshot: String)
    /// `HF_HUB_OFFLINE` is set and the cache cannot answer.
    case offline(repo: String, revision: String, detail: String)
    /// 401/404 `RepoNotFound`: missing, private, or gated without a token.
    case repositoryNotFound(repo: String, status: Int, endpoint: String, tokenSent: Bool)
    /// `GatedRepo`: the repository needs its conditions accepted (and a token).
    case gated(repo: String, status: Int, endpoint: String, tokenSent: Bool)
    /// `RevisionNotFound`.
    case revisionNotFound(repo: String, revision: String)
    /// `EntryNotFound` for a file the listing named.
    case entryNotFound(repo: String, revision: String, file: String)
    /// `X-Error-Message: Access to this resource is disabled.`
    case disabled(repo: String)
    /// Any other HTTP error status.
    case http(status: Int, url: String, message: String)
    /// A response without the headers a hub endpoint sends (`X-Repo-Commit`, an ETag).
    case notAHubEndpoint(url: String, missing: String)
    /// The downloaded bytes do not hash to the file's etag; nothing was kept.
    case checksumMismatch(file: String, expected: String, actual: String)
    /// The download ended with another size than announced.
    case sizeMismatch(file: String, expected: Int, actual: Int)
    /// The connection failed and retries (with `Range` resume) were exhausted.
    case network(url: String, detail: String)
    /// The filter left nothing to pull.
    case nothingToPull(repo: String, revision: String)
    /// A path read from a listing or the cache would escape the snapshot folder.
    case unsafePath(String)
    /// A cached or downloaded file cannot be read as what it should be.
    case unreadable(file: String, reason: String)

    public var description: String {
        switch self {
        case let .invalidReference(text, reason):
            return "'\(text)' is not a hub repo id ORG/NAME[@REVISION] (\(reason))"
        case let .notCached(repo, revision, cache):
            return "\(repo)@\(revision) is not in the Hugging Face cache at \(cache); run `loom pull \(repo)@\(revision)` first"
        case let .missingFile(repo, revision, file, snapshot):
            return "\(file) of \(repo)@\(revision) is missing from the cached snapshot \(snapshot) (partial download?); run `loom pull \(repo)@\(revision)`"
        case let .offline(repo, revision, detail):
            return "HF_HUB_OFFLINE is set, so \(repo)@\(revision) can only come from the cache: \(detail)"
        case let .repositoryNotFound(repo, status, endpoint, tokenSent):
            return "repository \(repo) was not found on \(endpoint) (HTTP \(status)); check the name, or, if it is private or gated, "
                + (tokenSent ? "make sure the token in HF_TOKEN has access to it" : "set HF_TOKEN to a token with access")
        case let .gated(repo, status, endpoint, tokenSent):
            return "\(repo) is a gated repository (HTTP \(status)): accept its conditions at \(endpoint)/\(repo) and "
                + (tokenSent ? "make sure the token in HF_TOKEN belongs to an account that was granted access" : "set HF_TOKEN to a token of an account with access")
        case let .revisionNotFound(repo, revision):
            return "revision '\(revision)' of \(repo) does not exist on the hub (a branch, tag or 40-hex commit)"
        case let .entryNotFound(repo, revision, file):
            return "\(file) does not exist in \(repo)@\(revision)"
        case let .disabled(repo):
            return "access to \(repo) is disabled on the hub"
        case let .http(status, url, message):
            return "HTTP \(status) from \(url)" + (message.isEmpty ? "" : ": \(message)")
        case let .notAHubEndpoint(url, missing):
            return "the answer from \(url) has no \(missing) header, so it does not come from a Hugging Face hub endpoint (check HF_ENDPOINT, proxies)"
        case let .checksumMismatch(file, expected, actual):
            return "\(file): checksum mismatch (expected \(expected), got \(actual)); the download was discarded"
        case let .sizeMismatch(file, expected, actual):
            return "\(file): size mismatch (expected \(expected) bytes, got \(actual)); the download was discarded"
        case let .network(url, detail):
            return "could not reach \(url): \(detail)"
        case let .nothingToPull(repo, revision):
            return "no file of \(repo)@\(revision) matches the pull patterns (see --include/--exclude)"
        case let .unsafePath(path):
            return "refusing the path '\(path)': it leaves the snapshot folder"
        case let .unreadable(file, reason):
            return "\(file): \(reason)"
        }
    }

    public var errorDescription: String? { description }
}
