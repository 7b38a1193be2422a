import Foundation
import LoomCore
import LoomModels

/// A deterministic, tiny decoder for scheduler tests: it records every forward call, caches one value per position,
/// and its next token after a position `p` of a sequence whose first token was `t` is `(t + 3p) % vocabulary`.
final class FakeModel: LanguageModel, @unchecked Sendable {
    /// One forward call (its segments' row counts), or the end of an engine step.
    enum Call: Equatable {
        case forward(rows: [Int])
        case stepEnd

        /// Whether the call decodes: one row per segment (prompt lengths in these tests never leave a 1-row chunk).
        var isDecode: Bool { if case .forward(let rows) = self { rows.allSatisfy { $0 == 1 } } else { false } }
    }

    let hiddenSize = 2
    let vocabularySize = 50
    let contextLength: Int
    let eosTokenIDs: [Int] = []
    /// Bytes one cached position reserves.
    let bytesPerPosition = 1000
    private let lock = NSLock()
    private var recorded: [Call] = []
    private var started: [Int] = []

    init(contextLength: Int = 4096) { self.contextLength = contextLength }

    /// Every forward call so far, with the ends of steps marked.
    var calls: [Call] { lock.withLock { recorded } }

    /// The first token of each sequence, in the order their prefills began.
    var starts: [Int] { lock.withLock { started } }

    /// Marks the end of an engine step in ``calls``.
    func markStepEnd() { lock.withLock { recorded.append(.stepEnd) } }

    func makeCache() -> DecoderCache { DecoderCache(layerCount: 1, width: 1) }

    func cacheBytes(positions: Int) -> Int { positions * bytesPerPosition }

    /// Row `[id, 0]` for each id.
    func embed(_ ids: [Int]) -> Tensor { Tensor(shape: [ids.count, 2], data: ids.flatMap { [Float($0), 0] }) }

    /// Each kept row's state: `[first cached value, position]`; the cache keeps each row's first value.
    func forward(_ batch: DecoderBatch) -> Tensor {
        lock.withLock {
            recorded.append(.forward(rows: batch.segments.map(\.rows)))
        }
        var out: [Float] = []
        var first = 0
        for segment in batch.segments {
            let cache = segment.cache.layers[0]
            let start = cache.length
            if start == 0 { lock.withLock { started.append(Int(batch.embeddings.data[first * 2])) } }
            let values = (0..<segment.rows).map { batch.embeddings.data[(first + $0) * 2] }
            cache.append(keys: Tensor(shape: [segment.rows, 1], data: values), values: Tensor(shape: [segment.rows, 1], data: values))
            let anchor = cache.withBuffers { keys, _ in keys[0] }
            for r in (segment.rows - segment.keptRows)..<segment.rows { out += [anchor, Float(start + r)] }
            first += segment.rows
        }
        return Tensor(shape: [out.count / 2, 2], data: out)
    }

    /// One-hot logits at `(anchor + 3 · position) % vocabulary`.
    func logits(_ hidden: Tensor) -> Tensor {
        var out = [Float](repeating: 0, count: hidden.rows * vocabularySize)
        for r in 0..<hidden.rows {
            out[r * vocabularySize + Self.next(anchor: Int(hidden.data[r * 2]), position: Int(hidden.data[r * 2 + 1]), vocabulary: vocabularySize)] = 1
        }
        return Tensor(shape: [hidden.rows, vocabularySize], data: out)
    }

    static func next(anchor: Int, position: Int, vocabulary: Int) -> Int { (anchor + 3 * position) % vocabulary }

    /// The tokens a prompt starting with `first`, `length` positions long, generates (greedy, `count` tokens).
    func expectedTokens(first: Int, length: Int, count: Int) -> [Int] {
        (0..<count).map { FakeModel.next(anchor: first, position: length - 1 + $0, vocabulary: vocabularySize) }
    }
}
