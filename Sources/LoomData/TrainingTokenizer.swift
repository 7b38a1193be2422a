import Foundation
import LoomTokenizers

/// Turns training records into ids and labels exactly as the reference code of a `LabelPreset` does.
public struct TrainingTokenizer: Sendable {
    public let tokenizer: Tokenizer
    public let preset: LabelPreset
    /// The system prompt of the LLaVA-NeXT presets.
    public var systemPrompt = "You are a helpful assistant."

    private let imStart: Int
    private let imEnd: Int
    private let newline: Int
    /// The tokenizer's own `<image>` token, when it has one (llava-hf tokenizers do).
    private let imageToken: Int?

    public init(tokenizer: Tokenizer, preset: LabelPreset) throws {
        guard let imStart = tokenizer.id(for: "<|im_start|>"), let imEnd = tokenizer.id(for: "<|im_end|>") else {
            throw RecordError("the tokenizer has no <|im_start|> / <|im_end|> tokens (the presets are for Qwen2 ChatML)")
        }
        let newline = tokenizer.encode("\n")
        guard newline.count == 1 else { throw RecordError("the tokenizer does not encode \"\\n\" as one token") }
        self.tokenizer = tokenizer
        self.preset = preset
        self.imStart = imStart
        self.imEnd = imEnd
        self.newline = newline[0]
        imageToken = tokenizer.id(for: ImageMarker.text)
        if preset == .hf && imageToken == nil {
            throw RecordError("the hf preset needs a tokenizer with an <image> token (llava-hf checkpoints have one)")
        }
    }

    /// The record's ids and labels; throws for a record the preset cannot express.
    public func tokenize(_ record: DataRecord) throws -> TokenizedRecord {
        switch preset {
        case .llavaNext: return try llavaNext(record)
        case .llavaNext0614: return try llavaNext0614(record)
        case .hf: return try hf(record)
        }
    }

    // MARK: LLaVA-NeXT

    /// `preprocess_multimodal`: a turn with exactly one marker not at its start becomes `"<image>\n" + rest`
    /// (stripped); the `QA_GT_caption_based_noisy` tag of VideoInstruct data is removed. Only for records with media.
    static func preprocessMultimodal(_ turns: [Turn]) -> [Turn] {
        turns.map { turn in
            var value = turn.value
            if ImageMarker.count(in: value) == 1 && !value.hasPrefix(ImageMarker.text) {
                value = Python.strip(value.replacingOccurrences(of: ImageMarker.text, with: ""))
                value = Python.strip(ImageMarker.text + "\n" + value)
            }
            value = value.replacingOccurrences(of: "QA_GT_caption_based_noisy", with: "")
            return Turn(from: turn.from, value: value)
        }
    }

    /// The turns `preprocess_qwen` reads: after `preprocess_multimodal` (records with media) and without a leading
    /// non-human turn.
    private func llavaTurns(_ record: DataRecord) throws -> [Turn] {
        var turns = record.hasMedia ? Self.preprocessMultimodal(record.turns) : record.turns
        for (position, turn) in turns.enumerated() where turn.from != "human" && turn.from != "gpt" {
            if preset == .llavaNext0614 || position == 0 {
                throw RecordError("turn \(position) is from \"\(turn.from)\"; the LLaVA-NeXT code knows only human and gpt")
            }
        }
        if let first = turns.first, !first.isHuman { turns.removeFirst() }
        return turns
    }

    /// Text with `<image>` as one token → ids with each marker as the image sentinel. The markers are special
    /// when the record has media (the authors add `<image>` to the tokenizer then) or the tokenizer has the token.
    private func encodeMarked(_ text: String, markersAreImages: Bool) -> [Int] {
        guard markersAreImages || imageToken != nil else { return tokenizer.encode(text) }
        var ids: [Int] = []
        for (position, piece) in ImageMarker.pieces(of: text).enumerated() {
            if position > 0 { ids.append(TrainingTokens.imageSentinel) }
            ids += tokenizer.encode(piece)
        }
        return ids
    }

    /// The current `preprocess_qwen` (LLaVA-NeXT `train.py` since c824df8).
    private func llavaNext(_ record: DataRecord) throws -> TokenizedRecord {
        let turns = try llavaTurns(record)
        let roles = ["human": "user", "gpt": "assistant"]
        func render(_ role: String, _ content: String) -> [Int] {
            encodeMarked("<|im_start|>\(role)\n\(content)<|im_end|>\n", markersAreImages: record.hasMedia)
        }
        var ids = render("system", systemPrompt)
        var labels = Array(repeating: TrainingTokens.ignoreIndex, count: ids.count)
        for turn in turns {
            let role = roles[turn.from] ?? turn.from
            let encoded = render(role, turn.value)
            ids += encoded
            labels += role == "user" || role == "system" ? Array(repeating: TrainingTokens.ignoreIndex, count: encoded.count) : encoded
        }
        for (position, id) in ids.enumerated() where id == newline || id == imStart || id == imEnd {
            labels[position] = id
        }
        // An <image> inside an assistant turn keeps its token id as the label (the authors replace only the input).
        for position in labels.indices where labels[position] == TrainingTokens.imageSentinel {
            labels[position] = imageToken ?? tokenizer.vocabularySize
        }
        return TokenizedRecord(sampleID: record.sampleID, inputIDs: ids, labels: labels)
    }

    /// The June-2024 `preprocess_qwen` (LLaVA-NeXT `train.py` at cd43711).
    private func llavaNext0614(_ record: DataRecord) throws -> TokenizedRecord {
        let turns = try llavaTurns(record)
        let ignore = TrainingTokens.ignoreIndex
        let system = [imStart] + tokenizer.encode("system") + [newline] + tokenizer.encode(systemPrompt) + [imEnd, newline]
        var ids = system
        var labels = [imStart] + Array(repeating: ignore, count: system.count - 3) + [imEnd, newline]
        for (position, turn) in turns.enumerated() {
            let role = turn.isHuman ? "<|im_start|>user" : "<|im_start|>assistant"
            let roleIDs = tokenizer.encode(role)
            let turnIDs: [Int]
            let markers = ImageMarker.count(in: turn.value)
            if record.hasMedia && markers > 0 {
                guard ImageMarker.allAtStart(of: turn.value) else {
                    throw RecordError("turn \(position) has <image> markers that are not all at its start; the June-2024 code cannot express it (it would corrupt the text)")
                }
                let rest = String(turn.value.utf8.dropFirst(ImageMarker.text.utf8.count * markers))!
                turnIDs = roleIDs + [newline] + Array(repeating: TrainingTokens.imageSentinel, count: markers) + [newline]
                    + tokenizer.encode(rest) + [imEnd, newline]
            } else {
                turnIDs = roleIDs + [newline] + tokenizer.encode(turn.value) + [imEnd, newline]
            }
            ids += turnIDs
            if turn.isHuman {
                labels += [imStart] + Array(repeating: ignore, count: turnIDs.count - 3) + [imEnd, newline]
            } else {
                labels += [imStart] + Array(repeating: ignore, count: roleIDs.count)
                    + turnIDs[(roleIDs.count + 1)..<(turnIDs.count - 2)] + [imEnd, newline]
            }
        }
        return TokenizedRecord(sampleID: record.sampleID, inputIDs: ids, labels: labels)
    }

    // MARK: Hugging Face

    /// lmms-finetune's collator over the llava-hf template: turns by position (even = user: text without markers,
    /// stripped, after one `<image>` per marker; odd = assistant), labels on the tokens overlapping each
    /// `{% generation %}` span (`"\n" + answer + "<|im_end|>\n"`), as `return_assistant_tokens_mask` marks them.
    private func hf(_ record: DataRecord) throws -> TokenizedRecord {
        let used = record.turns.enumerated().reduce(0) { $0 + ($1.offset % 2 == 0 ? ImageMarker.count(in: $1.element.value) : 0) }
        guard used == record.mediaCount else {
            throw RecordError("\(used) <image> markers in the user (even-position) turns for \(record.mediaCount) images; lmms-finetune rejects the record (\"Not all images were used\")")
        }
        var text = ""
        var normalizedLength = 0
        var spans: [Range<Int>] = []
        func add(_ piece: String) {
            text += piece
            normalizedLength += tokenizer.normalizedUTF8Count(piece)
        }
        for (position, turn) in record.turns.enumerated() {
            if position % 2 == 0 {
                let markers = ImageMarker.count(in: turn.value)
                let content = Python.strip(turn.value.replacingOccurrences(of: ImageMarker.text, with: ""))
                add("<|im_start|>user\n" + String(repeating: ImageMarker.text, count: markers) + "\n")
                add(content)
                add("<|im_end|>\n")
            } else {
                add("<|im_start|>assistant\n")
                let start = normalizedLength
                add("\n")
                add(turn.value)
                add("<|im_end|>\n")
                spans.append(start..<normalizedLength)
            }
        }
        let ids = tokenizer.encode(text)
        var labels = Array(repeating: TrainingTokens.ignoreIndex, count: ids.count)
        var offset = 0, span = 0
        for (position, id) in ids.enumerated() {
            let end = offset + tokenizer.bytes(of: id).count
            while span < spans.count && spans[span].upperBound <= offset { span += 1 }
            if span < spans.count && spans[span].lowerBound < end && offset < spans[span].upperBound { labels[position] = id }
            offset = end
        }
        let inputIDs = ids.map { $0 == imageToken ? TrainingTokens.imageSentinel : $0 }
        return TokenizedRecord(sampleID: record.sampleID, inputIDs: inputIDs, labels: labels)
    }
}
