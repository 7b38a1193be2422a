import ArgumentParser
import Foundation
import LoomKit
import LoomMedia
import LoomModels
import LoomPrompt

/// The inputs every prompt-taking command shares.
struct PromptOptions: ParsableArguments {
    @Option(help: "Model directory (config.json, *.safetensors, tokenizer.json) or hub repo id ORG/NAME[@REV] in the Hugging Face cache (see loom pull).") var model: String
    @OptionGroup var compute: ComputeFlags
    @Option(help: "The user's message; <image>, <video> and <views> markers stand for the next --image, --video and the --views scene (or the whole prompt with --raw).")
    var prompt: String
    @Option(name: .customLong("image"), help: "An image file (repeatable, in order).") var images: [String] = []
    @Option(name: .customLong("video"), help: "A video file (repeatable, in order); its sampled frames enter as images.") var videos: [String] = []
    @Option(help: "Frames to sample from each video.") var frames: Int = 16
    @Option(help: "Frame sampling: uniform (lmms-eval), interval (the authors' demo) or fps.") var sampling: SamplingName = .uniform
    @Option(help: "Target frames per second for --sampling fps.") var fps: Double?
    @Flag(name: .customLong("frame-times"), help: "Put each frame's time (seconds) in the text before it.") var frameTimes = false
    @Option(name: .customLong("views"), help: "The views of one 3D scene: image files, or one folder (taken in name order).")
    var views: [String] = []
    @Option(help: """
        Prompt template: auto (default: the checkpoint's own chat template when it ships one, interleaved when the prompt \
        places images with markers, llava for original checkpoints, else hf), checkpoint, hf, interleaved, llava, or a \
        Jinja template file (.jinja, or .json with a chat_template key).
        """)
    var template: String?
    @Option(help: "System prompt.") var system: String?
    @Flag(help: "Use the prompt as is, without a chat format.") var raw = false
    @Option(name: .customLong("max-image-pixels"), help: "Refuse images with more pixels than this (decompression-bomb guard).")
    var maxImagePixels: Int = ImageLimits.pillowMaxImagePixels
    @Option(name: .customLong("image-mode"), help: "single (one view per image) or anyres (tiles + a global view, LLaVA-NeXT multi-patch). LLaVA-NeXT checkpoints always tile.")
    var imageMode: ImageMode = .single
    @Option(name: .customLong("grid-pinpoints"), help: "AnyRes resolutions as HEIGHTxWIDTH,… (default: 1×2, 2×1, 2×2, 1×3, 3×1 tiles of the tower's size).")
    var gridPinpoints: String?

    enum ImageMode: String, ExpressibleByArgument { case single, anyres }

    enum SamplingName: String, ExpressibleByArgument { case uniform, interval, fps }

    /// File name extensions taken from a `--views` folder.
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png", "webp", "gif"]

    func validate() throws {
        if prompt.isEmpty && images.isEmpty && videos.isEmpty && views.isEmpty {
            throw ValidationError("empty prompt: --prompt needs some text")
        }
        guard frames >= 1 else { throw ValidationError("--frames must be at least 1, got \(frames)") }
        if sampling == .fps { guard let fps, fps > 0 else { throw ValidationError("--sampling fps needs --fps with a positive rate") } }
        if raw && (!videos.isEmpty || !views.isEmpty) { throw ValidationError("--raw takes --image only") }
        if gridPinpoints != nil && imageMode != .anyres { throw ValidationError("--grid-pinpoints needs --image-mode anyres") }
        _ = try pinpoints(tile: 1)
    }

    /// The AnyRes resolutions: `--grid-pinpoints`, or 1×2, 2×1, 2×2, 1×3 and 3×1 tiles of `tile` pixels.
    func pinpoints(tile: Int) throws -> [[Int]] {
        guard let gridPinpoints else { return [[1, 2], [2, 1], [2, 2], [1, 3], [3, 1]].map { $0.map { $0 * tile } } }
        return try gridPinpoints.split(separator: ",").map { pair in
            let sides = pair.lowercased().split(separator: "x").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard sides.count == 2, sides.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--grid-pinpoints takes HEIGHTxWIDTH pairs separated by commas, got '\(pair)'")
            }
            return sides
        }
    }

    /// Loads the model named by `--model`, with the LoRA `adapter` directory applied unmerged when given.
    func loadModel(adapter: URL? = nil) throws -> LoomModel {
        let loom = try LoomModel(directory: try ModelLocation.resolve(model), compute: try compute.options(), adapter: adapter)
        loom.imageLimits = ImageLimits(maxPixels: maxImagePixels)
        if let file = try templateChoice().file { loom.useChatTemplate(try CheckpointTemplate(file: file)) }
        if imageMode == .anyres, loom.multiPatch == nil {
            guard !(!videos.isEmpty || !views.isEmpty) else { throw ValidationError("--image-mode anyres tiles single images; leave out --video and --views") }
            try loom.useAnyRes(pinpoints: try pinpoints(tile: loom.towerImageSize ?? 0))
        }
        return loom
    }

    /// The conversation these options describe, and the template to render it with.
    func conversation(for loom: LoomModel) throws -> (Conversation, PromptTemplate) {
        let markers = [PromptTemplate.imageMarker, PromptTemplate.videoMarker, PromptTemplate.viewsMarker]
        let choice = try templateChoice()
        let placed: PromptTemplate? = markers.contains { prompt.contains($0) } ? .interleaved : nil
        let chosen = choice.builtIn ?? (choice.file != nil ? .checkpoint : loom.usesOriginalTemplate ? .llava : placed ?? loom.automaticTemplate)
        var media: [ContentPart] = images.map { .image(.path($0)) }
        let sampling: VideoRequest.Sampling = switch self.sampling {
        case .uniform: .uniform
        case .interval: .interval
        case .fps: .fps(fps ?? 1)
        }
        media += videos.map { .video(VideoRequest(url: URL(fileURLWithPath: $0), frames: frames, sampling: sampling, showTimestamps: frameTimes)) }
        if !views.isEmpty { media.append(.views(try sceneViews())) }
        var conversation = Conversation.user(try PromptTemplate.parts(text: prompt, media: media, template: chosen))
        if let system { conversation.messages.insert(Message(role: .system, content: [.text(system)]), at: 0) }
        return (conversation, chosen)
    }

    /// The rendered prompt for these options, and what each media item became.
    func render(with loom: LoomModel) throws -> (prompt: RenderedPrompt, media: [MediaReport]) {
        if raw { return (try loom.promptRaw(prompt, images: images.map { .path($0) }), []) }
        let (conversation, chosen) = try conversation(for: loom)
        return try loom.preparePrompt(conversation, template: chosen)
    }

    /// The `--views` files, or the images of the one folder given, in name order.
    func sceneViews() throws -> [ImageSource] {
        var isDirectory: ObjCBool = false
        if views.count == 1, FileManager.default.fileExists(atPath: views[0], isDirectory: &isDirectory), isDirectory.boolValue {
            let folder = URL(fileURLWithPath: views[0], isDirectory: true)
            let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
                .filter { !$0.hasPrefix(".") && PromptOptions.imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
            guard !names.isEmpty else { throw ValidationError("--views folder \(views[0]) has no image files") }
            return names.map { .file(folder.appendingPathComponent($0)) }
        }
        return views.map { .path($0) }
    }
}

extension PromptTemplate: ExpressibleByArgument {}

extension PromptOptions {
    /// `--template`: a built-in (or `checkpoint`), a template file, or neither (`auto`).
    func templateChoice() throws -> (builtIn: PromptTemplate?, file: URL?) {
        guard let template, template != "auto" else { return (nil, nil) }
        if let builtIn = PromptTemplate(rawValue: template) { return (builtIn, nil) }
        guard FileManager.default.fileExists(atPath: template) else {
            throw ValidationError("--template must be auto, checkpoint, hf, interleaved, llava or a template file; '\(template)' is none of them")
        }
        return (nil, URL(fileURLWithPath: template))
    }
}
