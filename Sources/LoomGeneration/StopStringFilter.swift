/// Holds back streamed text that might be the start of a stop string, and cuts the text at the first
/// complete stop string.
struct StopStringFilter {
    let stops: [String]
    private var pending = ""
    /// True once a stop string has been seen.
    private(set) var stopped = false

    init(stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    /// Adds newly decoded text; returns what can safely be emitted now.
    mutating func push(_ text: String) -> String {
        guard !stopped else { return "" }
        pending += text
        if stops.isEmpty { defer { pending = "" }; return pending }
        if let cut = stops.compactMap({ pending.range(of: $0)?.lowerBound }).min() {
            stopped = true
            defer { pending = "" }
            return String(pending[..<cut])
        }
        let holdCount = stops.map { stop in
            (1..<stop.count).reversed().first { pending.hasSuffix(stop.prefix($0)) } ?? 0
        }.max() ?? 0
        let emitEnd = pending.index(pending.endIndex, offsetBy: -holdCount)
        defer { pending = String(pending[emitEnd...]) }
        return String(pending[..<emitEnd])
    }

    /// Text still held back when generation ends for another reason.
    mutating func flush() -> String {
        defer { pending = "" }
        return stopped ? "" : pending
    }
}
