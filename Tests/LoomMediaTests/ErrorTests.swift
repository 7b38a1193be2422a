import Foundation
import Testing
@testable import LoomMedia

@Suite("Broken, unsupported and oversized files fail with a MediaError naming the problem")
struct ErrorTests {
    @Test("each broken fixture fails with the expected kind", arguments: ImageFixtures.expected.errors)
    func failsWithKind(_ expected: ImageFixtures.Failure) throws {
        let url = ImageFixtures.url(expected.file)
        let error = try #require(throws: MediaError.self) { try ImageDecoder.decode(contentsOf: url) }
        #expect(error.kind.rawValue == expected.kind, "\(error) (Pillow: \(expected.pillowError))")
        #expect(error.source == url.path)
        #expect(error.description.hasPrefix(url.path + ": " + error.kind.phrase + ": "))
        #expect(!error.description.contains("\n"))
    }

    @Test("messages say what is wrong", arguments: [
        ("error_truncated.jpg", "Premature end of JPEG file"),
        ("error_truncated.png", "PNG data ends early"),
        ("error_bad_crc.png", "PNG chunk IHDR has a bad CRC"),
        ("error_random.bin", "not a JPEG, PNG, WebP or GIF file"),
        ("error_empty.png", "the file is empty (0 bytes)"),
        ("error_huge_header.png", "png of 100000×100000 = 10000000000 pixels exceeds the limit of 89478485"),
    ])
    func messages(file: String, phrase: String) throws {
        let error = try #require(throws: MediaError.self) { try ImageDecoder.decode(contentsOf: ImageFixtures.url(file)) }
        #expect(error.description.contains(phrase), "\(error)")
    }

    @Test("the pixel limit is checked against the header, before any pixel data is read")
    func refusesBeforeDecoding() throws {
        // The header claims 10^10 pixels (30 GB of RGB) and only a few bytes of image data follow:
        // a decoder that allocated or decoded first would fail differently or run out of memory.
        let data = try Data(contentsOf: ImageFixtures.url("error_huge_header.png"))
        let header = try ImageDecoder.header(data: data)
        #expect(header.width == 100_000 && header.height == 100_000)
        let error = try #require(throws: MediaError.self) { try ImageDecoder.decode(data: data) }
        #expect(error.kind == .tooManyPixels)
        #expect(error.source == "image data")
        // Header only, without any image data at all: still refused for its size, not reported as truncated.
        let headerOnly = data.prefix(33)
        #expect(throws: MediaError.self) { try ImageDecoder.decode(data: headerOnly) }
        let headerOnlyError = try #require(throws: MediaError.self) { try ImageDecoder.decode(data: headerOnly) }
        #expect(headerOnlyError.kind == .tooManyPixels)
    }

    @Test("the limit is configurable and inclusive")
    func configurableLimit() throws {
        let url = ImageFixtures.url("large_3000x2000.png")
        let image = try ImageDecoder.decode(contentsOf: url, limits: ImageLimits(maxPixels: 6_000_000))
        #expect(image.width == 3000 && image.height == 2000)
        let error = try #require(throws: MediaError.self) {
            try ImageDecoder.decode(contentsOf: url, limits: ImageLimits(maxPixels: 5_999_999))
        }
        #expect(error.kind == .tooManyPixels)
        #expect(ImageLimits.default.maxPixels == 89_478_485)
    }

    @Test("each format reports truncation inside its header")
    func truncatedHeaders() throws {
        for file in ["astronaut.jpg", "chelsea.png", "motorcycle_left.webp", "astronaut.gif"] {
            let data = try Data(contentsOf: ImageFixtures.url(file)).prefix(14)
            let error = try #require(throws: MediaError.self) { try ImageDecoder.decode(data: data) }
            #expect(error.kind == .truncated, "\(file): \(error)")
        }
    }

    @Test("a zero-width image is refused")
    func zeroWidth() throws {
        var png = Array(try Data(contentsOf: ImageFixtures.url("tiny_1x1.png")))
        png[16...19] = [0, 0, 0, 0]  // IHDR width
        let error = try #require(throws: MediaError.self) { try ImageDecoder.decode(data: Data(png)) }
        #expect(error.kind == .zeroSize)
        #expect(error.description.contains("0×1"))
    }

    @Test("a missing file is unreadable")
    func missingFile() throws {
        let url = ImageFixtures.url("no-such-file.png")
        let error = try #require(throws: MediaError.self) { try ImageDecoder.decode(contentsOf: url) }
        #expect(error.kind == .unreadable)
        #expect(error.source == url.path)
    }
}
