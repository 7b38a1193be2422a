import Foundation
import LoomMedia

/// Turns the URLs of content parts into media: `data:` URLs (base64), `file://` paths under the allowed directory
/// (real paths, so no symlink leads out of it), and `http(s)` URLs only when remote media is allowed (see
/// ``RemoteMedia``).
struct MediaResolver {
    let configuration: ServerConfiguration

    /// The image an `image_url` names.
    func image(_ url: String) throws -> ImageSource {
        if url.hasPrefix("data:") { return .data(try dataURL(url)) }
        if url.hasPrefix("file:") { return .file(try localFile(url)) }
        return .data(try remote(url))
    }

    /// The video file a `video_url` names; a `data:` or remote video is written to a temporary file, which the
    /// caller removes (`temporary` true).
    func videoFile(_ url: String) throws -> (file: URL, temporary: Bool) {
        if url.hasPrefix("file:") { return (try localFile(url), false) }
        let bytes = url.hasPrefix("data:") ? try dataURL(url) : try remote(url)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("loom-video-\(UUID().uuidString)")
        try bytes.write(to: file)
        return (file, true)
    }

    /// The bytes of a base64 `data:` URL.
    func dataURL(_ url: String) throws -> Data {
        guard let comma = url.firstIndex(of: ",") else {
            throw APIError.badRequest("a data: URL needs a ',' before its payload", code: "invalid_image", param: "messages")
        }
        let header = url[url.index(url.startIndex, offsetBy: 5)..<comma]
        guard header.split(separator: ";").contains("base64") else {
            throw APIError.badRequest("only base64 data: URLs are supported (data:MIME;base64,…)", code: "invalid_image", param: "messages")
        }
        guard let data = Data(base64Encoded: String(url[url.index(after: comma)...]), options: .ignoreUnknownCharacters),
              !data.isEmpty else {
            throw APIError.badRequest("the data: URL's payload is not valid base64", code: "invalid_image", param: "messages")
        }
        return data
    }

    /// A `file://` path inside the allowed directory, resolved to its real path; a regular file.
    func localFile(_ url: String) throws -> URL {
        guard let root = configuration.allowedLocalMediaPath else {
            throw APIError.badRequest("file:// media is not allowed on this server (start it with --allowed-local-media-path DIR)",
                                      code: "media_path_not_allowed", param: "messages")
        }
        guard let parsed = URL(string: url), parsed.isFileURL, parsed.host == nil || parsed.host == "" || parsed.host == "localhost" else {
            throw APIError.badRequest("'\(url.prefix(200))' is not a file:// URL of this machine", code: "media_path_not_allowed", param: "messages")
        }
        guard let real = realPath(parsed.path), let realRoot = realPath(root) else {
            throw APIError.badRequest("\(parsed.lastPathComponent): no such file", code: "invalid_image", param: "messages")
        }
        let base = realRoot.hasSuffix("/") ? realRoot : realRoot + "/"
        guard real.hasPrefix(base) else {
            throw APIError.badRequest("\(parsed.path) is outside the allowed media directory", code: "media_path_not_allowed", param: "messages")
        }
        var status = stat()
        guard stat(real, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw APIError.badRequest("\(parsed.lastPathComponent) is not a regular file", code: "media_path_not_allowed", param: "messages")
        }
        return URL(fileURLWithPath: real)
    }

    /// The bytes of an `http(s)` URL, when remote media is allowed.
    func remote(_ url: String) throws -> Data {
        guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
            throw APIError.badRequest("unsupported media URL scheme in '\(url.prefix(40))' (data:, file://, http(s)://)",
                                      code: "invalid_image", param: "messages")
        }
        guard configuration.allowRemoteMedia else {
            throw APIError.badRequest("remote media is not allowed on this server (start it with --allow-remote-media)",
                                      code: "media_fetch_blocked", param: "messages")
        }
        return try RemoteMedia(maxBytes: configuration.maxRemoteMediaBytes, timeout: configuration.remoteMediaTimeout).fetch(url)
    }

    /// The canonical path with every symlink resolved; nil when it does not exist.
    func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
