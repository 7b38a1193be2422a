import LoomData
/// Why `rouge` 1.0.1 raises `ValueError` for a pair (the first check of `rouge_n`, which `get_scores` runs before
/// ROUGE-L): a text with no non-empty piece between periods has no sentence.
public enum RougeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `ValueError("Hypothesis is empty.")`: the hypothesis is empty or made only of '.'.
    case hypothesisEmpty
    /// `ValueError("Reference is empty.")`: the reference is empty or made only of '.'.
    case referenceEmpty

    public var description: String {
        switch self {
        case .hypothesisEmpty: return "ValueError: Hypothesis is empty."
        case .referenceEmpty: return "ValueError: Reference is empty."
        }
    }
}

/// ROUGE-L F of the `rouge` 1.0.1 package (`Rouge().get_scores(hyp, ref)[0]["rouge-l"]["f"]`), exclusive (set)
/// semantics, ported from `rouge.py` / `rouge_score.py` (`rouge_l_summary_level`, `_union_lcs`, `_recon_lcs`).
///
/// - Sentences: `text.split(".")`, keeping non-empty pieces, each whitespace-normalised (`" ".join(s.split())`; a
///   piece of only whitespace becomes the sentence "" whose single word is "").
/// - `m`, `n`: the numbers of DISTINCT words of the reference and of the hypothesis.
/// - For each reference sentence, the words of one reconstructed LCS with every hypothesis sentence (ties move in the
///   hypothesis: `table[i-1][j] > table[i][j-1]` → i−1, else j−1) join a set kept across all reference sentences;
///   the LCS count is the growth of that set. `R = llcs/m`, `P = llcs/n`, `F = 2·(P·R / (P + R + 1e-8))`.
///
/// Words compare code point by code point, as Python does. Not reproduced: the `RecursionError` Python's recursive
/// `_recon` raises for a reference sentence and a hypothesis sentence of together more than about 990 words.
public enum RougeL {
    /// ROUGE-L F of `hypothesis` against `reference`.
    /// - Throws: `RougeError` where the Python package raises `ValueError` (no sentence in one of the texts).
    public static func f(hypothesis: String, reference: String) throws -> Double {
        try f(Python.text(hypothesis), Python.text(reference))
    }

    static func f(_ hypothesis: PyText, _ reference: PyText) throws(RougeError) -> Double {
        var interned: [PyText: Int] = [:]
        func sentences(_ text: PyText) -> [[Int]] {
            Python.split(text, separator: ".").filter { !$0.isEmpty }.map { piece in
                let words = Python.split(piece)
                return (words.isEmpty ? [[]] : words).map { word in
                    if let id = interned[word] { return id }
                    let id = interned.count
                    interned[word] = id
                    return id
                }
            }
        }
        let hyp = sentences(hypothesis), ref = sentences(reference)
        if hyp.isEmpty { throw .hypothesisEmpty }
        if ref.isEmpty { throw .referenceEmpty }

        let m = Set(ref.joined()).count
        let n = Set(hyp.joined()).count
        var union = Set<Int>()
        var llcs = 0
        for r in ref {
            let before = union.count
            for c in hyp { union.formUnion(lcsWords(r, c)) }
            llcs += union.count - before
        }
        let rLcs = Double(llcs) / Double(m)
        let pLcs = Double(llcs) / Double(n)
        return 2.0 * ((pLcs * rLcs) / (pLcs + rLcs + 1e-8))
    }

    /// The words of `_recon_lcs(x, y)`: one longest common subsequence, reconstructed from the end.
    static func lcsWords(_ x: [Int], _ y: [Int]) -> [Int] {
        let n = x.count, m = y.count
        if n == 0 || m == 0 { return [] }
        let width = m + 1
        var table = [Int](repeating: 0, count: (n + 1) * width)
        for i in 1...n {
            for j in 1...m {
                table[i * width + j] = x[i - 1] == y[j - 1]
                    ? table[(i - 1) * width + j - 1] + 1
                    : max(table[(i - 1) * width + j], table[i * width + j - 1])
            }
        }
        var out: [Int] = []
        var i = n, j = m
        while i > 0 && j > 0 {
            if x[i - 1] == y[j - 1] {
                out.append(x[i - 1])
                i -= 1
                j -= 1
            } else if table[(i - 1) * width + j] > table[i * width + j - 1] {
                i -= 1
            } else {
                j -= 1
            }
        }
        return out
    }
}
