import ArgumentParser
import Foundation
import LoomKit
import LoomMedia
import LoomPrompt

/// The inputs every prompt-taking command shares.
struct PromptOptions: ParsableArguments {
    @Option(help: "Model directory (config.json, *.safetensors, tokenizer.json).") var model: String
    @Option(help: "The user's message; an <image> marker stands for the next --image (or the whole prompt with --raw).")
    var prompt: String
    @Option(name: .customLong("image"), help: "An image file (repeatable, in order).") var images: [String] = []
    @Option(help: "Prompt template: hf, interleaved or llava (default: interleaved when the prompt has <image> markers, else hf).")
    var template: PromptTemplate?
    @Option(help: "System prompt.") var system: String?
    @Flag(help: "Use the prompt as is, without a chat format.") var raw = false
    @Option(name: .customLong("max-image-pixels"), help: "Refuse images with more pixels than this (decompression-bomb guard).")
    var maxImagePixels: Int = ImageLimits.pillowMaxImagePixels

    func validate() throws {
        if prompt.isEmpty && images.isEmpty { throw ValidationError("empty prompt: --prompt needs some text") }
    }

    /// Loads the model named by `--model`.
    func loadModel() throws -> LoomModel {
        let loom = try LoomModel(directory: URL(fileURLWithPath: model, isDirectory: true))
        loom.imageLimits = ImageLimits(maxPixels: maxImagePixels)
        return loom
    }

    /// The rendered prompt for these options.
    func render(with loom: LoomModel) throws -> RenderedPrompt {
        let sources = images.map { ImageSource.path($0) }
        if raw { return try loom.renderer.renderRaw(prompt, images: sources) }
        let chosen = template ?? (prompt.contains(PromptTemplate.imageMarker) ? .interleaved : .hf)
        var conversation = try Conversation.user(text: prompt, images: sources, template: chosen)
        if let system { conversation.messages.insert(Message(role: .system, content: [.text(system)]), at: 0) }
        return try loom.prompt(conversation, template: chosen)
    }
}

extension PromptTemplate: ExpressibleByArgument {}
