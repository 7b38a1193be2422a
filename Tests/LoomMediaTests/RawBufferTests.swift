import Testing
@testable import LoomMedia

@Suite("RGBImage from raw buffers converts like Pillow's convert(\"RGB\")")
struct RawBufferTests {
    @Test("RGBA, L, LA and CMYK buffers", arguments: ImageFixtures.expected.rawConversions)
    func convertsLikePillow(_ expected: ImageFixtures.RawConversion) throws {
        let layouts: [String: PixelLayout] = ["RGBA": .rgba, "L": .gray, "LA": .grayAlpha, "CMYK": .cmyk]
        let layout = try #require(layouts[expected.mode])
        let image = try RGBImage(width: expected.width, height: expected.height, layout: layout,
                                 bytes: ImageFixtures.bytes(hex: expected.input))
        #expect(image.pixels == ImageFixtures.bytes(hex: expected.rgb))
    }

    @Test("RGB bytes are kept as given")
    func rgb() throws {
        let pixels: [UInt8] = [1, 2, 3, 4, 5, 6]
        let image = try RGBImage(width: 2, height: 1, pixels: pixels)
        #expect(image.pixels == pixels && image.width == 2 && image.height == 1)
    }

    @Test("alpha is dropped, not composited")
    func dropsAlpha() throws {
        let image = try RGBImage(width: 1, height: 1, layout: .rgba, bytes: [10, 20, 30, 0])
        #expect(image.pixels == [10, 20, 30])
    }

    @Test("a buffer of the wrong size is refused", arguments: [
        (PixelLayout.rgb, 2, 2, 11), (.rgba, 2, 2, 12), (.gray, 3, 1, 4), (.cmyk, 0, 5, 0),
    ])
    func wrongSize(layout: PixelLayout, width: Int, height: Int, count: Int) throws {
        let error = try #require(throws: MediaError.self) {
            try RGBImage(width: width, height: height, layout: layout, bytes: [UInt8](repeating: 0, count: count))
        }
        #expect(error.kind == .invalidPixelBuffer)
    }
}
