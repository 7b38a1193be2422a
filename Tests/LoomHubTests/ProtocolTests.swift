import Foundation
import LoomCore
import Testing
@testable import LoomHub

/// The pure parts of the protocol and of the cache writer: etags, quoting, origins, hashes, links, refs.
@Suite struct ProtocolTests {
    @Test func etagsAreNormalised() {
        #expect(HubClient.normalizeEtag(#""abc""#) == "abc")
        #expect(HubClient.normalizeEtag(#"W/"abc""#) == "abc")
        #expect(HubClient.normalizeEtag("abc") == "abc")
        #expect(HubClient.normalizeEtag(nil) == nil)
    }

    @Test func quotingMatchesPython() {
        #expect(HubClient.quote("refs/pr/6", safe: "") == "refs%2Fpr%2F6")
        #expect(HubClient.quote("onnx/model file.onnx", safe: "/") == "onnx/model%20file.onnx")
        #expect(HubClient.quote("é~_.-", safe: "") == "%C3%A9~_.-")
    }

    @Test func theTokenGoesOnlyToHubOrigins() {
        let resolve = "http://127.0.0.1:8000/org/m/resolve/main/x"
        func isHubOrigin(_ target: String, relativeTo reference: String) -> Bool {
            HubClient.isHubOrigin(target, relativeTo: reference, endpoint: "http://127.0.0.1:8000")
        }
        #expect(isHubOrigin("http://127.0.0.1:8000/api/resolve-cache/x", relativeTo: resolve))
        #expect(isHubOrigin("https://huggingface.co/x", relativeTo: resolve))
        #expect(isHubOrigin("https://hf.co:443/x", relativeTo: resolve))
        #expect(!isHubOrigin("http://127.0.0.1:8001/cdn/x", relativeTo: resolve))
        #expect(!isHubOrigin("https://cdn-lfs.hf.co/x", relativeTo: resolve))
        #expect(!isHubOrigin("http://localhost:8000/x", relativeTo: resolve))
    }

    @Test func urlPartsForMessages() {
        let endpoint = "http://h"
        #expect(HubClient.parts(of: "http://h/org/m/resolve/refs%2Fpr%2F6/a/b.json", endpoint: endpoint) == ("org/m", "refs/pr/6", "a/b.json"))
        #expect(HubClient.parts(of: "http://h/api/models/org/m/revision/main?blobs=true", endpoint: endpoint) == ("org/m", "main", ""))
    }

    @Test func gitBlobSHA1() {
        var plain = GitSHA1()
        plain.update(Array("abc".utf8))
        #expect(plain.hexDigest() == "a9993e364706816aba3e25717850c26c9cd0d89d")
        var long = GitSHA1()
        long.update(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(long.hexDigest() == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        var blob = GitSHA1(blobSize: 6)
        blob.update(Array("hello\n".utf8))
        #expect(blob.hexDigest() == "ce013625030ba8dba906f756967f9e9ca394464a")
    }

    @Test func contentHasherChecksTheEtagKind() {
        let data = Array("hello\n".utf8)
        var lfs = ContentHasher(etag: SHA256.hex(data), size: 6)
        lfs.update(data)
        #expect(lfs.mismatch() == nil)
        var bad = ContentHasher(etag: SHA256.hex(Array("other".utf8)), size: 6)
        bad.update(data)
        #expect(bad.mismatch() != nil)
        var git = ContentHasher(etag: "ce013625030ba8dba906f756967f9e9ca394464a", size: 6)
        git.update(data)
        #expect(git.mismatch() == nil)
        var unknown = ContentHasher(etag: "not-a-hash", size: 6)
        unknown.update(data)
        #expect(unknown.mismatch() == nil)
    }

    @Test(arguments: [false, true])
    func writerOutputIsReadBack(copies: Bool) throws {
        let tree = try CacheTreeBuilder()
        let reference = try RepoReference(parsing: "org/model@v1")
        let writer = CacheWriter(cache: tree.cache, reference: reference, copies: copies)
        try writer.prepare()
        let commit = CacheTreeBuilder.commit("w")
        for (path, text) in [("config.json", "{}"), ("model.safetensors", "weights"), ("additional_chat_templates/a.jinja", "t")] {
            let etag = SHA256.hex(Array(text.utf8))
            let temporary = writer.temporaryBlob(etag)
            #expect(temporary.lastPathComponent.hasSuffix(".incomplete"))
            try Data(text.utf8).write(to: temporary)
            try writer.commitBlob(temporary, etag: etag)
            try writer.link(commit: commit, path: path, etag: etag)
            try writer.link(commit: commit, path: path, etag: etag)  // idempotent
        }
        try writer.writeRef(revision: "v1", commit: commit)
        try writer.writeRef(revision: commit, commit: commit)  // no ref for a commit
        let ref = try Data(contentsOf: tree.repo.appendingPathComponent("refs/v1"))
        #expect(String(decoding: ref, as: UTF8.self) == commit)  // no newline
        #expect(!FileManager.default.fileExists(atPath: tree.repo.appendingPathComponent("refs/\(commit)").path))
        #expect(FileManager.default.fileExists(atPath: tree.root.appendingPathComponent("CACHEDIR.TAG").path))
        let snapshot = try tree.cache.modelDirectory(for: reference)
        #expect(try String(contentsOf: snapshot.requiredFile("additional_chat_templates/a.jinja"), encoding: .utf8) == "t")
        let nested = snapshot.directory.appendingPathComponent("additional_chat_templates/a.jinja").path
        let target = try? FileManager.default.destinationOfSymbolicLink(atPath: nested)
        #expect(copies ? target == nil : target == "../../../blobs/\(SHA256.hex(Array("t".utf8)))")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: tree.repo.appendingPathComponent("blobs").path)
        #expect(!leftovers.contains { $0.hasSuffix(".incomplete") })
        writer.markAbsent(commit: commit, path: "chat_template.jinja")
        #expect(try snapshot.lookup("chat_template.jinja") == .knownAbsent)
    }
}
