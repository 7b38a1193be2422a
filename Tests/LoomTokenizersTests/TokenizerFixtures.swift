import Foundation
import LoomTestSupport
import LoomTokenizers

/// Paths and loaders for `Tests/Fixtures/tokenizer` (written by `tools/reference/make_tokenizer_fixtures.py`).
enum TokenizerFixtures {
    static let directory = Fixtures.url("tokenizer")

    static let qwenDirectory = directory.appendingPathComponent("qwen")
    static let tinyDirectory = directory.appendingPathComponent("tiny")

    /// The four llava-interleave added tokens and their ids in the full vocabulary.
    static let specialTokens = ["<|endoftext|>": 151643, "<|im_start|>": 151644, "<|im_end|>": 151645, "<image>": 151646]

    struct MissingFixture: Error, CustomStringConvertible {
        let path: String
        var description: String { "\(path) is missing: run make fixtures" }
    }

    /// The full Qwen2 tokenizer, loaded once for all tests.
    static func qwen() throws -> Tokenizer { try qwenResult.get() }

    private static let qwenResult = Result<Tokenizer, Error> {
        let json = qwenDirectory.appendingPathComponent("tokenizer.json")
        guard FileManager.default.fileExists(atPath: json.path) else { throw MissingFixture(path: json.path) }
        return try Tokenizer(directory: qwenDirectory)
    }

    /// The 512-rank tokenizer (specials at 512...515), loaded once.
    static func tiny() throws -> Tokenizer { try tinyResult.get() }

    private static let tinyResult = Result<Tokenizer, Error> { try Tokenizer(directory: tinyDirectory) }

    /// One line of a `{"text": …, "ids": […]}` corpus; `decoded` (HF's decode of the ids) is stored only where
    /// it differs from the text.
    struct EncodedLine: Decodable {
        var number = 0
        let text: String
        let ids: [Int]
        private let decoded: String?

        /// What decoding the ids gives: the text with each run between added tokens in NFC.
        var decodedText: String { decoded ?? text }

        private enum CodingKeys: String, CodingKey { case text, ids, decoded }
    }

    static func encodedLines(_ relativePath: String) throws -> [EncodedLine] {
        try jsonLines(relativePath, as: EncodedLine.self).enumerated().map { index, line in
            var line = line
            line.number = index + 1
            return line
        }
    }

    /// One line of `decode.jsonl`: ids and HF's decode of them.
    struct DecodeCase: Decodable {
        var number = 0
        let ids: [Int]
        let skipSpecialTokens: Bool
        let text: String

        private enum CodingKeys: String, CodingKey {
            case ids, text
            case skipSpecialTokens = "skip_special_tokens"
        }
    }

    static func decodeCases() throws -> [DecodeCase] {
        try jsonLines("decode.jsonl", as: DecodeCase.self).enumerated().map { index, decodeCase in
            var decodeCase = decodeCase
            decodeCase.number = index + 1
            return decodeCase
        }
    }

    /// Decodes one JSON object per line. `JSONDecoder`, not `JSONSerialization`: on Linux the latter drops a raw
    /// U+FEFF at the start of a string or after an escape.
    private static func jsonLines<Line: Decodable>(_ relativePath: String, as type: Line.Type) throws -> [Line] {
        let data = try Data(contentsOf: directory.appendingPathComponent(relativePath))
        let decoder = JSONDecoder()
        return try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(Line.self, from: Data($0)) }
    }

    /// Exact equality of the scalars (`String.==` would accept canonically equivalent text).
    static func identical(_ first: String, _ second: String) -> Bool {
        first.utf8.elementsEqual(second.utf8)
    }

    /// A readable description of the first few `(line, expected, got)` mismatches.
    static func report(_ mismatches: [(EncodedLine, [Int])], of total: Int) -> String {
        let shown = mismatches.prefix(5).map { line, got in
            "line \(line.number) \(line.text.debugDescription)\n  expected \(line.ids)\n  got      \(got)"
        }
        return "\(mismatches.count) of \(total) lines differ; first:\n" + shown.joined(separator: "\n")
    }
}
