import Foundation

/// The settings `huggingface_hub` reads from the environment, read the same way (`constants.py`, `utils/_auth.py`):
/// where the cache is, which endpoint to talk to, whether to stay offline, which token to send.
public struct HubEnvironment: Sendable {
    /// The hub cache (`HF_HUB_CACHE`, `HUGGINGFACE_HUB_CACHE`, `$HF_HOME/hub`, `$XDG_CACHE_HOME/huggingface/hub`,
    /// `~/.cache/huggingface/hub`, first set wins).
    public var cacheDirectory: URL
    /// The hub's base URL without a trailing `/` (`HF_ENDPOINT`, default `https://huggingface.co`).
    public var endpoint: String
    /// `HF_HUB_OFFLINE` (or `TRANSFORMERS_OFFLINE`) is true: no HTTP at all.
    public var offline: Bool
    /// The bearer token (`HF_TOKEN`, `HUGGING_FACE_HUB_TOKEN`, else the file `HF_TOKEN_PATH` or `$HF_HOME/token`).
    public var token: String?
    /// `HF_HUB_DISABLE_SYMLINKS`: snapshot entries are copies of the blobs.
    public var symlinksDisabled: Bool
    /// Seconds to wait for metadata (`HF_HUB_ETAG_TIMEOUT`, default 10).
    public var etagTimeout: Double
    /// Seconds a download may stall (`HF_HUB_DOWNLOAD_TIMEOUT`, default 10).
    public var downloadTimeout: Double

    /// The default hub.
    public static let defaultEndpoint = "https://huggingface.co"

    /// Reads `variables` (the process environment by default); `home` stands for `~`.
    public init(_ variables: [String: String] = ProcessInfo.processInfo.environment, home: String = NSHomeDirectory()) {
        func value(_ name: String) -> String? {
            guard let raw = variables[name], !raw.isEmpty else { return nil }
            return raw
        }
        func flag(_ name: String) -> Bool {
            guard let raw = value(name) else { return false }
            return ["1", "ON", "YES", "TRUE"].contains(raw.uppercased())
        }
        func number(_ name: String, _ fallback: Double) -> Double {
            value(name).flatMap(Double.init) ?? fallback
        }
        let hfHome = Self.expand(value("HF_HOME") ?? Self.join(Self.expand(value("XDG_CACHE_HOME") ?? "~/.cache", variables, home), "huggingface"),
                                 variables, home)
        cacheDirectory = URL(fileURLWithPath: Self.expand(value("HF_HUB_CACHE") ?? value("HUGGINGFACE_HUB_CACHE") ?? Self.join(hfHome, "hub"),
                                                         variables, home), isDirectory: true)
        var endpoint = value("HF_ENDPOINT") ?? Self.defaultEndpoint
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        offline = flag("HF_HUB_OFFLINE") || flag("TRANSFORMERS_OFFLINE")
        symlinksDisabled = flag("HF_HUB_DISABLE_SYMLINKS")
        etagTimeout = number("HF_HUB_ETAG_TIMEOUT", 10)
        downloadTimeout = number("HF_HUB_DOWNLOAD_TIMEOUT", 10)
        if let token = Self.clean(value("HF_TOKEN") ?? value("HUGGING_FACE_HUB_TOKEN")) {
            self.token = token
        } else {
            let path = Self.expand(value("HF_TOKEN_PATH") ?? Self.join(hfHome, "token"), variables, home)
            token = (try? String(contentsOfFile: path, encoding: .utf8)).flatMap(Self.clean)
        }
    }

    /// An environment with an explicit cache directory (`--cache-dir`), the rest unchanged.
    public func with(cacheDirectory: URL) -> HubEnvironment {
        var copy = self
        copy.cacheDirectory = cacheDirectory
        return copy
    }

    /// Python's `_clean_token`: strip whitespace and newlines; empty is no token.
    static func clean(_ token: String?) -> String? {
        guard let token else { return nil }
        let trimmed = token.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    static func join(_ base: String, _ component: String) -> String {
        base.hasSuffix("/") ? base + component : base + "/" + component
    }

    /// `os.path.expanduser(os.path.expandvars(path))`: `$NAME` and `${NAME}` from `variables` (unknown ones kept),
    /// then a leading `~`.
    static func expand(_ path: String, _ variables: [String: String], _ home: String) -> String {
        var result = ""
        var index = path.startIndex
        while index < path.endIndex {
            let character = path[index]
            guard character == "$" else {
                result.append(character)
                index = path.index(after: index)
                continue
            }
            var cursor = path.index(after: index)
            var name = ""
            var braced = false
            if cursor < path.endIndex, path[cursor] == "{" {
                braced = true
                cursor = path.index(after: cursor)
            }
            while cursor < path.endIndex, path[cursor].isLetter || path[cursor].isNumber || path[cursor] == "_" {
                name.append(path[cursor])
                cursor = path.index(after: cursor)
            }
            if braced {
                guard cursor < path.endIndex, path[cursor] == "}" else {
                    result.append(character)
                    index = path.index(after: index)
                    continue
                }
                cursor = path.index(after: cursor)
            }
            if !name.isEmpty, let replacement = variables[name] {
                result += replacement
                index = cursor
            } else {
                result.append(character)
                index = path.index(after: index)
            }
        }
        if result == "~" { return home }
        if result.hasPrefix("~/") { return home + result.dropFirst() }
        return result
    }
}
