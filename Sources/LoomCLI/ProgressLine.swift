import Foundation

/// Progress of long work on standard error: on a terminal one line redrawn at most ten times a second (bytes of a
/// file read, or items done, of the total; items/s; ETA); otherwise a plain line every 30 seconds, so logs stay short.
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let totalBytes: Int
    /// Counting items (e.g. "samples") rather than bytes of a file holding records.
    private let items: String?
    private let lock = NSLock()
    private let start = Date()
    private var lastDraw = Date.distantPast
    private let terminal = isatty(STDERR_FILENO) == 1
    private var drawn = false

    init(_ label: String, totalBytes: Int) {
        self.label = label
        self.totalBytes = totalBytes
        items = nil
    }

    /// Progress over `total` items named `items`.
    init(_ label: String, total: Int, items: String) {
        self.label = label
        totalBytes = total
        self.items = items
    }

    /// Reports `done` of the total items.
    func update(done: Int) { update(bytes: done, records: done) }

    /// Reports `bytes` of `totalBytes` read and `records` done; draws when it is time to.
    func update(bytes: Int, records: Int) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(lastDraw) >= (terminal ? 0.1 : 30) else { return }
        lastDraw = now
        let line = text(bytes: bytes, records: records, elapsed: now.timeIntervalSince(start))
        if terminal {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
            drawn = true
        } else if now.timeIntervalSince(start) >= 30 {
            writeError(line)
        }
    }

    /// Clears the line (on a terminal) and returns the elapsed seconds.
    @discardableResult
    func finish() -> Double {
        if terminal && drawn { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        return Date().timeIntervalSince(start)
    }

    func text(bytes: Int, records: Int, elapsed: Double) -> String {
        let fraction = totalBytes > 0 ? min(1, Double(bytes) / Double(totalBytes)) : 1
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let rate = elapsed > 0 ? Double(records) / elapsed : 0
        let eta = fraction > 0 && fraction < 1 ? " ETA \(Self.clock(elapsed * (1 - fraction) / fraction))" : ""
        if let items {
            return "\(label) \(bar) \(Int(fraction * 100))% \(records)/\(totalBytes) \(items) · \(String(format: "%.2f", rate)) \(items)/s\(eta)"
        }
        return "\(label) \(bar) \(Int(fraction * 100))% \(Self.size(bytes))/\(Self.size(totalBytes)) · \(records) records · \(Int(rate)) records/s\(eta)"
    }

    static func size(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var value = Double(bytes), unit = 0
        while value >= 1000 && unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }
}
