import AsyncHTTPClient
import Foundation
import LoomCore
import NIOCore
import NIOHTTP1

/// A repository at a revision, as `GET /api/models/{repo}/revision/{rev}?blobs=true` describes it.
public struct RepoInfo: Sendable {
    /// The repo id as asked for.
    public let repoID: String
    /// The commit the revision resolved to (`sha`).
    public let commit: String
    /// The files (`siblings`), in the hub's order.
    public let files: [RepoFile]
}

/// One file of a repository listing.
public struct RepoFile: Sendable, Equatable {
    /// The path in the repository (`rfilename`).
    public let path: String
    /// Its size in bytes, when listed.
    public let size: Int?
    /// The sha256 of an LFS file, when listed.
    public let lfsSHA256: String?
}

/// What `HEAD /{repo}/resolve/{rev}/{path}` says about a file (`get_hf_file_metadata`).
public struct FileMetadata: Sendable, Equatable {
    /// The path in the repository.
    public let path: String
    /// `X-Repo-Commit`.
    public let commit: String
    /// `X-Linked-Etag` (else `ETag`), without `W/` and quotes: the git-sha1 of a regular file or the sha256 of an
    /// LFS file; the blob's name in the cache.
    public let etag: String
    /// `X-Linked-Size`, else the `Content-Length` of a final (non-redirect) answer.
    public let size: Int?
    /// Where the content is: the `Location` of the answer that ended the redirects, else the last URL asked.
    public let location: String
    /// Whether the token may go with the download: only when `location` is a hub origin (never to a CDN).
    public let authorizeDownload: Bool
}

/// The hub's HTTP protocol over async-http-client: repository info, file metadata, and downloads with `Range`
/// resume, a check of the size and of the content hash, and the token kept from hosts other than the hub's.
public final class HubClient: Sendable {
    /// Where to talk to, which token, which timeouts.
    public let environment: HubEnvironment
    private let http: HTTPClient
    private let userAgent = "loom/1.0; hf_hub-protocol"

    /// Retries of a download that makes no progress (huggingface_hub's `http_get`: 5).
    public static let retries = 5

    /// A client for `environment`; call ``shutdown()`` when done.
    public init(environment: HubEnvironment) {
        self.environment = environment
        var configuration = HTTPClient.Configuration()
        configuration.redirectConfiguration = .disallow
        configuration.timeout = .init(connect: .seconds(10), read: .milliseconds(Int64(environment.downloadTimeout * 1000)))
        configuration.decompression = .disabled
        // A refused connection fails at once (huggingface_hub does not retry it either) instead of being retried
        // until the connect timeout; downloads still retry with `Range` resume.
        configuration.connectionPool.retryConnectionEstablishment = false
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    /// Closes the connections.
    public func shutdown() async throws {
        try await http.shutdown()
    }

    // MARK: - API

    /// `GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true`: the commit and the file list.
    public func repoInfo(_ reference: RepoReference) async throws -> RepoInfo {
        let url = "\(environment.endpoint)/api/models/\(reference.repoID)/revision/\(Self.quote(reference.revision, safe: ""))?blobs=true"
        let (response, _) = try await send(.GET, url, redirects: .hubOnly, timeout: max(environment.etagTimeout, 30))
        let body = try await response.body.collect(upTo: 64 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
              let sha = object["sha"] as? String, RepoReference.isCommit(sha) else {
            throw HubError.notAHubEndpoint(url: url, missing: "model info with a 'sha'")
        }
        let siblings = object["siblings"] as? [[String: Any]] ?? []
        let files = siblings.compactMap { sibling -> RepoFile? in
            guard let path = sibling["rfilename"] as? String else { return nil }
            let lfs = sibling["lfs"] as? [String: Any]
            return RepoFile(path: path, size: (sibling["size"] as? NSNumber)?.intValue, lfsSHA256: lfs?["sha256"] as? String)
        }
        return RepoInfo(repoID: reference.repoID, commit: sha, files: files)
    }

    /// `HEAD {endpoint}/{repo}/resolve/{rev}/{path}`, following redirects that stay on the hub and stopping at one that
    /// leaves it (a CDN), whose answer carries the metadata.
    public func metadata(repoID: String, revision: String, path: String) async throws -> FileMetadata {
        let url = "\(environment.endpoint)/\(repoID)/resolve/\(Self.quote(revision, safe: ""))/\(Self.quote(path, safe: "/"))"
        let (response, last) = try await send(.HEAD, url, redirects: .hubOnly, timeout: environment.etagTimeout)
        _ = try? await response.body.collect(upTo: 1 << 20)
        let headers = response.headers
        guard let commit = headers.first(name: "X-Repo-Commit") else {
            throw HubError.notAHubEndpoint(url: url, missing: "X-Repo-Commit")
        }
        guard let etag = Self.normalizeEtag(headers.first(name: "X-Linked-Etag") ?? headers.first(name: "ETag")) else {
            throw HubError.notAHubEndpoint(url: url, missing: "ETag")
        }
        let isRedirect = (300..<400).contains(Int(response.status.code))
        let size = (headers.first(name: "X-Linked-Size") ?? (isRedirect ? nil : headers.first(name: "Content-Length"))).flatMap { Int($0) }
        let location = headers.first(name: "Location").flatMap { Self.resolve($0, against: last) } ?? last
        return FileMetadata(path: path, commit: commit, etag: etag, size: size, location: location,
                            authorizeDownload: isHubOrigin(location, relativeTo: url))
    }

    /// Downloads `metadata`'s content into `destination` (created or truncated). A connection that drops or stalls
    /// is resumed with `Range: bytes=N-` (up to ``retries`` times without progress); a `200` answer to a `Range`
    /// request restarts the file. Afterwards the size must match and the content must hash to the etag (sha256 for a
    /// 64-hex etag, the git blob sha1 for a 40-hex one); otherwise it throws (the caller discards the file).
    /// `progress` receives byte deltas (negative when a restart discards bytes).
    public func download(_ metadata: FileMetadata, to destination: URL, progress: @Sendable (Int) -> Void) async throws {
        guard FileManager.default.createFile(atPath: destination.path, contents: nil),
              let handle = try? FileHandle(forWritingTo: destination) else {
            throw HubError.unreadable(file: destination.path, reason: "cannot create the file")
        }
        defer { try? handle.close() }
        var hasher = ContentHasher(etag: metadata.etag, size: metadata.size)
        var written = 0
        var expected = metadata.size
        var attemptsLeft = Self.retries
        while true {
            do {
                var extra: [(String, String)] = []
                if written > 0 { extra.append(("Range", "bytes=\(written)-")) }
                let (response, _) = try await send(.GET, metadata.location, redirects: .all, authorize: metadata.authorizeDownload,
                                                   extraHeaders: extra, timeout: 48 * 3600)
                let status = Int(response.status.code)
                if written > 0 && status == 200 {
                    // The server ignored the Range: start the file again.
                    try Self.io(destination) { try handle.truncate(atOffset: 0) }
                    progress(-written)
                    written = 0
                    hasher = ContentHasher(etag: metadata.etag, size: metadata.size)
                } else if written > 0 && status != 206 {
                    throw HubError.http(status: status, url: metadata.location, message: "unexpected answer to a Range request")
                }
                if expected == nil { expected = Self.length(of: response) }
                for try await buffer in response.body {
                    let count = buffer.readableBytes
                    guard count > 0 else { continue }
                    try Self.io(destination) { try handle.write(contentsOf: Data(buffer.readableBytesView)) }
                    hasher.update(buffer.readableBytesView)
                    written += count
                    progress(count)
                    attemptsLeft = Self.retries
                }
                break
            } catch let error as HubError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                guard attemptsLeft > 0 else { throw HubError.network(url: metadata.location, detail: "\(error) (after \(Self.retries) retries)") }
                attemptsLeft -= 1
                try await Task.sleep(nanoseconds: UInt64(200_000_000 * (Self.retries - attemptsLeft)))
            }
        }
        if let expected, expected != written {
            throw HubError.sizeMismatch(file: metadata.path, expected: expected, actual: written)
        }
        if let (wanted, actual) = hasher.mismatch() {
            throw HubError.checksumMismatch(file: metadata.path, expected: wanted, actual: actual)
        }
    }

    // MARK: - HTTP

    /// Which redirects ``send(_:_:redirects:authorize:extraHeaders:timeout:)`` follows.
    enum Redirects {
        /// Those that stay on the hub (same origin, or a hub origin); an answer leading elsewhere is returned.
        case hubOnly
        /// All of them; the token is dropped for good at the first hop off the hub.
        case all
    }

    /// Sends a request, following redirects as `redirects` says, and returns the last answer with the URL it came
    /// from. The token goes only to hub origins, and only while `authorize` holds. Error statuses become ``HubError``s.
    private func send(_ method: HTTPMethod, _ url: String, redirects: Redirects, authorize: Bool = true,
                      extraHeaders: [(String, String)] = [], timeout: Double) async throws -> (HTTPClientResponse, String) {
        guard !environment.offline else {
            // Defence in depth: the puller never builds a client offline, but no request may leave if one is.
            let (repo, revision, _) = Self.parts(of: url, endpoint: environment.endpoint)
            throw HubError.offline(repo: repo, revision: revision, detail: "no request is made (\(method) \(url))")
        }
        var current = url
        var mayAuthorize = authorize
        let deadline = NIODeadline.now() + .milliseconds(Int64(timeout * 1000))
        for _ in 0..<20 {
            var request = HTTPClientRequest(url: current)
            request.method = method
            request.headers.add(name: "User-Agent", value: userAgent)
            request.headers.add(name: "Accept-Encoding", value: "identity")
            for (name, value) in extraHeaders { request.headers.add(name: name, value: value) }
            mayAuthorize = mayAuthorize && isHubOrigin(current, relativeTo: url)
            if let token = environment.token, mayAuthorize {
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
            }
            let response = try await http.execute(request, deadline: deadline)
            try await check(response, url: current)
            let status = Int(response.status.code)
            if (300..<400).contains(status), let location = response.headers.first(name: "Location"),
               let target = Self.resolve(location, against: current),
               redirects == .all || isHubOrigin(target, relativeTo: current) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                current = target
                continue
            }
            return (response, current)
        }
        throw HubError.http(status: 310, url: url, message: "too many redirects")
    }

    /// Maps error answers to ``HubError`` as `hf_raise_for_status` does.
    private func check(_ response: HTTPClientResponse, url: String) async throws {
        let status = Int(response.status.code)
        guard status >= 400 else { return }
        let code = response.headers.first(name: "X-Error-Code")
        var message = response.headers.first(name: "X-Error-Message") ?? ""
        if message.isEmpty, let body = try? await response.body.collect(upTo: 1 << 16) {
            message = String(decoding: body.readableBytesView.prefix(300), as: UTF8.self)
        } else {
            _ = try? await response.body.collect(upTo: 1 << 16)
        }
        let (repo, revision, path) = Self.parts(of: url, endpoint: environment.endpoint)
        let tokenSent = environment.token != nil
        switch code {
        case "RevisionNotFound": throw HubError.revisionNotFound(repo: repo, revision: revision)
        case "EntryNotFound": throw HubError.entryNotFound(repo: repo, revision: revision, file: path)
        case "GatedRepo": throw HubError.gated(repo: repo, status: status, endpoint: environment.endpoint, tokenSent: tokenSent)
        default: break
        }
        if message == "Access to this resource is disabled." { throw HubError.disabled(repo: repo) }
        if code == "RepoNotFound" || (status == 401 && message != "Invalid credentials in Authorization header") {
            throw HubError.repositoryNotFound(repo: repo, status: status, endpoint: environment.endpoint, tokenSent: tokenSent)
        }
        if status == 401 || status == 403 {
            throw HubError.http(status: status, url: url, message: message.isEmpty ? "check the token in HF_TOKEN" : message + " (check the token in HF_TOKEN)")
        }
        throw HubError.http(status: status, url: url, message: message)
    }

    /// The repo id, revision and file of a hub URL, for error messages.
    static func parts(of url: String, endpoint: String) -> (String, String, String) {
        var rest = url.hasPrefix(endpoint) ? String(url.dropFirst(endpoint.count)) : (URL(string: url)?.path ?? url)
        if let query = rest.firstIndex(of: "?") { rest = String(rest[..<query]) }
        let components = rest.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        if components.first == "api", components.count >= 5, components[1] == "models" {
            return ("\(components[2])/\(components[3])", components.count > 5 ? components[5] : "", "")
        }
        if components.count >= 4, components[2] == "resolve" {
            return ("\(components[0])/\(components[1])", components[3], components.dropFirst(4).joined(separator: "/"))
        }
        return (rest, "", "")
    }

    /// `Content-Range`'s total, else `Content-Length`; nil when the body is encoded (`_get_file_length_from_http_response`).
    static func length(of response: HTTPClientResponse) -> Int? {
        let encoding = response.headers.first(name: "Content-Encoding")?.lowercased() ?? "identity"
        guard encoding == "identity" else { return nil }
        if let range = response.headers.first(name: "Content-Range"), let total = range.split(separator: "/").last {
            return Int(total)
        }
        return response.headers.first(name: "Content-Length").flatMap { Int($0) }
    }

    // MARK: - URLs

    /// `W/"abc"` and `"abc"` → `abc` (`_normalize_etag`).
    public static func normalizeEtag(_ etag: String?) -> String? {
        guard var text = etag else { return nil }
        while let first = text.first, first == "W" || first == "/" { text.removeFirst() }
        text = text.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        return text.isEmpty ? nil : text
    }

    /// Python's `urllib.parse.quote(text, safe=safe)`: everything but letters, digits, `_.-~` and `safe` is
    /// percent-encoded as UTF-8.
    public static func quote(_ text: String, safe: String) -> String {
        let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~".utf8).union(safe.utf8)
        var result = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) {
                result.append(Character(Unicode.Scalar(byte)))
            } else {
                result += String(format: "%%%02X", byte)
            }
        }
        return result
    }

    /// `location` resolved against `base` (a relative `Location`).
    static func resolve(_ location: String, against base: String) -> String? {
        guard let baseURL = URL(string: base) else { return nil }
        return URL(string: location, relativeTo: baseURL)?.absoluteString
    }

    /// `(scheme, host, port)` with the scheme's default port (`_url_origin`).
    static func origin(_ url: String) -> (String, String, Int)? {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else { return nil }
        let host = components.host?.lowercased() ?? ""
        let port = components.port ?? (scheme == "https" ? 443 : scheme == "http" ? 80 : 0)
        return (scheme, host, port)
    }

    /// Whether `target` is served by the same origin as `reference` or by a hub origin (`huggingface.co`, `hf.co`,
    /// the staging hub, `HF_ENDPOINT`): the only places the token goes (`_is_same_or_hub_host`).
    func isHubOrigin(_ target: String, relativeTo reference: String) -> Bool {
        Self.isHubOrigin(target, relativeTo: reference, endpoint: environment.endpoint)
    }

    /// ``isHubOrigin(_:relativeTo:)`` for the hub at `endpoint`.
    static func isHubOrigin(_ target: String, relativeTo reference: String, endpoint: String) -> Bool {
        guard let origin = origin(target) else { return false }
        let trusted = [reference, endpoint, "https://huggingface.co", "https://hf.co", "https://hub-ci.huggingface.co"]
        return trusted.contains { Self.origin($0).map { $0 == origin } ?? false }
    }

    /// Runs a file operation, turning its error into a ``HubError`` (so it is not retried as a network error).
    private static func io(_ url: URL, _ body: () throws -> Void) throws {
        do { try body() } catch { throw HubError.unreadable(file: url.path, reason: "\(error)") }
    }
}

/// The hash a blob's name promises: sha256 for a 64-hex etag, the git blob sha1 for a 40-hex one (with a known
/// size), none otherwise.
struct ContentHasher {
    private var sha256: SHA256?
    private var sha1: GitSHA1?
    private let etag: String

    init(etag: String, size: Int?) {
        self.etag = etag.lowercased()
        let hex = self.etag.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
        if hex && self.etag.utf8.count == 64 {
            sha256 = SHA256()
        } else if hex && self.etag.utf8.count == 40, let size {
            sha1 = GitSHA1(blobSize: size)
        }
    }

    mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
        sha256?.update(bytes)
        sha1?.update(bytes)
    }

    /// `(expected, actual)` when the content does not hash to the etag.
    func mismatch() -> (String, String)? {
        if let sha256 {
            let digest = sha256.finalize().map { String(format: "%02x", $0) }.joined()
            return digest == etag ? nil : (etag, digest)
        }
        if let sha1 {
            let digest = sha1.hexDigest()
            return digest == etag ? nil : (etag, digest)
        }
        return nil
    }
}
