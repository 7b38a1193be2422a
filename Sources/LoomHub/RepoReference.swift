import Foundation

/// A model on the hub: `ORG/NAME` with an optional `@REVISION` (a branch, a tag such as `v1.0`, a ref such as
/// `refs/pr/6`, or a 40-hex commit). The revision defaults to `main`.
public struct RepoReference: Sendable, Hashable, CustomStringConvertible {
    /// `ORG/NAME`.
    public let repoID: String
    /// The revision asked for (`main` when none was given).
    public let revision: String

    /// The revision huggingface_hub uses when none is given.
    public static let defaultRevision = "main"

    /// Parses `ORG/NAME[@REVISION]` with huggingface_hub's rules for repo ids (`utils/_validators.py`): ASCII letters,
    /// digits, `-`, `_`, `.`; at most 96 characters a part; no `--` or `..`; not starting or ending with `-` or `.`.
    public init(parsing text: String) throws {
        let repo: Substring
        var revision = Self.defaultRevision
        if let at = text.firstIndex(of: "@") {
            repo = text[..<at]
            revision = String(text[text.index(after: at)...])
            guard !revision.isEmpty else { throw HubError.invalidReference(text, reason: "the revision after '@' is empty") }
        } else {
            repo = Substring(text)
        }
        let parts = repo.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw HubError.invalidReference(text, reason: "a repo id has the form ORG/NAME") }
        for part in parts {
            if let problem = Self.problem(in: part) { throw HubError.invalidReference(text, reason: problem) }
        }
        if repo.contains("--") || repo.contains("..") {
            throw HubError.invalidReference(text, reason: "'--' and '..' are not allowed in a repo id")
        }
        guard Self.isSafeRevision(revision) else {
            throw HubError.invalidReference(text, reason: "the revision '\(revision)' is not a branch, tag, ref or commit")
        }
        repoID = String(repo)
        self.revision = revision
    }

    /// A reference to `repoID` at `revision`.
    public init(repoID: String, revision: String = RepoReference.defaultRevision) throws {
        try self.init(parsing: "\(repoID)@\(revision)")
    }

    /// The revision is itself a commit (`^[0-9a-f]{40}$`, `file_download.py` `REGEX_COMMIT_HASH`).
    public var revisionIsCommit: Bool { Self.isCommit(revision) }

    /// The cache folder of a model repository: `models--ORG--NAME` (`repo_folder_name`).
    public var folderName: String { "models--" + repoID.replacingOccurrences(of: "/", with: "--") }

    /// `ORG/NAME@REVISION`.
    public var description: String { "\(repoID)@\(revision)" }

    /// Whether `text` is a full 40-hex lowercase commit id.
    public static func isCommit(_ text: String) -> Bool {
        text.utf8.count == 40 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    private static func problem(in part: Substring) -> String? {
        if part.isEmpty { return "a repo id has the form ORG/NAME" }
        if part.count > 96 { return "a part of a repo id has at most 96 characters" }
        let allowed = part.unicodeScalars.allSatisfy {
            $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_" || $0 == ".")
        }
        if !allowed { return "a repo id uses only ASCII letters, digits, '-', '_' and '.'" }
        if let first = part.first, let last = part.last, "-.".contains(first) || "-.".contains(last) {
            return "a part of a repo id cannot start or end with '-' or '.'"
        }
        return nil
    }

    /// A revision becomes a path under `refs/`: no empty, `.` or `..` components, no leading `/`, no control bytes.
    static func isSafeRevision(_ revision: String) -> Bool {
        guard !revision.hasPrefix("/"), !revision.contains("\\"),
              revision.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value != 0x7F }) else { return false }
        return revision.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { $0 != "" && $0 != "." && $0 != ".." }
    }
}

/// What a `--model` argument names: a local directory, or a repository on the hub.
public enum ModelSource: Sendable, Equatable {
    /// An existing path (it wins over a repo id of the same spelling, as in transformers).
    case local(URL)
    /// A repo id to resolve from the cache.
    case hub(RepoReference)

    /// Classifies `argument`: an existing path is local; otherwise it must parse as `ORG/NAME[@REVISION]`.
    public init(_ argument: String, fileManager: FileManager = .default) throws {
        let expanded = argument.hasPrefix("~/") ? NSHomeDirectory() + argument.dropFirst() : argument
        if fileManager.fileExists(atPath: expanded) {
            self = .local(URL(fileURLWithPath: expanded))
            return
        }
        do {
            self = .hub(try RepoReference(parsing: argument))
        } catch HubError.invalidReference(_, let reason) {
            throw HubError.invalidReference(argument, reason: "\(reason); nor is it an existing local directory")
        }
    }
}
