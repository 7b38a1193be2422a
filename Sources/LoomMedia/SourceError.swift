import Foundation

/// The classes of problem a ``SourceError`` names, each with the phrase its messages use.
public protocol SourceErrorKind: RawRepresentable, Hashable, Sendable, CaseIterable where RawValue == String {
    /// A short human phrase for the kind, used in messages.
    var phrase: String { get }
}

/// Why a file or buffer could not be read or processed. `description` is one line naming the source and the
/// problem: `<source>: <kind phrase>: <detail>`.
///
/// ``MediaError`` (images) and LoomVideo's `VideoError` are its two forms; their kinds differ.
public struct SourceError<Kind: SourceErrorKind>: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    /// The class of problem.
    public let kind: Kind
    /// What was being read: a file path, or a short description such as "image data".
    public let source: String
    /// The specific reason, one line.
    public let detail: String

    /// An error of `kind` about `source`.
    public init(_ kind: Kind, source: String, detail: String) {
        self.kind = kind
        self.source = source
        self.detail = detail.replacingOccurrences(of: "\n", with: " ")
    }

    public var description: String { "\(source): \(kind.phrase): \(detail)" }

    public var errorDescription: String? { description }
}
