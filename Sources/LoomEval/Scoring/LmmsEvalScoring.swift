import LoomData
/// The per-sample scoring of lmms-eval 0.7.3 `lmms_eval/tasks/llava_interleave_bench/utils.py` (reference.md §7.2).
public enum LmmsEvalScoring {
    /// `mcq_acc(answer, pred)`: 1 when both texts normalise to the same string, else 0.
    ///
    /// Normalisation (`process`): if the stripped text matches `^([A-E])\.\s*(.+)$` (ignoring case) it is that letter,
    /// upper-cased; otherwise the authors' `process` (`AuthorsScoring.process`), then the first `\b([A-E])\b`
    /// (ignoring case, Unicode word boundaries) upper-cased, else the processed text.
    public static func mcqAccuracy(answer: String, prediction: String) -> Double {
        normalise(Python.text(prediction)) == normalise(Python.text(answer)) ? 1 : 0
    }

    static func normalise(_ text: PyText) -> PyText {
        let stripped = Python.strip(text)
        if let letter = optionLetter(stripped) { return [letter] }
        let processed = AuthorsScoring.process(text)
        for (i, c) in processed.enumerated() {
            guard let upper = letterAE(c) else { continue }
            let boundaryBefore = i == 0 || !Python.isWord(processed[i - 1])
            let boundaryAfter = i + 1 == processed.count || !Python.isWord(processed[i + 1])
            if boundaryBefore && boundaryAfter { return [upper] }
        }
        return processed
    }

    /// A–E or a–e as the upper-case letter.
    private static func letterAE(_ c: Unicode.Scalar) -> Unicode.Scalar? {
        switch c.value {
        case 0x41...0x45: return c
        case 0x61...0x65: return Unicode.Scalar(c.value - 32)!
        default: return nil
        }
    }

    /// `re.compile(r"^([A-E])\.\s*(.+)$", re.IGNORECASE).match(text)`: a letter, '.', then a rest R that is not empty
    /// where some prefix of `\s` characters can be followed by at least one character and no '\n' up to the end
    /// (`.` does not match '\n'; `$` also matches before a final '\n', which a stripped text cannot end with).
    private static func optionLetter(_ t: PyText) -> Unicode.Scalar? {
        guard t.count >= 3, let letter = letterAE(t[0]), t[1] == "." else { return nil }
        let rest = t[2...]
        if let lastNewline = rest.lastIndex(of: "\n") {
            guard rest[...lastNewline].allSatisfy(Python.isSpace), lastNewline + 1 < t.count else { return nil }
        }
        return letter
    }

    /// `oe_rogue(answer, pred)`: 0 for an empty prediction; else ROUGE-L F of the RAW prediction cut to 512 code
    /// points against the RAW answer (no normalisation).
    /// - Throws: `RougeError` where `rouge` raises: an empty answer, or a prediction or answer made only of '.'
    ///   (lmms-eval would stop there).
    public static func openEndedRouge(answer: String, prediction: String) throws -> Double {
        var pred = Python.text(prediction)
        if pred.isEmpty { return 0 }
        if pred.count > 512 { pred = Array(pred[0..<512]) }
        return try RougeL.f(pred, Python.text(answer))
    }
}
