import ArgumentParser
import Foundation
import LoomGeneration
import LoomKit

/// `loom generate`: a reply to a prompt of text and images.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate a reply to a prompt of text and images.")

    @OptionGroup var input: PromptOptions
    @Option(name: .customLong("max-tokens"), help: "Most tokens to generate.") var maxTokens: Int?
    @Option(help: "Sampling temperature (0 = greedy).") var temperature: Float?
    @Option(name: .customLong("top-k"), help: "Sample from the k most likely tokens (0 = all).") var topK: Int?
    @Option(name: .customLong("top-p"), help: "Sample from the smallest set reaching probability p.") var topP: Float?
    @Option(help: "Sampler seed (same seed, same output).") var seed: UInt64 = 0
    @Option(name: .customLong("stop"), help: "Stop before this string (repeatable).") var stopStrings: [String] = []
    @Option(help: "Output format: text (streamed) or json.") var output: OutputFormat = .text
    @Option(help: "Report log-probabilities with this many alternatives per token (JSON output).") var logprobs: Int?
    @Option(help: "A PEFT LoRA adapter directory (adapter_config.json, adapter_model.safetensors), applied without merging.")
    var adapter: String?

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    func run() throws {
        let loom = try input.loadModel(adapter: adapter.map { URL(fileURLWithPath: $0, isDirectory: true) })
        let rendered = try input.render(with: loom).prompt
        var parameters = loom.defaultParameters
        if let maxTokens { parameters.maxNewTokens = maxTokens }
        if let temperature { parameters.temperature = temperature }
        if let topK { parameters.topK = topK }
        if let topP { parameters.topP = topP }
        parameters.seed = seed
        parameters.stopStrings = stopStrings
        parameters.topLogprobs = logprobs
        let streaming = output == .text
        let result = try loom.generate(rendered, parameters: parameters) { token in
            if streaming { writeOut(token.text) }
        }
        switch output {
        case .text:
            writeOut("\n")
            let t = result.timings
            writeError(String(format: "[load %.0f ms · images %d in %.0f ms · prefill %d tokens in %.0f ms (%.1f tok/s) · decode %d tokens in %.0f ms (%.1f tok/s) · %@]",
                              t.loadMs, rendered.images.count, t.encodeMs, t.prefillTokens, t.prefillMs, t.prefillTokensPerSecond,
                              t.decodeTokens, t.decodeMs, t.decodeTokensPerSecond, result.finishReason.rawValue))
        case .json:
            try printJSON(GenerateOutput(result: result, promptIDs: rendered.ids))
        }
    }
}

/// The JSON document `loom generate --output json` prints.
struct GenerateOutput: Encodable {
    struct Timings: Encodable {
        let loadMs, encodeMs, prefillMs, decodeMs, prefillTokensPerS, decodeTokensPerS: Double
        enum CodingKeys: String, CodingKey {
            case loadMs = "load_ms", encodeMs = "encode_ms", prefillMs = "prefill_ms", decodeMs = "decode_ms"
            case prefillTokensPerS = "prefill_tokens_per_s", decodeTokensPerS = "decode_tokens_per_s"
        }
    }
    let text: String
    let tokenIDs: [Int]
    let promptTokenIDs: [Int]
    let logprobs: [TokenLogprob]?
    let finishReason: String
    let timings: Timings

    enum CodingKeys: String, CodingKey {
        case text, tokenIDs = "token_ids", promptTokenIDs = "prompt_token_ids", logprobs
        case finishReason = "finish_reason", timings
    }

    init(result: GenerationResult, promptIDs: [Int]) {
        text = result.text
        tokenIDs = result.tokenIDs
        promptTokenIDs = promptIDs
        logprobs = result.logprobs.isEmpty ? nil : result.logprobs
        finishReason = result.finishReason.rawValue
        let t = result.timings
        timings = Timings(loadMs: t.loadMs, encodeMs: t.encodeMs, prefillMs: t.prefillMs, decodeMs: t.decodeMs,
                          prefillTokensPerS: t.prefillTokensPerSecond, decodeTokensPerS: t.decodeTokensPerSecond)
    }
}
