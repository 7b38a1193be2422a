import Foundation
import Testing
@testable import LoomHub

/// The environment variables read as huggingface_hub reads them.
@Suite struct HubEnvironmentTests {
    @Test func cacheRootPrecedence() {
        let home = "/home/u"
        func root(_ variables: [String: String]) -> String { HubEnvironment(variables, home: home).cacheDirectory.path }
        #expect(root([:]) == "/home/u/.cache/huggingface/hub")
        #expect(root(["XDG_CACHE_HOME": "/xdg"]) == "/xdg/huggingface/hub")
        #expect(root(["XDG_CACHE_HOME": "/xdg", "HF_HOME": "/hf"]) == "/hf/hub")
        #expect(root(["HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy"]) == "/legacy")
        #expect(root(["HF_HOME": "/hf", "HUGGINGFACE_HUB_CACHE": "/legacy", "HF_HUB_CACHE": "/new"]) == "/new")
        #expect(root(["HF_HOME": "~/hf"]) == "/home/u/hf/hub")
        #expect(root(["BASE": "/data", "HF_HUB_CACHE": "$BASE/hub-${BASE}"]) == "/data/hub-/data")
    }

    @Test func endpointOfflineSymlinksAndTimeouts() {
        let environment = HubEnvironment(["HF_ENDPOINT": "http://127.0.0.1:8080/", "HF_HUB_OFFLINE": "yes",
                                          "HF_HUB_DISABLE_SYMLINKS": "1", "HF_HUB_ETAG_TIMEOUT": "3"], home: "/h")
        #expect(environment.endpoint == "http://127.0.0.1:8080")
        #expect(environment.offline)
        #expect(environment.symlinksDisabled)
        #expect(environment.etagTimeout == 3)
        #expect(HubEnvironment([:], home: "/h").endpoint == "https://huggingface.co")
        #expect(!HubEnvironment(["HF_HUB_OFFLINE": "0"], home: "/h").offline)
        #expect(HubEnvironment(["TRANSFORMERS_OFFLINE": "True"], home: "/h").offline)
    }

    @Test func tokenFromVariablesThenFile() throws {
        #expect(HubEnvironment(["HF_TOKEN": " hf_a \n", "HUGGING_FACE_HUB_TOKEN": "hf_b"], home: "/h").token == "hf_a")
        #expect(HubEnvironment(["HUGGING_FACE_HUB_TOKEN": "hf_b"], home: "/h").token == "hf_b")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loom-token-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("hf_file\n".utf8).write(to: folder.appendingPathComponent("token"))
        #expect(HubEnvironment(["HF_HOME": folder.path], home: "/h").token == "hf_file")
        #expect(HubEnvironment(["HF_TOKEN_PATH": folder.appendingPathComponent("token").path], home: "/h").token == "hf_file")
        #expect(HubEnvironment(["HF_HOME": "/nonexistent"], home: "/h").token == nil)
    }
}
