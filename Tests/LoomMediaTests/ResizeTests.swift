import Foundation
import LoomCore
import Testing
@testable import LoomMedia

@Suite("PillowResize matches Pillow's BICUBIC resize")
struct ResizeTests {
    @Test("every fixture at every size is bit-identical", arguments: ImageFixtures.expected.images)
    func resizesLikePillow(_ expected: ImageFixtures.Image) throws {
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url(expected.file))
        for size in expected.resize {
            let resized = PillowResize.resize(image, width: size.width, height: size.height)
            #expect(resized.width == size.width && resized.height == size.height)
            #expect(SHA256.hex(resized.pixels) == size.sha256, "\(expected.file) → \(size.width)×\(size.height)")
        }
    }

    @Test("an unchanged size gives the same pixels")
    func unchangedSize() throws {
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url("noise_420_odd.jpg"))
        #expect(PillowResize.resize(image, width: image.width, height: image.height) == image)
    }

    @Test("small cases match values printed by Pillow 13")
    func smallCases() throws {
        // Width only (one horizontal pass): 4×1 black/white stripes → 8×1.
        let stripes = try RGBImage(width: 4, height: 1, layout: .gray, bytes: [0, 255, 0, 255])
        let wider = PillowResize.resize(stripes, width: 8, height: 1)
        #expect(wider.pixels == [0, 54, 216, 215, 40, 39, 201, 255].flatMap { [$0, $0, $0] })
        // Both axes, horizontal first: 6×5 ramp (value 3·index) → 5×2.
        let ramp = try RGBImage(width: 6, height: 5, pixels: (0..<90).map { UInt8(truncatingIfNeeded: $0 * 3) })
        let smaller = PillowResize.resize(ramp, width: 5, height: 2)
        #expect(smaller.pixels == [47, 50, 53, 58, 61, 64, 69, 72, 74, 79, 82, 91, 97, 100, 104,
                                   171, 174, 177, 182, 185, 188, 193, 196, 204, 206, 209, 148, 139, 142, 127])
        // Both axes, vertical first (2·(8−7) < 20−3): 8×20 → 7×3; the horizontal-first order gives other values.
        let tall = try RGBImage(width: 8, height: 20, pixels: (0..<480).map { UInt8($0 * 7 % 251) })
        let squat = PillowResize.resize(tall, width: 7, height: 3)
        #expect(squat.pixels == [
            86, 93, 100, 109, 116, 123, 138, 145, 154, 115, 122, 131, 92, 99, 105, 121, 128, 135, 144, 151, 162,
            92, 99, 106, 115, 122, 132, 144, 151, 136, 122, 129, 106, 100, 107, 117, 129, 136, 144, 152, 159, 129,
            98, 105, 112, 121, 128, 140, 151, 158, 126, 125, 132, 85, 98, 105, 118, 128, 135, 144, 151, 158, 94,
        ])
    }

    @Test("a uniform image stays uniform at any size")
    func uniformImage() throws {
        let gray = try RGBImage(width: 37, height: 23, layout: .gray, bytes: [UInt8](repeating: 200, count: 37 * 23))
        for (width, height) in [(384, 384), (5, 3), (1, 1), (1000, 7)] {
            let resized = PillowResize.resize(gray, width: width, height: height)
            #expect(resized.pixels.allSatisfy { $0 == 200 })
        }
    }

    @Test("bicubic weights are Pillow's fixed-point values")
    func coefficients() {
        // 4 → 2: scale 2, support 4, taps 2·4+1; output 0 centred at 1.0 reads inputs 0..<4.
        let c = BicubicCoefficients(inputSize: 4, outputSize: 2)
        #expect(c.taps == 9)
        #expect(c.first == [0, 0])
        #expect(c.count == [4, 4])
        let sum = c.weights[0..<c.count[0]].reduce(0, +)
        #expect(abs(Int(sum) - (1 << 22)) <= 2)
        // Identity: each output takes its own input with weight 1.0 exactly (neighbours weigh 0 at distance 1).
        let identity = BicubicCoefficients(inputSize: 5, outputSize: 5)
        #expect(identity.weights[2 * identity.taps + 2 - identity.first[2]] == 1 << 22)
    }

    @Test("640×480 → 384×384 timing (informational)")
    func timing() throws {
        var generator = SplitMix(seed: 7)
        let pixels = (0..<(640 * 480 * 3)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        let image = try RGBImage(width: 640, height: 480, pixels: pixels)
        _ = PillowResize.resize(image, width: 384, height: 384)
        let runs = 20
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<runs { _ = PillowResize.resize(image, width: 384, height: 384) }
        let ms = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(runs)
        print("PillowResize 640×480 → 384×384: \(String(format: "%.2f", ms)) ms per image")
        #expect(ms < 5_000)
    }
}

/// A small deterministic generator for synthetic test pixels.
struct SplitMix {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
