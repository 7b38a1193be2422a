import Foundation
import LoomCore
import Testing
@testable import LoomMedia

/// `PNGEncoder`: what it writes decodes to the same pixels, and the same pixels always give the same bytes.
@Suite struct PNGEncoderTests {
    /// A small image with every byte value in some channel.
    static func gradient(width: Int, height: Int) throws -> RGBImage {
        let pixels = (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 / 5) }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    @Test(arguments: [(1, 1), (48, 48), (96, 37), (13, 200)])
    func decodingGivesThePixelsBack(_ size: (Int, Int)) throws {
        let image = try Self.gradient(width: size.0, height: size.1)
        let png = try image.pngData()
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(try ImageDecoder.decode(data: Data(png)) == image)
    }

    @Test func aFixtureSurvivesTheRoundTrip() throws {
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url("chelsea.png"))
        #expect(try ImageDecoder.decode(data: Data(PNGEncoder.encode(image))) == image)
    }

    @Test func theSamePixelsGiveTheSameBytes() throws {
        let image = try Self.gradient(width: 48, height: 48)
        let first = try PNGEncoder.encode(image)
        #expect(try PNGEncoder.encode(image) == first)
        #expect(try PNGEncoder.encode(RGBImage(width: 48, height: 48, pixels: image.pixels)) == first)
        var changed = image.pixels
        changed[0] &+= 1
        #expect(try PNGEncoder.encode(RGBImage(width: 48, height: 48, pixels: changed)) != first)
    }
}
