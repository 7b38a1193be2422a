import Foundation
import Testing
@testable import LoomMedia

@Suite("Decoding matches Pillow's Image.open(f).convert(\"RGB\")")
struct DecoderTests {
    @Test("pixels are bit-identical", arguments: Fixtures.expected.images)
    func decodesLikePillow(_ expected: Fixtures.Image) throws {
        let image = try ImageDecoder.decode(contentsOf: Fixtures.url(expected.file))
        #expect(image.width == expected.width)
        #expect(image.height == expected.height)
        #expect(SHA256.hex(image.pixels) == expected.rgbSHA256)
    }

    @Test("the format comes from the magic bytes", arguments: Fixtures.expected.images)
    func detectsFormat(_ expected: Fixtures.Image) throws {
        let data = try Data(contentsOf: Fixtures.url(expected.file))
        let header = try ImageDecoder.header(data: data)
        #expect(header.format.rawValue == expected.format)
        #expect(header.width == expected.width && header.height == expected.height)
    }

    @Test("a misleading extension does not matter")
    func ignoresExtension() throws {
        let png = try Data(contentsOf: Fixtures.url("chelsea.png"))
        let renamed = FileManager.default.temporaryDirectory.appendingPathComponent("loom-media-\(UUID()).jpg")
        try png.write(to: renamed)
        defer { try? FileManager.default.removeItem(at: renamed) }
        #expect(try ImageDecoder.decode(contentsOf: renamed) == ImageDecoder.decode(data: png))
    }
}
