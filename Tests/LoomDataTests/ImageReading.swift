import LoomMedia
@testable import LoomData

/// A synthetic image read back from its pixels: the background (the gray it holds: no object is ever gray), the ink
/// (every other pixel) and what the ink shows.
struct ImageReading: CustomStringConvertible {
    let image: RGBImage
    let background: SynthRGB
    /// Positions of the pixels that are not background.
    let ink: [(x: Int, y: Int)]

    init(_ image: RGBImage) {
        self.image = image
        let colors = Set((0..<(image.width * image.height)).map { Self.key(image.color(x: $0 % image.width, y: $0 / image.width)) })
        background = SynthColor.backgrounds.first { colors.contains(Self.key($0)) } ?? SynthRGB(0, 0, 0)
        var ink: [(Int, Int)] = []
        for y in 0..<image.height {
            for x in 0..<image.width where image.color(x: x, y: y) != background { ink.append((x, y)) }
        }
        self.ink = ink
    }

    static func key(_ color: SynthRGB) -> Int { Int(color.r) << 16 | Int(color.g) << 8 | Int(color.b) }

    var description: String { "\(image.width)×\(image.height) image, \(ink.count) ink pixels" }

    /// The colour an answer names ("red." → red's fill).
    static func color(named answer: String) -> SynthRGB? {
        SynthColor(rawValue: String(answer.dropLast()))?.rgb
    }

    /// The vocabulary colour of a pixel colour.
    static func vocabulary(_ rgb: SynthRGB) -> SynthColor? { SynthColor.allCases.first { $0.rgb == rgb } }

    /// The bounding box of the ink.
    var box: (minX: Int, minY: Int, maxX: Int, maxY: Int)? {
        guard !ink.isEmpty else { return nil }
        return (ink.map(\.x).min()!, ink.map(\.y).min()!, ink.map(\.x).max()!, ink.map(\.y).max()!)
    }

    /// The ink's centre of mass (rounded down).
    var centre: (x: Int, y: Int)? {
        guard !ink.isEmpty else { return nil }
        return (ink.map(\.x).reduce(0, +) / ink.count, ink.map(\.y).reduce(0, +) / ink.count)
    }

    /// The pixel count of `shape` drawn in a box of `side`.
    static func pixelCount(_ shape: SynthShape, side: Int) -> Int {
        var canvas = SynthCanvas(size: side, background: SynthRGB(0, 0, 0))
        canvas.draw(shape, x: 0, y: 0, size: side, color: SynthRGB(255, 255, 255))
        return canvas.pixels.filter { $0 == 255 }.count / 3
    }

    /// The shape whose pixel count in a box as wide as `pixels`' bounding box is `pixels.count`.
    static func shape(of pixels: [(x: Int, y: Int)]) -> SynthShape? {
        guard let minX = pixels.map(\.x).min(), let maxX = pixels.map(\.x).max() else { return nil }
        return SynthShape.allCases.first { pixelCount($0, side: maxX - minX + 1) == pixels.count }
    }

    /// The one shape of a single-object image.
    var loneShape: SynthShape? { Self.shape(of: ink) }

    /// The digit the ink spells in the 3×5 font (its box is 3 × 5 blocks of one scale).
    var digit: Int? {
        guard let box, (box.maxY - box.minY + 1) % 5 == 0 else { return nil }
        let scale = (box.maxY - box.minY + 1) / 5
        guard box.maxX - box.minX + 1 == 3 * scale else { return nil }
        let rows = (0..<5).map { row in
            (0..<3).reduce(UInt8(0)) { bits, column in
                let x = box.minX + column * scale + scale / 2, y = box.minY + row * scale + scale / 2
                return bits << 1 | (image.color(x: x, y: y) == background ? 0 : 1)
            }
        }
        return DigitFont.rows.firstIndex(of: rows)
    }

    /// The object in each cell of a scene's 3×3 grid, by the colour and count of the cell's ink.
    var objects: [Int: SynthObject] {
        let cell = SynthScene.cellSize(image.width), margin = (image.width - 3 * cell) / 2
        var found: [Int: SynthObject] = [:]
        for index in 0..<9 {
            let x0 = margin + index % 3 * cell, y0 = margin + index / 3 * cell
            let pixels = ink.filter { (x0..<(x0 + cell)).contains($0.x) && (y0..<(y0 + cell)).contains($0.y) }
            guard let first = pixels.first, let color = Self.vocabulary(image.color(x: first.x, y: first.y)),
                  pixels.allSatisfy({ image.color(x: $0.x, y: $0.y) == color.rgb }) else { continue }
            let side = SynthScene.objectSize(image.width)
            if let shape = SynthShape.allCases.first(where: { Self.pixelCount($0, side: side) == pixels.count }) {
                found[index] = SynthObject(color: color, shape: shape)
            }
        }
        return found
    }
}

extension RGBImage {
    /// The colour at column `x`, row `y`.
    func color(x: Int, y: Int) -> SynthRGB {
        let at = (y * width + x) * 3
        return SynthRGB(pixels[at], pixels[at + 1], pixels[at + 2])
    }
}
