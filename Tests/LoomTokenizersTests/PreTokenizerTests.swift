import Foundation
@testable import LoomTokenizers
import Testing

/// The hand-written Qwen2 split against HF's regex (Oniguruma) on NFC text, piece for piece.
@Suite struct PreTokenizerTests {
    private struct Case: Decodable {
        let text: String
        let pieces: [String]
    }

    private func pieces(of text: String) -> [String] {
        let scalars = text.unicodeScalars.map(\.value)
        let classes = scalars.map(ScalarClass.of)
        var start = 0
        return Qwen2PreTokenizer.pieceEnds(scalars: scalars, classes: classes).map { end in
            defer { start = end }
            return String(String.UnicodeScalarView(scalars[start..<end].map { Unicode.Scalar($0)! }))
        }
    }

    @Test func piecesMatchHF() throws {
        let data = try Data(contentsOf: TokenizerFixtures.directory.appendingPathComponent("pretokenize.jsonl"))
        let decoder = JSONDecoder()
        let cases = try data.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(Case.self, from: Data($0)) }
        #expect(cases.count > 1000)
        var failures: [String] = []
        for (index, testCase) in cases.enumerated() {
            let got = pieces(of: testCase.text)
            if !got.elementsEqual(testCase.pieces, by: TokenizerFixtures.identical) {
                failures.append("line \(index + 1): expected \(testCase.pieces.map(\.debugDescription)), got \(got.map(\.debugDescription))")
            }
        }
        #expect(failures.count == 0, Comment(rawValue: failures.prefix(5).joined(separator: "\n")))
    }

    @Test(arguments: [
        // U+017F LONG S case-folds to "s", so "'ſ" is a contraction; "ß", "ﬅ" and KELVIN SIGN are not.
        ("x'\u{17F}am", ["x", "'\u{17F}", "am"]),
        ("x'\u{DF}am", ["x", "'\u{DF}am"]),
        ("x'\u{FB05}am", ["x", "'\u{FB05}am"]),
        ("x'\u{212A}am", ["x", "'\u{212A}am"]),
        ("it'S THEY'LL we'Re", ["it", "'S", " THEY", "'LL", " we", "'Re"]),
        // A space before an apostrophe goes with the punctuation alternative first.
        (" 's", [" '", "s"]),
        // U+001C..U+001F are not White_Space: they are punctuation-like "other" scalars.
        (" \u{1C}\u{1D} a", [" \u{1C}\u{1D}", " a"]),
        ("a \u{85}b", ["a", " ", "\u{85}b"]),
        ("  \n  b", ["  \n", " ", " b"]),
    ] as [(String, [String])])
    func cornerCases(text: String, expected: [String]) {
        #expect(pieces(of: text).elementsEqual(expected, by: TokenizerFixtures.identical))
    }
}
