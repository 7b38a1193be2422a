/// The Qwen2 pre-tokenizer split, hand-written as a scanner over Unicode scalars. It reproduces, match for match,
/// HF's `Split(Regex(pattern), behavior: Isolated)` with Oniguruma's leftmost-first alternation for
///
///     (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
///
/// Every scalar belongs to some alternative, so the pieces tile the text.
enum Qwen2PreTokenizer {
    /// The pattern as it appears in `tokenizer.json` (`pre_tokenizer.pretokenizers[0].pattern.Regex`).
    static let pattern =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Calls `body` with the UTF-8 bytes of each piece of `utf8` (valid, already normalized text), in order.
    static func forEachPiece(of utf8: [UInt8], _ body: (ArraySlice<UInt8>) -> Void) {
        let (scalars, offsets) = UTF8Scanning.scalars(of: utf8)
        let classes = scalars.map(ScalarClass.of)
        var start = 0
        for end in pieceEnds(scalars: scalars, classes: classes) {
            body(utf8[offsets[start]..<offsets[end]])
            start = end
        }
    }

    /// The end index of each consecutive piece of `scalars` (whose `ScalarClass` bits are `classes`).
    static func pieceEnds(scalars: [UInt32], classes: [UInt8]) -> [Int] {
        var ends: [Int] = []
        var start = 0
        while start < scalars.count {
            start = pieceEnd(from: start, scalars: scalars, classes: classes)
            ends.append(start)
        }
        return ends
    }

    /// The end of the match starting at `i`, trying the alternatives in pattern order.
    private static func pieceEnd(from i: Int, scalars: [UInt32], classes: [UInt8]) -> Int {
        let count = scalars.count
        let scalarClass = classes[i]

        // (?i:'s|'t|'re|'ve|'m|'ll|'d)
        if scalars[i] == 0x27, let end = contractionEnd(from: i, scalars: scalars) { return end }

        // [^\r\n\p{L}\p{N}]?\p{L}+
        if scalarClass & ScalarClass.letter != 0 { return letterRunEnd(from: i + 1, classes: classes) }
        if scalarClass & (ScalarClass.number | ScalarClass.lineBreak) == 0, i + 1 < count,
           classes[i + 1] & ScalarClass.letter != 0 {
            return letterRunEnd(from: i + 2, classes: classes)
        }

        // \p{N}
        if scalarClass & ScalarClass.number != 0 { return i + 1 }

        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        var otherStart: Int?
        if isOtherClass(scalarClass) {
            otherStart = i
        } else if scalars[i] == 0x20, i + 1 < count, isOtherClass(classes[i + 1]) {
            otherStart = i + 1
        }
        if var end = otherStart {
            while end < count, isOtherClass(classes[end]) { end += 1 }
            while end < count, classes[end] & ScalarClass.lineBreak != 0 { end += 1 }
            return end
        }

        // Only whitespace is left. `\s*[\r\n]+` backtracks to just after the run's last line break.
        var runEnd = i
        var lastLineBreak: Int?
        while runEnd < count, classes[runEnd] & ScalarClass.whitespace != 0 {
            if classes[runEnd] & ScalarClass.lineBreak != 0 { lastLineBreak = runEnd }
            runEnd += 1
        }
        if let lastLineBreak { return lastLineBreak + 1 }
        // `\s+(?!\S)`: the whole run at the end of the text, otherwise all but its last scalar.
        if runEnd == count { return runEnd }
        if runEnd - i >= 2 { return runEnd - 1 }
        // `\s+`: a single whitespace scalar before a non-space.
        return runEnd
    }

    @inline(__always)
    private static func isOtherClass(_ scalarClass: UInt8) -> Bool {
        scalarClass & (ScalarClass.letter | ScalarClass.number | ScalarClass.whitespace) == 0
    }

    private static func letterRunEnd(from start: Int, classes: [UInt8]) -> Int {
        var end = start
        while end < classes.count, classes[end] & ScalarClass.letter != 0 { end += 1 }
        return end
    }

    /// The end of `'s|'t|'re|'ve|'m|'ll|'d` (case-insensitive) after the apostrophe at `i`, if one matches.
    private static func contractionEnd(from i: Int, scalars: [UInt32]) -> Int? {
        guard i + 1 < scalars.count else { return nil }
        let next = i + 2 < scalars.count ? caseFolded(scalars[i + 2]) : 0
        switch caseFolded(scalars[i + 1]) {
        case UInt32(ascii: "s"), UInt32(ascii: "t"), UInt32(ascii: "m"), UInt32(ascii: "d"): return i + 2
        case UInt32(ascii: "r") where next == UInt32(ascii: "e"): return i + 3
        case UInt32(ascii: "v") where next == UInt32(ascii: "e"): return i + 3
        case UInt32(ascii: "l") where next == UInt32(ascii: "l"): return i + 3
        default: return nil
        }
    }

    /// Simple case folding as far as the contraction letters need it: ASCII upper case, and U+017F LATIN SMALL
    /// LETTER LONG S, which folds to "s" (Oniguruma matches "'ſ" as a contraction). No other scalar folds to one
    /// of s, t, r, e, v, m, l, d.
    @inline(__always)
    private static func caseFolded(_ value: UInt32) -> UInt32 {
        switch value {
        case 0x41...0x5A: return value + 0x20
        case 0x17F: return UInt32(ascii: "s")
        default: return value
        }
    }
}

private extension UInt32 {
    init(ascii: Unicode.Scalar) { self = ascii.value }
}
