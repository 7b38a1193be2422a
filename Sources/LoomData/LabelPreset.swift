/// The three ways training records become token ids and labels (`../shared/spec/data.md` §4.2–§4.5).
public enum LabelPreset: String, Sendable, CaseIterable {
    /// LLaVA-NeXT's current `preprocess_multimodal` + `preprocess_qwen` (since 2024-06-25): system prompt, whole
    /// assistant turns supervised, and every standalone `\n`, `<|im_start|>` and `<|im_end|>` of other turns too.
    case llavaNext = "llava-next"
    /// The June-2024 `preprocess_qwen`: images forced to the front of their turn with an extra `\n`, `assistant\n`
    /// masked; records it cannot express (markers not all at the start of their turn) are errors.
    case llavaNext0614 = "llava-next-0614"
    /// The Hugging Face convention (llava-hf template, lmms-finetune's `{% generation %}` span): no system prompt,
    /// only the tokens overlapping `"\n" + answer + "<|im_end|>\n"` supervised.
    case hf
}

/// One record as training input: ids with each image (or video) as one `TrainingTokens.imageSentinel` entry, and
/// labels with `TrainingTokens.ignoreIndex` where nothing is learnt.
public struct TokenizedRecord: Sendable, Equatable {
    /// `sample_id` (or `id`) as written in the record.
    public var sampleID: String
    public var inputIDs: [Int]
    public var labels: [Int]

    public init(sampleID: String, inputIDs: [Int], labels: [Int]) {
        precondition(inputIDs.count == labels.count, "TokenizedRecord: \(inputIDs.count) ids, \(labels.count) labels")
        self.sampleID = sampleID
        self.inputIDs = inputIDs
        self.labels = labels
    }

    /// The number of image sentinels.
    public var imageCount: Int { inputIDs.reduce(0) { $0 + ($1 == TrainingTokens.imageSentinel ? 1 : 0) } }

    /// The number of supervised positions.
    public var supervisedCount: Int { labels.reduce(0) { $0 + ($1 == TrainingTokens.ignoreIndex ? 0 : 1) } }

    /// The expanded form: sentinel `k` becomes `positions[k]` copies of `imageTokenID`, labelled ignored.
    public func expanded(imageTokenID: Int, positions: [Int]) -> TokenizedRecord {
        precondition(positions.count == imageCount, "expanded: \(positions.count) counts for \(imageCount) images")
        var ids: [Int] = [], labels: [Int] = []
        ids.reserveCapacity(inputIDs.count + positions.reduce(0, +))
        labels.reserveCapacity(ids.capacity)
        var image = 0
        for (id, label) in zip(inputIDs, self.labels) {
            if id == TrainingTokens.imageSentinel {
                ids += Array(repeating: imageTokenID, count: positions[image])
                labels += Array(repeating: TrainingTokens.ignoreIndex, count: positions[image])
                image += 1
            } else {
                ids.append(id)
                labels.append(label)
            }
        }
        return TokenizedRecord(sampleID: sampleID, inputIDs: ids, labels: labels)
    }
}

/// The constants of the authors' training code.
public enum TrainingTokens {
    /// `IMAGE_TOKEN_INDEX`: where an image's feature rows go, before expansion.
    public static let imageSentinel = -200
    /// `IGNORE_INDEX`: a position without a label.
    public static let ignoreIndex = -100
}
