/// Python 3.11 `str` operations on code points, as the scoring references use them.
///
/// Python strings are sequences of code points and compare code point by code point; Swift `String` compares by
/// canonical equivalence and counts grapheme clusters. The scorers therefore work on `[Unicode.Scalar]` throughout:
/// lengths (`pred[:512]`), equality, substring tests and word sets all follow Python.
public typealias PyText = [Unicode.Scalar]

public enum Python {
    /// `str.isspace()` (= `\s` of `re` on `str` patterns) of CPython 3.11: bidirectional class WS/B/S or category Zs.
    public static func isSpace(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x09...0x0D, 0x1C...0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// `str.isdecimal()` (= `\d` of `re` on `str` patterns): Numeric_Type=Decimal, i.e. category Nd.
    public static func isDecimal(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 { return c.value >= 0x30 && c.value <= 0x39 }
        return c.properties.numericType == .decimal
    }

    /// `\w` of `re` on `str` patterns: `str.isalnum()` (letters Lu/Ll/Lt/Lm/Lo, or any numeric type) or `_`.
    public static func isWord(_ c: Unicode.Scalar) -> Bool {
        if c.value < 0x80 {
            let v = c.value
            return (v >= 0x30 && v <= 0x39) || (v >= 0x41 && v <= 0x5A) || (v >= 0x61 && v <= 0x7A) || v == 0x5F
        }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return c.properties.numericType != nil
        }
    }

    /// `text.strip()` on a Swift string.
    public static func strip(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: strip(Array(text.unicodeScalars)))
        return String(scalars)
    }

    /// `s.strip()`: Python whitespace removed from both ends.
    public static func strip(_ s: PyText) -> PyText {
        var lo = 0, hi = s.count
        while lo < hi, isSpace(s[lo]) { lo += 1 }
        while hi > lo, isSpace(s[hi - 1]) { hi -= 1 }
        return Array(s[lo..<hi])
    }

    /// `s.strip(ch)` for a one-character argument.
    public static func strip(_ s: PyText, _ ch: Unicode.Scalar) -> PyText {
        var lo = 0, hi = s.count
        while lo < hi, s[lo] == ch { lo += 1 }
        while hi > lo, s[hi - 1] == ch { hi -= 1 }
        return Array(s[lo..<hi])
    }

    /// `s.split()`: runs of Python whitespace separate words; no empty words.
    public static func split(_ s: PyText) -> [PyText] {
        var out: [PyText] = []
        var current: PyText = []
        for c in s {
            if isSpace(c) {
                if !current.isEmpty { out.append(current); current = [] }
            } else {
                current.append(c)
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// `s.split(sep)` for a one-character separator: keeps empty pieces.
    public static func split(_ s: PyText, separator: Unicode.Scalar) -> [PyText] {
        var out: [PyText] = []
        var current: PyText = []
        for c in s {
            if c == separator {
                out.append(current)
                current = []
            } else {
                current.append(c)
            }
        }
        out.append(current)
        return out
    }

    /// `needle in haystack`.
    public static func contains(_ haystack: PyText, _ needle: PyText) -> Bool {
        find(haystack, needle, last: false) >= 0
    }

    /// `haystack.rfind(needle)`: the last start index, `-1` when absent; `len(haystack)` for an empty needle.
    public static func rfind(_ haystack: PyText, _ needle: PyText) -> Int {
        find(haystack, needle, last: true)
    }

    private static func find(_ haystack: PyText, _ needle: PyText, last: Bool) -> Int {
        let n = haystack.count, m = needle.count
        if m == 0 { return last ? n : 0 }
        if m > n { return -1 }
        var start = last ? n - m : 0
        while start >= 0 && start <= n - m {
            var k = 0
            while k < m && haystack[start + k] == needle[k] { k += 1 }
            if k == m { return start }
            start += last ? -1 : 1
        }
        return -1
    }

    /// `s.lower()` of CPython: the full lowercase mapping (SpecialCasing), with U+03A3 becoming final sigma U+03C2 in
    /// the Final_Sigma context (`unicodeobject.c` `handle_capital_sigma`).
    public static func lower(_ s: PyText) -> PyText {
        var out: PyText = []
        out.reserveCapacity(s.count)
        for (i, c) in s.enumerated() {
            if c.value < 0x80 {
                out.append(c.value >= 0x41 && c.value <= 0x5A ? Unicode.Scalar(c.value + 32)! : c)
            } else if c.value == 0x3A3 {
                out.append(finalSigma(s, i) ? Unicode.Scalar(0x3C2)! : Unicode.Scalar(0x3C3)!)
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    private static func finalSigma(_ s: PyText, _ i: Int) -> Bool {
        var j = i - 1
        while j >= 0, s[j].properties.isCaseIgnorable { j -= 1 }
        var isFinal = j >= 0 && s[j].properties.isCased
        if isFinal && i + 1 < s.count {
            j = i + 1
            while j < s.count, s[j].properties.isCaseIgnorable { j += 1 }
            isFinal = j == s.count || !s[j].properties.isCased
        }
        return isFinal
    }

    /// The code points of `s`.
    public static func text(_ s: String) -> PyText { Array(s.unicodeScalars) }

    /// A `String` of exactly these code points.
    public static func string(_ s: PyText) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: s)
        return String(view)
    }

    /// `np.mean` of a float64 vector: numpy's pairwise summation (blocks of 128, eight accumulators) added to the
    /// reduction's initial 0.0, divided by the count. NaN for an empty vector, as numpy returns (with a warning).
    public static func numpyMean(_ values: [Double]) -> Double {
        if values.isEmpty { return .nan }
        return (0.0 + pairwiseSum(values[...])) / Double(values.count)
    }

    private static func pairwiseSum(_ a: ArraySlice<Double>) -> Double {
        let n = a.count, base = a.startIndex
        if n < 8 {
            var res = 0.0
            for v in a { res += v }
            return res
        } else if n <= 128 {
            var r = (0..<8).map { a[base + $0] }
            var i = 8
            while i < n - (n % 8) {
                for k in 0..<8 { r[k] += a[base + i + k] }
                i += 8
            }
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n {
                res += a[base + i]
                i += 1
            }
            return res
        } else {
            var n2 = n / 2
            n2 -= n2 % 8
            return pairwiseSum(a[base..<(base + n2)]) + pairwiseSum(a[(base + n2)...])
        }
    }
}
