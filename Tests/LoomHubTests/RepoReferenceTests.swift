import Foundation
import Testing
@testable import LoomHub

/// `ORG/NAME[@REVISION]` and local paths.
@Suite struct RepoReferenceTests {
    @Test func parsesRepoAndRevision() throws {
        let plain = try RepoReference(parsing: "llava-hf/llava-interleave-qwen-0.5b-hf")
        #expect(plain.repoID == "llava-hf/llava-interleave-qwen-0.5b-hf")
        #expect(plain.revision == "main")
        #expect(plain.folderName == "models--llava-hf--llava-interleave-qwen-0.5b-hf")
        let pr = try RepoReference(parsing: "org/name@refs/pr/6")
        #expect(pr.revision == "refs/pr/6")
        #expect(!pr.revisionIsCommit)
        let commit = try RepoReference(parsing: "org/name@1abeb3a994bf01d53d492318a1c9517950cd9f1b")
        #expect(commit.revisionIsCommit)
        #expect(commit.description == "org/name@1abeb3a994bf01d53d492318a1c9517950cd9f1b")
    }

    @Test(arguments: ["name", "a/b/c", "org/", "/name", "org/na--me", "org/na..me", "org/-name", "org/name.",
                      "org/name@", "org/name@../x", "org/name@a//b", "org/nåme", "org/na me"])
    func rejectsInvalid(text: String) {
        #expect(throws: HubError.self) { try RepoReference(parsing: text) }
    }

    @Test func anExistingPathWinsOverARepoID() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-src-\(UUID().uuidString)")
        let model = folder.appendingPathComponent("org/model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(try ModelSource(model.path) == .local(URL(fileURLWithPath: model.path)))
        #expect(try ModelSource("org/absent") == .hub(RepoReference(parsing: "org/absent")))
        let error = #expect(throws: HubError.self) { try ModelSource("./not/here/at/all") }
        #expect(error?.description.contains("nor is it an existing local directory") == true)
    }
}
