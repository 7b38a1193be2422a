import ArgumentParser
import Foundation
import LoomJSON
import LoomPrompt
import LoomTemplates
import LoomTokenizers

/// `loom template`: chat templates as the model sees them.
struct TemplateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template", abstract: "Render a checkpoint's chat template (for debugging templates).",
        subcommands: [TemplateRenderCommand.self])
}

/// `loom template render`: exactly the string `apply_chat_template(messages, tokenize=False)` gives.
struct TemplateRenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Print the rendered chat template for a list of messages, byte for byte (no newline added).",
        discussion: """
        --messages FILE.json holds a JSON array of messages ({"role": …, "content": "…" or [{"type": "text", "text": …}, \
        {"type": "image"}, …]}), or an object {"messages": [...], NAME: VALUE, …} whose other members are template \
        variables (as apply_chat_template(**kwargs) passes them, e.g. tools, enable_thinking). The tokenizer's special \
        tokens (bos_token, eos_token, pad_token) are variables too. Where jinja2 would raise, nothing is printed on \
        standard output and the error, template file and line go to standard error (exit 1).

        Example: loom template render --model llava-interleave-qwen-0.5b-hf --messages chat.json --add-generation-prompt
        """)

    @Option(help: "Model directory or hub repo id: its chat template (processor's, else tokenizer's) and special tokens.") var model: String?
    @Option(help: "A template file (.jinja, or .json with chat_template) instead of the checkpoint's.") var template: String?
    @Option(help: "The messages (JSON).") var messages: String
    @Flag(help: "End with the assistant's header (add_generation_prompt=True).") var addGenerationPrompt = false

    func validate() throws {
        if model == nil && template == nil { throw ValidationError("give --model DIR (its chat template) and/or --template FILE") }
    }

    func run() throws {
        let directory = try model.map { try ModelLocation.resolve($0, requiring: .tokenizer) }
        let checkpoint: CheckpointTemplate
        if let template {
            checkpoint = try CheckpointTemplate(file: URL(fileURLWithPath: template))
        } else {
            let vision = FileManager.default.fileExists(atPath: directory!.appendingPathComponent("preprocessor_config.json").path)
                || FileManager.default.fileExists(atPath: directory!.appendingPathComponent("chat_template.json").path)
            guard let found = try CheckpointTemplate.load(directory: directory!, vision: vision) else {
                throw ValidationError("\(directory!.path) ships no chat template (processor_config.json, chat_template.json, chat_template.jinja, tokenizer_config.json)")
            }
            checkpoint = found
        }
        var variables = JSONObject()
        if let directory, let tokenizer = try? Tokenizer(directory: directory) {
            variables = PromptRenderer(tokenizer: tokenizer, vision: nil).specialTokenVariables
        }
        let input = try JSONParser.parse(Data(contentsOf: URL(fileURLWithPath: messages)))
        let list: JSONValue
        switch input {
        case .array: list = input
        case .object(let object):
            guard let inner = object["messages"] else { throw ValidationError("\(messages): an object needs a \"messages\" member") }
            list = inner
            for (key, value) in zip(object.keys, object.values) where key != "messages" { variables.append(key, value) }
        default: throw ValidationError("\(messages): expected a JSON array of messages or an object with \"messages\"")
        }
        do {
            let output = try checkpoint.template.render(messages: list, addGenerationPrompt: addGenerationPrompt, variables: variables)
            FileHandle.standardOutput.write(Data(output.text.utf8))
        } catch let error as TemplateError {
            writeError("error: \(error)")
            throw ExitCode(1)
        }
    }
}
