import Foundation

/// Loom's own scoring of `question_type: "exact"` samples (the synthetic tasks of `loom data synth`, train.md §9.5):
/// neither reference has it. A prediction is right when it equals the answer after both are normalised.
public enum ExactMatchScoring {
    /// The question type this scorer handles.
    public static let questionType = "exact"

    /// Lower-cased, whitespace and newlines trimmed from both ends, then one final period dropped ("Red. " → "red").
    public static func normalise(_ text: String) -> String {
        var result = text.lowercased().trimmingCharacters(in: .whitespacesAndNewlines)
        if result.hasSuffix(".") { result.removeLast() }
        return result
    }

    /// 1 when `prediction` and `answer` normalise to the same text, else 0.
    public static func score(prediction: String, answer: String) -> Double {
        normalise(prediction) == normalise(answer) ? 1 : 0
    }
}
