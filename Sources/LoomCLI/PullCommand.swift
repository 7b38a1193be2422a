import ArgumentParser
import Foundation
import LoomHub

/// `loom pull ORG/NAME[@REVISION]`: downloads the files a model needs into the Hugging Face cache (the one
/// `huggingface_hub` and transformers use), then prints the snapshot directory that `--model ORG/NAME` resolves to.
struct PullCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Download a model from the Hugging Face hub into the shared hub cache.",
        discussion: """
        Fetches config, safetensors weights (shards and index), tokenizer, processor, chat-template and generation \
        files; not onnx/, *.bin, *.gguf or files in sub-folders. --include adds files (e.g. 'onnx/*'), --exclude \
        removes them (fnmatch globs over the path, '*' also crosses '/').

        The cache is HF_HUB_CACHE (else HUGGINGFACE_HUB_CACHE, HF_HOME/hub, XDG_CACHE_HOME/huggingface/hub, \
        ~/.cache/huggingface/hub) or --cache-dir. HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE are honoured as by \
        huggingface_hub; the token is never sent to a host other than the hub's. Files already in the cache are not \
        downloaded again. Progress goes to standard error, the snapshot path to standard output.
        """)

    @Argument(help: "The repository: ORG/NAME or ORG/NAME@REVISION (a branch, tag or commit).")
    var repo: String

    @Option(name: .customLong("include"), parsing: .upToNextOption, help: ArgumentHelp("Also pull the files matching these globs.", valueName: "glob"))
    var include: [String] = []

    @Option(name: .customLong("exclude"), parsing: .upToNextOption, help: ArgumentHelp("Never pull the files matching these globs.", valueName: "glob"))
    var exclude: [String] = []

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("The hub cache to write (default: from the environment).", valueName: "dir"))
    var cacheDir: String?

    func run() throws {
        let reference: RepoReference
        do {
            reference = try RepoReference(parsing: repo)
        } catch {
            throw ValidationError("\(error)")
        }
        var environment = HubEnvironment()
        if let cacheDir {
            environment = environment.with(cacheDirectory: URL(fileURLWithPath: (cacheDir as NSString).expandingTildeInPath, isDirectory: true))
        }
        let plan = PullPlan(include: include, exclude: exclude)
        let progress = PullProgress(label: reference.repoID)
        let puller = HubPuller(environment: environment)
        let result = try waitFor { try await puller.pull(reference, plan: plan, observer: progress) }
        progress.done(files: result.files.count, downloaded: result.downloaded.count)
        writeOut(result.snapshot.path + "\n")
    }
}

/// Runs `body` on the concurrency pool and waits for it (the command tree is synchronous).
private func waitFor<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
    let box = PullOutcome<T>()
    Task.detached {
        do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
        box.done.signal()
    }
    box.done.wait()
    return try box.result!.get()
}

private final class PullOutcome<T>: @unchecked Sendable {
    let done = DispatchSemaphore(value: 0)
    var result: Result<T, Error>?
}

/// The progress of a pull on standard error: on a terminal one bar redrawn at most ten times a second (bytes of all
/// downloads, rate, ETA, the current file); otherwise one quiet line per file.
final class PullProgress: PullObserver, @unchecked Sendable {
    private let label: String
    private let lock = NSLock()
    private let terminal = isatty(STDERR_FILENO) == 1
    private var total = 0
    private var received = 0
    private var current = ""
    private var start = Date()
    private var lastDraw = Date.distantPast
    private var drawn = false

    init(label: String) {
        self.label = label
    }

    func planned(downloads: [FileMetadata], bytes: Int) {
        lock.lock()
        defer { lock.unlock() }
        total = bytes
        start = Date()
        if downloads.isEmpty {
            writeError("pull \(label): every file is already in the cache")
        } else {
            writeError("pull \(label): \(downloads.count) file\(downloads.count == 1 ? "" : "s") to download (\(ProgressLine.size(bytes)))")
        }
    }

    func started(_ file: FileMetadata) {
        lock.lock()
        defer { lock.unlock() }
        current = file.path
        draw(force: true)
    }

    func received(_ delta: Int) {
        lock.lock()
        defer { lock.unlock() }
        received += delta
        draw(force: false)
    }

    func finished(_ file: FileMetadata) {
        lock.lock()
        defer { lock.unlock() }
        if !terminal { writeError("pull \(label): \(file.path) (\(ProgressLine.size(file.size ?? 0)))") }
    }

    func note(_ message: String) {
        lock.lock()
        defer { lock.unlock() }
        clear()
        writeError("pull \(label): \(message)")
    }

    /// Clears the bar and prints a summary line.
    func done(files: Int, downloaded: Int) {
        lock.lock()
        defer { lock.unlock() }
        clear()
        let elapsed = Date().timeIntervalSince(start)
        writeError("pull \(label): \(files) files in the cache, \(downloaded) downloaded (\(ProgressLine.size(received)) in \(String(format: "%.1f", elapsed)) s)")
    }

    private func clear() {
        if terminal && drawn {
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
            drawn = false
        }
    }

    private func draw(force: Bool) {
        guard terminal else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let elapsed = max(now.timeIntervalSince(start), 1e-3)
        let fraction = total > 0 ? min(1, Double(received) / Double(total)) : 0
        let width = 24
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        let rate = Double(received) / elapsed
        let eta = rate > 0 && total > received ? " · ETA \(ProgressLine.clock(Double(total - received) / rate))" : ""
        let name = current.count > 40 ? "…" + current.suffix(39) : current
        let line = "pull \(label) \(bar) \(Int(fraction * 100))% \(ProgressLine.size(received))/\(ProgressLine.size(total)) · \(ProgressLine.size(Int(rate)))/s\(eta) · \(name)"
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
        drawn = true
    }
}
