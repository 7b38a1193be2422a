import Foundation
import LoomJSON

/// Byte-level BPE (`model` of `tokenizer.json`, type "BPE"): a vocabulary of byte-level strings and merges ranked by
/// their order. Words are merged exactly as HF `tokenizers` does: repeatedly the adjacent pair with the lowest
/// merge rank, leftmost first. Merged words are cached (thread-safe).
final class BPEModel: @unchecked Sendable {
    /// Vocabulary string → id.
    let vocabulary: [ExactString: Int]
    /// Id → vocabulary string (`nil` for ids the vocabulary skips).
    let tokens: [String?]
    /// `left << 32 | right` → `rank << 32 | merged id`.
    private let merges: [UInt64: UInt64]
    /// The vocabulary id of each byte's single-character string, `-1` where the vocabulary lacks it.
    private let byteIDs: [Int32]
    /// HF's `ignore_merges`: a word that is itself in the vocabulary becomes that one token.
    private let ignoreMerges: Bool

    private let cacheLock = NSLock()
    private var cache: [[UInt8]: [Int32]] = [:]
    /// At most 10,000 words (HF's default capacity), each at most 256 bytes so that long runs do not pin memory.
    private static let cacheCapacity = 10_000
    private static let cacheableWordLength = 256

    /// Reads the `model` object of `tokenizer.json` (`file` names it in errors).
    init(json model: JSONObject, file: String) throws {
        try Self.checkOptions(model, file: file)
        guard let vocabularyValue = model["vocab"] else { throw TokenizerError.missingField(file: file, field: "model.vocab") }
        guard let vocabularyObject = vocabularyValue.objectValue else {
            throw TokenizerError.invalidField(file: file, field: "model.vocab", reason: "is \(vocabularyValue.typeName), expected an object")
        }
        var vocabulary = [ExactString: Int](minimumCapacity: vocabularyObject.keys.count)
        var maxID = -1
        for (token, value) in zip(vocabularyObject.keys, vocabularyObject.values) {
            guard let id = value.intValue, id >= 0, id <= Int(Int32.max) else {
                throw TokenizerError.invalidField(file: file, field: "model.vocab[\(token)]", reason: "is not a non-negative integer id")
            }
            vocabulary[ExactString(token)] = id
            maxID = max(maxID, id)
        }
        var tokens = [String?](repeating: nil, count: maxID + 1)
        for (token, id) in vocabulary { tokens[id] = token.value }

        self.vocabulary = vocabulary
        self.tokens = tokens
        self.merges = try Self.readMerges(model["merges"], vocabulary: vocabulary, file: file)
        self.byteIDs = ByteLevel.scalarForByte.map { scalar in
            vocabulary[ExactString(String(Character(scalar)))].map { Int32($0) } ?? -1
        }
        self.ignoreMerges = model["ignore_merges"]?.boolValue ?? false
    }

    /// Rejects BPE options this implementation does not reproduce.
    private static func checkOptions(_ model: JSONObject, file: String) throws {
        if let type = model["type"], type.stringValue != "BPE" {
            throw TokenizerError.unsupported(file: file, field: "model.type", value: type.stringValue ?? type.typeName)
        }
        if let dropout = model["dropout"], !dropout.isNull, dropout.intValue != 0 {
            throw TokenizerError.unsupported(file: file, field: "model.dropout", value: "BPE dropout")
        }
        if let unknown = model["unk_token"], !unknown.isNull {
            throw TokenizerError.unsupported(file: file, field: "model.unk_token", value: unknown.stringValue ?? unknown.typeName)
        }
        if model["byte_fallback"]?.boolValue == true {
            throw TokenizerError.unsupported(file: file, field: "model.byte_fallback", value: "true")
        }
        for field in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = model[field], !affix.isNull, affix.stringValue != "" {
                throw TokenizerError.unsupported(file: file, field: "model.\(field)", value: affix.stringValue ?? affix.typeName)
            }
        }
    }

    /// Merges as `["a", "b"]` pairs (current format) or `"a b"` strings (older format); rank = position.
    private static func readMerges(_ value: JSONValue?, vocabulary: [ExactString: Int], file: String) throws -> [UInt64: UInt64] {
        guard let value else { throw TokenizerError.missingField(file: file, field: "model.merges") }
        guard let entries = value.arrayValue else {
            throw TokenizerError.invalidField(file: file, field: "model.merges", reason: "is \(value.typeName), expected an array")
        }
        var merges = [UInt64: UInt64](minimumCapacity: entries.count)
        for (rank, entry) in entries.enumerated() {
            let field = "model.merges[\(rank)]"
            let left: String, right: String
            switch entry {
            case let .array(pair) where pair.count == 2 && pair[0].stringValue != nil && pair[1].stringValue != nil:
                left = pair[0].stringValue!
                right = pair[1].stringValue!
            case let .string(line):
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else {
                    throw TokenizerError.invalidField(file: file, field: field, reason: "is not two tokens separated by a space")
                }
                left = String(parts[0])
                right = String(parts[1])
            default:
                throw TokenizerError.invalidField(file: file, field: field, reason: "is not a pair of token strings")
            }
            guard let leftID = vocabulary[ExactString(left)], let rightID = vocabulary[ExactString(right)] else {
                throw TokenizerError.invalidField(file: file, field: field, reason: "names a token missing from model.vocab")
            }
            guard let mergedID = vocabulary[ExactString(left + right)] else {
                throw TokenizerError.invalidField(file: file, field: field, reason: "merges into a token missing from model.vocab")
            }
            merges[pairKey(Int32(leftID), Int32(rightID))] = UInt64(rank) << 32 | UInt64(mergedID)
        }
        return merges
    }

    @inline(__always)
    private static func pairKey(_ left: Int32, _ right: Int32) -> UInt64 {
        UInt64(UInt32(bitPattern: left)) << 32 | UInt64(UInt32(bitPattern: right))
    }

    /// Appends the ids of one pre-tokenized word, given as raw UTF-8 bytes.
    func appendTokens(forWord word: ArraySlice<UInt8>, to ids: inout [Int]) {
        guard !word.isEmpty else { return }
        if ignoreMerges, let id = vocabulary[ExactString(ByteLevel.string(from: word))] {
            ids.append(id)
            return
        }
        let key = Array(word)
        guard key.count <= Self.cacheableWordLength else {
            for symbol in merge(key) { ids.append(Int(symbol)) }
            return
        }
        cacheLock.lock()
        let cached = cache[key]
        cacheLock.unlock()
        let symbols = cached ?? merge(key)
        if cached == nil {
            cacheLock.lock()
            if cache.count < Self.cacheCapacity { cache[key] = symbols }
            cacheLock.unlock()
        }
        for symbol in symbols { ids.append(Int(symbol)) }
    }

    /// HF's `Word::merge_all`: a heap of candidate merges keyed by (rank, position); stale entries are skipped.
    private func merge(_ word: [UInt8]) -> [Int32] {
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        for byte in word where byteIDs[Int(byte)] >= 0 { symbols.append(byteIDs[Int(byte)]) }
        let count = symbols.count
        guard count > 1 else { return symbols }

        var previous = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = Int32(index - 1) }
            initialized = count
        }
        var next = [Int32](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count { buffer[index] = index + 1 < count ? Int32(index + 1) : -1 }
            initialized = count
        }
        var heap = MinHeap<UInt64>(capacity: 2 * count)
        for position in 0..<(count - 1) {
            if let merge = merges[Self.pairKey(symbols[position], symbols[position + 1])] {
                heap.push(merge & 0xFFFF_FFFF_0000_0000 | UInt64(position))
            }
        }
        while let top = heap.popMin() {
            let rank = top >> 32
            let position = Int(top & 0xFFFF_FFFF)
            guard symbols[position] >= 0, next[position] >= 0 else { continue }
            let right = Int(next[position])
            guard let merge = merges[Self.pairKey(symbols[position], symbols[right])], merge >> 32 == rank else { continue }

            symbols[position] = Int32(truncatingIfNeeded: merge)
            symbols[right] = -1
            next[position] = next[right]
            if next[position] >= 0 { previous[Int(next[position])] = Int32(position) }

            let before = Int(previous[position])
            if before >= 0, let merge = merges[Self.pairKey(symbols[before], symbols[position])] {
                heap.push(merge & 0xFFFF_FFFF_0000_0000 | UInt64(before))
            }
            let after = Int(next[position])
            if after >= 0, let merge = merges[Self.pairKey(symbols[position], symbols[after])] {
                heap.push(merge & 0xFFFF_FFFF_0000_0000 | UInt64(position))
            }
        }
        return symbols.filter { $0 >= 0 }
    }
}
