import Foundation

/// Runs the built `loom` executable as a user would.
public enum CLI {
    /// What a run printed and how it exited.
    public struct Run {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        /// Standard output parsed as a JSON object.
        public func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(stdout.utf8)) as! [String: Any]
        }
    }

    /// The executable: `LOOM_BINARY`, else the newest of `.build/{release,debug}/loom`.
    public static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["LOOM_BINARY"] { return URL(fileURLWithPath: path) }
        let candidates = ["release", "debug"].map { Fixtures.repositoryRoot.appendingPathComponent(".build/\($0)/loom") }
        let existing = candidates.filter { FileManager.default.fileExists(atPath: $0.path) }
        func modified(_ url: URL) -> Date {
            (try? FileManager.default.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
        }
        return existing.max { modified($0) < modified($1) } ?? candidates[1]
    }()

    /// Runs `loom` with `arguments`, waiting at most `timeout` seconds.
    public static func run(_ arguments: [String], timeout: TimeInterval = 300) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let outData = Collected(), errData = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { outData.data = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errData.data = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "loom \(arguments) timed out"])
        }
        process.waitUntilExit()
        return Run(status: process.terminationStatus, stdout: String(decoding: outData.data, as: UTF8.self),
                   stderr: String(decoding: errData.data, as: UTF8.self))
    }

    /// Bytes read by one reader thread and handed over after `DispatchGroup.wait`.
    private final class Collected: @unchecked Sendable { var data = Data() }
}
