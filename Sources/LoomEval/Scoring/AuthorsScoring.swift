import LoomData
/// The per-sample scoring of the authors' `llava/eval/evaluate_interleave.py` (LLaVA-VL/LLaVA-NeXT d6e32ab),
/// ported line by line, quirks included (reference.md §7.1).
public enum AuthorsScoring {
    /// The punctuation of `Eval.punct`, in its order.
    static let punctuation: [Unicode.Scalar] = [
        ";", "/", "[", "]", "\"", "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!",
    ]

    /// `Eval.process`: `\n`, `\t` → space; strip; `processPunctuation`; strip `'`, `"`, `)`, `(` from the ends (in that
    /// order); strip; lower-case.
    ///
    /// `processPunctuation` deletes each punctuation character when `p + " "` or `" " + p` occurs in the input, or
    /// when the input holds digit-comma-digit (`(\d)(\,)(\d)`), and replaces it by a space otherwise. Then
    /// `periodStrip.sub("", text, re.UNICODE)`: the pattern `(?!<=\d)(\.)(?!\d)` removes every '.' not followed by a
    /// decimal digit, and the third argument is `count`, so only the first 32 (`re.UNICODE` = 32) go.
    public static func process(_ text: String) -> String {
        Python.string(process(Python.text(text)))
    }

    static func process(_ text: PyText) -> PyText {
        var s = text.map { $0 == "\n" || $0 == "\t" ? " " : $0 }
        s = Python.strip(s)
        s = processPunctuation(s)
        s = Python.strip(s, "'")
        s = Python.strip(s, "\"")
        s = Python.strip(s, ")")
        s = Python.strip(s, "(")
        return Python.lower(Python.strip(s))
    }

    static func processPunctuation(_ inText: PyText) -> PyText {
        let digitCommaDigit = hasDigitCommaDigit(inText)
        var out = inText
        for p in punctuation {
            if Python.contains(inText, [p, " "]) || Python.contains(inText, [" ", p]) || digitCommaDigit {
                out.removeAll { $0 == p }
            } else {
                out = out.map { $0 == p ? " " : $0 }
            }
        }
        return periodStrip(out)
    }

    static func hasDigitCommaDigit(_ s: PyText) -> Bool {
        guard s.count >= 3 else { return false }
        for i in 0...(s.count - 3) where s[i + 1] == "," && Python.isDecimal(s[i]) && Python.isDecimal(s[i + 2]) {
            return true
        }
        return false
    }

    /// `re.compile("(?!<=\d)(\.)(?!\d)").sub("", s, 32)`.
    static func periodStrip(_ s: PyText) -> PyText {
        var out: PyText = []
        out.reserveCapacity(s.count)
        var removed = 0
        for (i, c) in s.enumerated() {
            if c == ".", removed < 32, !(i + 1 < s.count && Python.isDecimal(s[i + 1])) {
                removed += 1
                continue
            }
            out.append(c)
        }
        return out
    }

    /// One sample of `Eval.evaluate_rouge`: `nil` when the processed answer is empty (the script skips the sample);
    /// 0 when the processed prediction is empty; else ROUGE-L F of the processed prediction cut to 512 code points
    /// against the processed answer.
    /// - Throws: `RougeError` where `rouge` raises (a processed text made only of '.', e.g. more than 32 periods);
    ///   the authors' script would stop there.
    public static func rouge(prediction: String, answer: String) throws -> Double? {
        try rouge(Python.text(prediction), Python.text(answer))
    }

    static func rouge(_ prediction: PyText, _ answer: PyText) throws(RougeError) -> Double? {
        let gt = process(answer)
        if gt.isEmpty { return nil }
        var pred = process(prediction)
        if pred.isEmpty { return 0 }
        if pred.count > 512 { pred = Array(pred[0..<512]) }
        return try RougeL.f(pred, gt)
    }

    /// One sample of `Eval.evaluate_multichoice` (and the identical `evaluate_multi_choice_image`): both texts
    /// processed; when the processed prediction holds ':', each stripped ':'-piece of one character in a…h replaces it
    /// (the last such wins); 1 when it then equals the processed answer, else 0.
    public static func accuracy(prediction: String, answer: String) -> Double {
        accuracy(Python.text(prediction), Python.text(answer))
    }

    static func accuracy(_ prediction: PyText, _ answer: PyText) -> Double {
        let gt = process(answer)
        var pred = process(prediction)
        if pred.contains(":") {
            for piece in Python.split(pred, separator: ":") {
                let a = Python.strip(piece)
                if a.count == 1, ("a"..."h").contains(a[0]) { pred = a }
            }
        }
        return pred == gt ? 1 : 0
    }
}
