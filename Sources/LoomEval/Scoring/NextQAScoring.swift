import LoomData
/// NExT-QA multiple-choice answer parsing of lmms-eval 0.7.3 (`lmms_eval/tasks/nextqa/utils.py`
/// `parse_multi_choice_response`, MMMU's parser, with `get_multi_choice_info`; reference.md §7.4).
public enum NextQAScoring {
    /// The option index (0 = A …) that `parse_multi_choice_response` picks for `response`, with `options` the
    /// dataset's `a0…a4` (stripped here, as `get_multi_choice_info` does).
    ///
    /// Strip `, . ! ? ; : '` from the ends (in that order), pad with a space each side; candidates are the letters
    /// found as `(A)`, else as `"A "`, else as `"A."`, else — when the response has more than 5 words — the options
    /// whose lower-cased text occurs in the lower-cased response. Several candidates: the one found last (`rfind` of
    /// `(A)`, of `" A "`, or of the option text; the first candidate on ties).
    /// - Returns: `nil` where lmms-eval has no candidate and falls back to `random.choice` (not reproducible).
    public static func parse(response: String, options: [String]) -> Int? {
        let letters: [Unicode.Scalar] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars.prefix(options.count))
        let answers = options.map { Python.strip(Python.text($0)) }
        var r = Python.text(response)
        for ch: Unicode.Scalar in [",", ".", "!", "?", ";", ":", "'"] { r = Python.strip(r, ch) }
        r = [" "] + r + [" "]

        var indexAnswer = true
        var withBrackets = false
        var candidates: [Int] = []
        for (k, letter) in letters.enumerated() where Python.contains(r, ["(", letter, ")"]) {
            candidates.append(k)
            withBrackets = true
        }
        if candidates.isEmpty {
            for (k, letter) in letters.enumerated() where Python.contains(r, [letter, " "]) { candidates.append(k) }
        }
        if candidates.isEmpty {
            for (k, letter) in letters.enumerated() where Python.contains(r, [letter, "."]) { candidates.append(k) }
        }
        let lowered = Python.lower(r)
        if candidates.isEmpty && Python.split(r).count > 5 {
            for (k, answer) in answers.enumerated() where Python.contains(lowered, Python.lower(answer)) {
                candidates.append(k)
                indexAnswer = false
            }
        }
        if candidates.isEmpty { return nil }
        if candidates.count == 1 { return candidates[0] }
        let starts: [Int] = candidates.map { k in
            if indexAnswer {
                return withBrackets ? Python.rfind(r, ["(", letters[k], ")"]) : Python.rfind(r, [" ", letters[k], " "])
            }
            return Python.rfind(lowered, Python.lower(answers[k]))
        }
        // np.argmax: the first maximum.
        var best = 0
        for i in starts.indices where starts[i] > starts[best] { best = i }
        return candidates[best]
    }
}
