// swift-tools-version:6.0
import PackageDescription

/// Optimised builds of the numeric code: bounds checks off in release, where the kernels validate their own shapes.
let kernelSettings: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-wmo"], .when(configuration: .release)),
]

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "loom", targets: ["LoomCLI"]),
        .library(name: "LoomCore", targets: ["LoomCore"]),
        .library(name: "LoomCheckpoint", targets: ["LoomCheckpoint"]),
        .library(name: "LoomJSON", targets: ["LoomJSON"]),
        .library(name: "LoomTokenizers", targets: ["LoomTokenizers"]),
        .library(name: "LoomData", targets: ["LoomData"]),
        .library(name: "LoomEval", targets: ["LoomEval"]),
        .library(name: "LoomTemplates", targets: ["LoomTemplates"]),
        .library(name: "LoomHub", targets: ["LoomHub"]),
        .library(name: "LoomModels", targets: ["LoomModels"]),
        .library(name: "LoomGeneration", targets: ["LoomGeneration"]),
        .library(name: "LoomMedia", targets: ["LoomMedia"]),
        .library(name: "LoomVideo", targets: ["LoomVideo"]),
        .library(name: "LoomPrompt", targets: ["LoomPrompt"]),
        .library(name: "LoomEngine", targets: ["LoomEngine"]),
        .library(name: "LoomKit", targets: ["LoomKit"]),
        .library(name: "LoomServer", targets: ["LoomServer"]),
        .library(name: "LoomTrain", targets: ["LoomTrain"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // System libraries (Debian packages, installed by `make deps`).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CJPEG", path: "Sources/CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .systemLibrary(name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CWebP", path: "Sources/CWebP", pkgConfig: "libwebp", providers: [.apt(["libwebp-dev"])]),
        .systemLibrary(name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat",
                       providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),
        .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),

        // C kernels: oneDNN bf16 products with prepacked weights (libdnnl opened at run time), AVX-512 single-row
        // (decode) products for bf16 / int8 / int4 weights with portable fallbacks chosen at run time, quantisation.
        .target(name: "LoomKernels", dependencies: ["CDNNL"], linkerSettings: [.linkedLibrary("dl")]),

        // Core: tensors, stored weights, kernels, the thread pool.
        .target(name: "LoomCore", dependencies: ["CBLAS", "LoomKernels"], swiftSettings: kernelSettings),
        // Checkpoint I/O: safetensors (mmap, sharded), config.json decoding.
        .target(name: "LoomCheckpoint", dependencies: ["LoomCore"], swiftSettings: kernelSettings),
        // JSON: a fast order-keeping reader and a writer (tokenizer files, training data records).
        .target(name: "LoomJSON", swiftSettings: kernelSettings),
        // Tokenizers: byte-level BPE from tokenizer.json.
        .target(name: "LoomTokenizers", dependencies: ["LoomJSON"], swiftSettings: kernelSettings),
        // Media: image decoding through the system libraries, Pillow-exact resizing, SigLIP preprocessing.
        .target(name: "LoomMedia", dependencies: ["LoomCore", "CImageShims", "CWebP"], swiftSettings: kernelSettings),
        // C shims that decode JPEG and PNG with error handlers that return instead of exiting (setjmp/longjmp).
        .target(name: "CImageShims", dependencies: ["CJPEG", "CPNG"],
                linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("png16")]),
        // Video: FFmpeg demuxing and decoding, PyAV-exact RGB conversion, frame sampling as the references do.
        .target(name: "LoomVideo", dependencies: ["CFFmpeg", "CVideoShims", "LoomMedia"], swiftSettings: kernelSettings),
        // C helpers for FFmpeg's macros (error codes, no-timestamp) and a quiet log callback.
        .target(name: "CVideoShims", linkerSettings: [.linkedLibrary("avutil")]),
        // Model components, one file each, chosen by `model_type` from a registry.
        .target(name: "LoomModels", dependencies: ["LoomCore", "LoomCheckpoint", "LoomMedia"], swiftSettings: kernelSettings),
        // Generation: sampling, stopping, log-probabilities, streaming.
        .target(name: "LoomGeneration",
                dependencies: ["LoomCore", "LoomCheckpoint", "LoomTokenizers", "LoomModels"],
                swiftSettings: kernelSettings),
        // The engine: one thread owning the model, every sequence's KV cache and the image-feature cache; batched steps.
        .target(name: "LoomEngine",
                dependencies: ["LoomCore", "LoomTokenizers", "LoomMedia", "LoomModels", "LoomGeneration"],
                swiftSettings: kernelSettings),
        // Prompts: typed, ordered conversation content rendered by a template into token ids with image slots.
        .target(name: "LoomPrompt", dependencies: ["LoomTokenizers", "LoomMedia", "LoomJSON", "LoomTemplates"], swiftSettings: kernelSettings),
        // The library API: load a model directory, build a conversation, generate as a stream of events.
        .target(name: "LoomKit",
                dependencies: ["LoomCore", "LoomCheckpoint", "LoomTokenizers", "LoomMedia", "LoomVideo", "LoomModels",
                               "LoomPrompt", "LoomGeneration", "LoomEngine"],
                swiftSettings: kernelSettings),
        // The OpenAI-compatible HTTP server (Hummingbird) over the engine.
        .target(name: "LoomServer",
                dependencies: ["LoomCore", "LoomMedia", "LoomModels", "LoomPrompt", "LoomGeneration", "LoomEngine", "LoomKit",
                               "LoomTokenizers", .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
                swiftSettings: kernelSettings),
        // Chat templates: a sandboxed Jinja engine rendering hub templates exactly as transformers (jinja2) does.
        .target(name: "LoomTemplates", dependencies: ["LoomJSON"], swiftSettings: kernelSettings),
        // The Hugging Face hub: its cache layout (shared with every other tool) and `loom pull` over its HTTP protocol.
        .target(name: "LoomHub", dependencies: ["LoomCore", .product(name: "AsyncHTTPClient", package: "async-http-client")],
                swiftSettings: kernelSettings),
        // Training data: M4-Instruct records streamed, validated, counted, converted and tokenised with labels.
        .target(name: "LoomData", dependencies: ["LoomCore", "LoomJSON", "LoomTokenizers", "LoomMedia", "LoomVideo"],
                swiftSettings: kernelSettings),
        // Evaluation: benchmark records, answers through the engine (or a server), results, the references' scorers.
        .target(name: "LoomEval", dependencies: ["LoomJSON", "LoomData", "LoomMedia", "LoomPrompt", "LoomKit"],
                swiftSettings: kernelSettings),
        // Training: backward passes over Loom's kernels, LoRA, AdamW, the training loop and its checkpoints.
        .target(name: "LoomTrain",
                dependencies: ["CBLAS", "LoomCore", "LoomCheckpoint", "LoomJSON", "LoomTokenizers", "LoomModels", "LoomData", "LoomMedia",
                               "LoomVideo"],
                swiftSettings: kernelSettings),
        // The `loom` command.
        .executableTarget(name: "LoomCLI",
                          dependencies: ["LoomCore", "LoomCheckpoint", "LoomTokenizers", "LoomMedia", "LoomModels",
                                         "LoomPrompt", "LoomGeneration", "LoomEngine", "LoomKit", "LoomServer", "LoomVideo", "LoomData", "LoomEval", "LoomHub", "LoomTrain",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: kernelSettings),

        // Shared test helpers: fixture paths, reference files, tolerances.
        .target(name: "LoomTestSupport", dependencies: ["LoomCore", "LoomCheckpoint"], path: "Tests/LoomTestSupport"),
        .testTarget(name: "LoomCoreTests", dependencies: ["LoomCore", "LoomKernels", "LoomTestSupport"]),
        .testTarget(name: "LoomCheckpointTests", dependencies: ["LoomCheckpoint"]),
        .testTarget(name: "LoomTokenizersTests", dependencies: ["LoomTokenizers", "LoomTestSupport"]),
        .testTarget(name: "LoomMediaTests", dependencies: ["LoomMedia", "LoomCore", "LoomTestSupport"]),
        .testTarget(name: "LoomVideoTests", dependencies: ["LoomVideo", "LoomTestSupport"]),
        .testTarget(name: "LoomModelsTests", dependencies: ["LoomModels", "LoomCheckpoint", "LoomCore", "LoomTestSupport"]),
        .testTarget(name: "LoomGenerationTests", dependencies: ["LoomGeneration", "LoomEngine", "LoomTokenizers", "LoomModels", "LoomPrompt", "LoomTestSupport"]),
        .testTarget(name: "LoomEngineTests", dependencies: ["LoomEngine", "LoomKit", "LoomCore", "LoomModels", "LoomGeneration", "LoomTestSupport"]),
        .testTarget(name: "LoomPromptTests", dependencies: ["LoomPrompt", "LoomTokenizers", "LoomTestSupport"]),
        .testTarget(name: "LoomKitTests", dependencies: ["LoomKit", "LoomTestSupport"]),
        .testTarget(name: "LoomDataTests", dependencies: ["LoomData", "LoomCore", "LoomJSON", "LoomTokenizers", "LoomMedia", "LoomTestSupport"]),
        .testTarget(name: "LoomEvalTests", dependencies: ["LoomEval", "LoomKit", "LoomCore", "LoomJSON", "LoomTestSupport"]),
        .testTarget(name: "LoomTemplatesTests", dependencies: ["LoomTemplates", "LoomJSON", "LoomTestSupport"]),
        .testTarget(name: "LoomHubTests", dependencies: ["LoomHub", "LoomTestSupport"]),
        .testTarget(name: "LoomCLITests", dependencies: ["LoomTestSupport"]),
        .testTarget(name: "LoomTrainTests", dependencies: ["LoomTrain", "LoomModels", "LoomCheckpoint", "LoomCore", "LoomJSON", "LoomTestSupport"]),
        .testTarget(name: "LoomServerTests", dependencies: ["LoomServer", "LoomKit", "LoomTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
