import ArgumentParser

/// The `loom` command: run, inspect and benchmark LLaVA-NeXT-Interleave models.
@main
struct Loom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loom",
        abstract: "Run LLaVA-NeXT-Interleave (and its Qwen2 decoder) natively.",
        subcommands: [GenerateCommand.self, ServeCommand.self, TrainCommand.self, InitCommand.self, PullCommand.self, TemplateCommand.self, DataCommand.self, EvalCommand.self, PromptCommand.self, PixelsCommand.self, TokenizeCommand.self, DetokenizeCommand.self, BenchCommand.self, QuantizeCommand.self, MergeCommand.self])
}
