import Foundation
import Testing
@testable import LoomHub

/// Resolution of `ORG/NAME[@REV]` from cache trees in every layout huggingface_hub writes.
@Suite struct HubCacheTests {
    let main = CacheTreeBuilder.commit("main")
    let other = CacheTreeBuilder.commit("other")

    private func read(_ url: URL) throws -> String { try String(contentsOf: url, encoding: .utf8) }

    @Test(arguments: [CacheTreeBuilder.Layout.symlink, .sharedStore, .copy])
    func resolvesMainThroughEveryLayout(layout: CacheTreeBuilder.Layout) throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main, layout: layout)
        try tree.ref("main", main)
        let snapshot = try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model"))
        #expect(snapshot.commit == main)
        #expect(snapshot.directory.path == tree.repo.appendingPathComponent("snapshots/\(main)").path)
        #expect(try read(snapshot.requiredFile("model-00002-of-00002.safetensors")) == "shard two")
        #expect(try read(snapshot.directory.appendingPathComponent("config.json")) == #"{"model_type": "llava"}"#)
        #expect(snapshot.warning == nil)
    }

    @Test func sharedStoreIsATwoLevelChain() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main, layout: .sharedStore)
        try tree.ref("main", main)
        let file = tree.repo.appendingPathComponent("snapshots/\(main)/config.json")
        let first = try FileManager.default.destinationOfSymbolicLink(atPath: file.path)
        #expect(first.hasPrefix("../../blobs/"))
        let blob = tree.repo.appendingPathComponent("blobs").appendingPathComponent((first as NSString).lastPathComponent)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: blob.path).hasPrefix("../../blobs/"))
        let snapshot = try tree.cache.snapshot(for: RepoReference(parsing: "org/model"))
        #expect(try read(snapshot.requiredFile("config.json")) == #"{"model_type": "llava"}"#)
    }

    @Test func nestedPathsLinkOneLevelHigher() throws {
        let tree = try CacheTreeBuilder()
        try tree.add("additional_chat_templates/tools.jinja", "{{ x }}", commit: main)
        try tree.ref("main", main)
        let link = tree.repo.appendingPathComponent("snapshots/\(main)/additional_chat_templates/tools.jinja")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path).hasPrefix("../../../blobs/"))
        let snapshot = try tree.cache.snapshot(for: RepoReference(parsing: "org/model"))
        #expect(try read(snapshot.requiredFile("additional_chat_templates/tools.jinja")) == "{{ x }}")
    }

    @Test func refWithTrailingNewlineIsTrimmed() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main)
        try tree.ref("main", main, newline: true)
        #expect(try tree.cache.commit(for: RepoReference(parsing: "org/model")).commit == main)
    }

    @Test func revisionsByTagPullRequestRefAndCommit() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main)
        try tree.addModel(commit: other)
        try tree.ref("main", main)
        try tree.ref("v1.0", other)
        try tree.ref("refs/pr/6", other)
        #expect(try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model@v1.0")).commit == other)
        #expect(try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model@refs/pr/6")).commit == other)
        // A commit needs no ref.
        #expect(try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model@\(other)")).commit == other)
        #expect(try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model")).commit == main)
    }

    @Test func unknownRevisionIsNotCachedAndSuggestsPull() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main)
        try tree.ref("main", main)
        let error = #expect(throws: HubError.self) { try tree.cache.snapshot(for: RepoReference(parsing: "org/model@v2")) }
        #expect(error?.description.contains("loom pull org/model@v2") == true)
        #expect(throws: HubError.self) { try tree.cache.snapshot(for: RepoReference(parsing: "other/model")) }
    }

    @Test func neverFallsBackToAnotherSnapshot() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: other)
        try tree.ref("main", main)  // names a commit whose snapshot is absent
        #expect(throws: HubError.notCached(repo: "org/model", revision: "main", cache: tree.root.standardizedFileURL.path)) {
            try tree.cache.snapshot(for: RepoReference(parsing: "org/model"))
        }
    }

    @Test func missingRefsMainWithASingleSnapshotWarns() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main)
        let snapshot = try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model"))
        #expect(snapshot.commit == main)
        #expect(snapshot.warning?.contains("refs/main") == true)
        // Two snapshots and no ref: ambiguous.
        try tree.addModel(commit: other)
        #expect(throws: HubError.self) { try tree.cache.snapshot(for: RepoReference(parsing: "org/model")) }
    }

    @Test func noExistMarkersAreKnownAbsent() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main)
        try tree.ref("main", main)
        try tree.noExist("chat_template.jinja", commit: main)
        let snapshot = try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model"))
        #expect(try snapshot.lookup("chat_template.jinja") == .knownAbsent)
        #expect(try snapshot.optionalFile("chat_template.jinja") == nil)
        #expect(try snapshot.lookup("processor_config.json") == .missing)
    }

    @Test func missingShardIsNamedWithThePullToRun() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main, skipping: ["model-00002-of-00002.safetensors"])
        try tree.ref("main", main)
        let error = #expect(throws: HubError.self) { try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model")) }
        #expect(error == HubError.missingFile(repo: "org/model", revision: "main", file: "model-00002-of-00002.safetensors",
                                             snapshot: tree.repo.standardizedFileURL.appendingPathComponent("snapshots/\(main)").path))
        #expect(error?.description.contains("loom pull org/model@main") == true)
    }

    @Test func danglingLinkIsMissing() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main)
        try tree.ref("main", main)
        let link = tree.repo.appendingPathComponent("snapshots/\(main)/model-00001-of-00002.safetensors")
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: link.path)
        try FileManager.default.removeItem(at: tree.repo.appendingPathComponent("blobs").appendingPathComponent((target as NSString).lastPathComponent))
        let snapshot = try tree.cache.snapshot(for: RepoReference(parsing: "org/model"))
        #expect(try snapshot.lookup("model-00001-of-00002.safetensors") == .missing)
        #expect(throws: HubError.self) { try snapshot.checkModelFiles() }
    }

    @Test func missingConfigOrWeightsIsAnError() throws {
        let tree = try CacheTreeBuilder()
        try tree.add("config.json", "{}", commit: main)
        try tree.ref("main", main)
        let error = #expect(throws: HubError.self) { try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model")) }
        #expect(error?.description.contains("model.safetensors") == true)
        let empty = try CacheTreeBuilder()
        try empty.add("tokenizer.json", "{}", commit: main)
        try empty.ref("main", main)
        let noConfig = #expect(throws: HubError.self) { try empty.cache.modelDirectory(for: RepoReference(parsing: "org/model")) }
        #expect(noConfig?.description.contains("config.json") == true)
    }

    @Test func tokenizerAndFileRequirements() throws {
        let tree = try CacheTreeBuilder()
        try tree.add("tokenizer.json", "{}", commit: main)
        try tree.ref("main", main)
        let reference = try RepoReference(parsing: "org/model")
        #expect(try tree.cache.modelDirectory(for: reference, requiring: .tokenizer).commit == main)
        #expect(throws: HubError.self) { try tree.cache.modelDirectory(for: reference) }
        let error = #expect(throws: HubError.self) {
            try tree.cache.modelDirectory(for: reference, requiring: .files(["tokenizer.json", "tokenizer_config.json"]))
        }
        #expect(error?.description.contains("tokenizer_config.json") == true)
    }

    @Test func treeListingRevealsAPartialDownload() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main)
        try tree.ref("main", main)
        try tree.tree(["config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors",
                       "model-00002-of-00002.safetensors", "tokenizer.json", "README.md", "onnx/model.onnx"], commit: main)
        // README and onnx are not needed: complete.
        _ = try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model"))
        try tree.tree(["config.json", "model.safetensors.index.json", "model-00001-of-00002.safetensors",
                       "model-00002-of-00002.safetensors", "tokenizer.json", "tokenizer_config.json"], commit: main)
        let error = #expect(throws: HubError.self) { try tree.cache.modelDirectory(for: RepoReference(parsing: "org/model")) }
        #expect(error?.description.contains("tokenizer_config.json") == true)
    }

    @Test func pathsCannotLeaveTheSnapshot() throws {
        let tree = try CacheTreeBuilder()
        try tree.addModel(commit: main)
        try tree.ref("main", main)
        let snapshot = try tree.cache.snapshot(for: RepoReference(parsing: "org/model"))
        for path in ["../refs/main", "/etc/passwd", "a/../../x", "", "a//b"] {
            #expect(throws: HubError.self) { try snapshot.lookup(path) }
        }
    }
}
