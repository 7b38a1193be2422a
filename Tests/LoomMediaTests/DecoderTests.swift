import Foundation
import LoomCore
import Testing
@testable import LoomMedia

@Suite("Decoding matches Pillow's Image.open(f).convert(\"RGB\")")
struct DecoderTests {
    @Test("pixels are bit-identical", arguments: ImageFixtures.expected.images)
    func decodesLikePillow(_ expected: ImageFixtures.Image) throws {
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url(expected.file))
        #expect(image.width == expected.width)
        #expect(image.height == expected.height)
        #expect(SHA256.hex(image.pixels) == expected.rgbSHA256)
    }

    @Test("the format comes from the magic bytes", arguments: ImageFixtures.expected.images)
    func detectsFormat(_ expected: ImageFixtures.Image) throws {
        let data = try Data(contentsOf: ImageFixtures.url(expected.file))
        let header = try ImageDecoder.header(data: data)
        #expect(header.format.rawValue == expected.format)
        #expect(header.width == expected.width && header.height == expected.height)
    }

    @Test("a misleading extension does not matter")
    func ignoresExtension() throws {
        let png = try Data(contentsOf: ImageFixtures.url("chelsea.png"))
        let renamed = FileManager.default.temporaryDirectory.appendingPathComponent("loom-media-\(UUID()).jpg")
        try png.write(to: renamed)
        defer { try? FileManager.default.removeItem(at: renamed) }
        #expect(try ImageDecoder.decode(contentsOf: renamed) == ImageDecoder.decode(data: png))
    }
}
