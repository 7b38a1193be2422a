import ArgumentParser
import Foundation
import LoomTokenizers

/// `loom tokenize`: text to token ids.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "tokenize", abstract: "Print the token ids of a text as JSON.")

    @Option(help: "Model (or tokenizer) directory with tokenizer.json, or a hub repo id ORG/NAME[@REV].") var model: String
    @Flag(name: .customLong("no-special"), help: "Treat special-token strings as plain text.") var noSpecial = false
    @Argument(help: "The text.") var text: String?
    @Option(help: "Read the text from this file instead (- for standard input): for texts longer than a command line allows.")
    var file: String?

    func validate() throws {
        if (text == nil) == (file == nil) { throw ValidationError("give the text, or --file PATH (- for standard input), not both") }
    }

    func run() throws {
        let tokenizer = try Tokenizer(directory: try ModelLocation.resolve(model, requiring: .tokenizer))
        let input: String
        if let file {
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile() : FileManager.default.contents(atPath: file)
            guard let data else { throw ValidationError("cannot read --file \(file)") }
            input = String(decoding: data, as: UTF8.self)
        } else {
            input = text!
        }
        let ids = tokenizer.encode(input, parseSpecialTokens: !noSpecial)
        try printJSON(Output(ids: ids, tokens: ids.map { tokenizer.token(for: $0) ?? "" }))
    }

    struct Output: Encodable { let ids: [Int]; let tokens: [String] }
}

/// `loom detokenize`: token ids to text.
struct DetokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "detokenize", abstract: "Print the text of token ids.")

    @Option(help: "Model (or tokenizer) directory with tokenizer.json, or a hub repo id ORG/NAME[@REV].") var model: String
    @Flag(name: .customLong("skip-special"), help: "Leave special tokens out of the text.") var skipSpecial = false
    @Argument(help: "Token ids (separated by spaces or commas).") var ids: [String]

    func run() throws {
        let tokenizer = try Tokenizer(directory: try ModelLocation.resolve(model, requiring: .tokenizer))
        let values = try ids.flatMap { $0.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "[" || $0 == "]" }) }.map { part -> Int in
            guard let id = Int(part), id >= 0, id < tokenizer.vocabularySize else {
                throw ValidationError("'\(part)' is not a token id of this tokenizer (0..<\(tokenizer.vocabularySize))")
            }
            return id
        }
        writeOut(tokenizer.decode(values, skipSpecialTokens: skipSpecial) + "\n")
    }
}
