/// A token from `tokenizer.json`'s `added_tokens`, matched in the raw text before normalization.
struct AddedToken {
    let id: Int
    let content: String
    let isSpecial: Bool
}

/// A piece of the input after added tokens are cut out: a text run (a UTF-8 byte range) or an added token's id.
enum TextSegment {
    case text(Range<Int>)
    case addedToken(Int)
}

/// Finds added tokens in UTF-8 text as HF's `AddedVocabulary` does for non-normalized tokens: leftmost match
/// first and, among matches starting at the same byte, the longest.
struct AddedTokenMatcher {
    private let contents: [[UInt8]]
    private let tokens: [AddedToken]
    /// Indices into `tokens` by first byte, longest content first.
    private let candidatesByFirstByte: [[Int]]

    init(tokens: [AddedToken]) {
        let usable = tokens.filter { !$0.content.isEmpty }
        self.tokens = usable
        self.contents = usable.map { Array($0.content.utf8) }
        var candidates = [[Int]](repeating: [], count: 256)
        for index in usable.indices { candidates[Int(contents[index][0])].append(index) }
        let contents = self.contents
        self.candidatesByFirstByte = candidates.map { list in list.sorted { contents[$0].count > contents[$1].count } }
    }

    /// Splits `utf8` around added tokens; with `matchSpecial` false, special tokens are left in the text.
    func segments(of utf8: [UInt8], matchSpecial: Bool) -> [TextSegment] {
        var segments: [TextSegment] = []
        var textStart = 0
        var position = 0
        while position < utf8.count {
            guard let index = match(at: position, in: utf8, matchSpecial: matchSpecial) else {
                position += 1
                continue
            }
            if textStart < position { segments.append(.text(textStart..<position)) }
            segments.append(.addedToken(tokens[index].id))
            position += contents[index].count
            textStart = position
        }
        if textStart < utf8.count { segments.append(.text(textStart..<utf8.count)) }
        return segments
    }

    private func match(at position: Int, in utf8: [UInt8], matchSpecial: Bool) -> Int? {
        candidateLoop: for index in candidatesByFirstByte[Int(utf8[position])] {
            if !matchSpecial && tokens[index].isSpecial { continue }
            let content = contents[index]
            guard position + content.count <= utf8.count else { continue }
            for offset in 1..<content.count where utf8[position + offset] != content[offset] { continue candidateLoop }
            return index
        }
        return nil
    }
}
