import Foundation
import Testing
@testable import LoomServer

/// Pieces of the server that need no model: address checks, media URLs, limits, key comparison.
@Suite struct ServerPieceTests {
    func address(_ text: String) -> RemoteMedia.Address {
        var v4 = in_addr(), v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return .init(bytes: withUnsafeBytes(of: v4) { Array($0) }) }
        precondition(inet_pton(AF_INET6, text, &v6) == 1, "not an address: \(text)")
        return .init(bytes: withUnsafeBytes(of: v6) { Array($0) })
    }

    @Test(arguments: ["127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
                      "224.0.0.1", "255.255.255.255", "198.18.0.1", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
                      "::ffff:169.254.169.254", "::ffff:10.0.0.1", "64:ff9b::a00:1", "2002:a00:1::", "2001:db8::1"])
    func privateAddressesAreRefused(text: String) {
        #expect(!RemoteMedia.isGlobal(address(text)))
    }

    @Test(arguments: ["8.8.8.8", "1.1.1.1", "151.101.1.1", "2606:4700::1111", "::ffff:8.8.8.8"])
    func globalAddressesAreAllowed(text: String) {
        #expect(RemoteMedia.isGlobal(address(text)))
    }

    @Test func dataURLsDecodeOnlyBase64() throws {
        let media = MediaResolver(configuration: ServerConfiguration())
        #expect(try media.dataURL("data:image/png;base64,aGVsbG8=") == Data("hello".utf8))
        #expect(throws: APIError.self) { try media.dataURL("data:image/png,hello") }
        #expect(throws: APIError.self) { try media.dataURL("data:image/png;base64,@@@") }
        #expect(throws: APIError.self) { try media.image("file:///etc/passwd") }
        #expect(throws: APIError.self) { try media.image("ftp://example.com/a.png") }
        #expect(throws: APIError.self) { try media.image("https://example.com/a.png") }
    }

    @Test func mediaLimitsParseVLLMsJSON() throws {
        var configuration = ServerConfiguration()
        try configuration.setMediaLimits(json: #"{"image": 4, "video": 0}"#)
        #expect(configuration.maxImagesPerPrompt == 4 && configuration.maxVideosPerPrompt == 0)
        #expect(throws: ServerError.self) { try configuration.setMediaLimits(json: #"{"audio": 1}"#) }
        #expect(throws: ServerError.self) { try configuration.setMediaLimits(json: #"{"image": -1}"#) }
        #expect(throws: ServerError.self) { try configuration.setMediaLimits(json: "16") }
    }

    @Test func keysCompareWholly() {
        #expect(APIKeyMiddleware.equal(Array("sk-local".utf8), Array("sk-local".utf8)))
        #expect(!APIKeyMiddleware.equal(Array("sk-loca".utf8), Array("sk-local".utf8)))
        #expect(!APIKeyMiddleware.equal(Array("sk-local2".utf8), Array("sk-local".utf8)))
        #expect(!APIKeyMiddleware.equal([], Array("k".utf8)))
    }

    @Test func errorsHaveOpenAIsShape() throws {
        let error = APIError.badRequest("nope", code: "invalid_image", param: "messages")
        let body = try #require(try JSONSerialization.jsonObject(with: error.json) as? [String: [String: Any]])
        #expect(Set(body["error"]!.keys) == ["message", "type", "param", "code"])
        #expect(body["error"]!["code"] as? String == "invalid_image" && error.status.code == 400)
    }
}
