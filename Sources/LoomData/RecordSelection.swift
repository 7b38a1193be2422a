import Foundation
import LoomCore

/// Which records of a file to keep (LLaVA-NeXT's data-mixture grammar, `train.py` l.978–1030): `all`,
/// `first:N`, `end:N`, `random:N`, `random:P%` (P percent, rounded up), or a fraction `0.25` (= `random:25%`).
public enum RecordSelection: Sendable, Equatable, CustomStringConvertible {
    case all
    case first(Int)
    case end(Int)
    case random(Int)
    case randomPercent(Double)

    public init(parsing text: String) throws {
        let spec = text.trimmingCharacters(in: .whitespaces)
        func count(_ value: Substring) throws -> Int {
            guard let n = Int(value), n >= 0 else { throw RecordError("'\(spec)': \(value) is not a record count") }
            return n
        }
        if spec == "all" { self = .all; return }
        if let fraction = Double(spec) {
            guard fraction >= 0, fraction <= 1 else { throw RecordError("'\(spec)': a fraction must lie in 0…1") }
            self = .randomPercent(fraction * 100)
            return
        }
        let parts = spec.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { throw RecordError("'\(spec)': expected all, first:N, end:N, random:N, random:P% or a fraction") }
        switch parts[0] {
        case "first": self = .first(try count(parts[1]))
        case "end": self = .end(try count(parts[1]))
        case "random":
            if parts[1].hasSuffix("%") {
                guard let percent = Double(parts[1].dropLast()), percent >= 0, percent <= 100 else {
                    throw RecordError("'\(spec)': the percentage must lie in 0…100")
                }
                self = .randomPercent(percent)
            } else {
                self = .random(try count(parts[1]))
            }
        default: throw RecordError("'\(spec)': unknown strategy \(parts[0]) (all, first, end, random)")
        }
    }

    public var description: String {
        switch self {
        case .all: return "all"
        case .first(let n): return "first:\(n)"
        case .end(let n): return "end:\(n)"
        case .random(let n): return "random:\(n)"
        case .randomPercent(let p): return "random:\(p)%"
        }
    }

    /// Whether choosing needs the file's record count first (a second pass).
    public var needsCount: Bool {
        switch self {
        case .end, .random, .randomPercent: return true
        default: return false
        }
    }

    /// The positions chosen among `total` records (sorted), using `random` for the random strategies.
    public func positions(total: Int, random: inout SplitMix64) -> [Int] {
        switch self {
        case .all: return Array(0..<total)
        case .first(let n): return Array(0..<min(n, total))
        case .end(let n): return Array(max(0, total - n)..<total)
        case .random(let n): return random.sample(min(n, total), of: total)
        case .randomPercent(let p):
            let k = Int((p * Double(total) / 100).rounded(.up))
            return random.sample(min(k, total), of: total)
        }
    }
}
