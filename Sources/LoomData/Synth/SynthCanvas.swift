import LoomMedia

/// A small RGB drawing surface with pure pixel fills (a pixel is inside a shape when its centre is, never blended),
/// so the same drawing always gives the same bytes.
public struct SynthCanvas: Sendable {
    public let width: Int
    public let height: Int
    /// `width * height * 3` bytes, rows top to bottom.
    public private(set) var pixels: [UInt8]

    /// A canvas filled with `background`.
    public init(width: Int, height: Int, background: SynthRGB) {
        precondition(width > 0 && height > 0, "SynthCanvas: empty size \(width)×\(height)")
        self.width = width
        self.height = height
        pixels = [UInt8](repeating: 0, count: width * height * 3)
        for at in stride(from: 0, to: pixels.count, by: 3) {
            pixels[at] = background.r
            pixels[at + 1] = background.g
            pixels[at + 2] = background.b
        }
    }

    /// A square canvas of side `size`.
    public init(size: Int, background: SynthRGB) { self.init(width: size, height: size, background: background) }

    /// Paints the pixels of the `size` × `size` box at (`x`, `y`) that `inside(dx, dy)` selects (offsets from the box's
    /// corner; parts outside the canvas are skipped).
    private mutating func fill(x: Int, y: Int, size: Int, _ color: SynthRGB, inside: (Int, Int) -> Bool) {
        for dy in 0..<size where (0..<height).contains(y + dy) {
            for dx in 0..<size where (0..<width).contains(x + dx) && inside(dx, dy) {
                let at = ((y + dy) * width + x + dx) * 3
                pixels[at] = color.r
                pixels[at + 1] = color.g
                pixels[at + 2] = color.b
            }
        }
    }

    /// Draws `shape` filling the `size` × `size` box at (`x`, `y`): the inscribed circle, the box itself, or the
    /// triangle with its apex at the top middle and its base along the bottom.
    public mutating func draw(_ shape: SynthShape, x: Int, y: Int, size: Int, color: SynthRGB) {
        switch shape {
        case .square:
            fill(x: x, y: y, size: size, color) { _, _ in true }
        case .circle:
            // Pixel centres in half-pixel units: (2dx + 1 − size)² + (2dy + 1 − size)² ≤ size².
            fill(x: x, y: y, size: size, color) { dx, dy in
                let u = 2 * dx + 1 - size, v = 2 * dy + 1 - size
                return u * u + v * v <= size * size
            }
        case .triangle:
            // Half the width at a pixel centre's height h = dy + ½ is h / 2: |2dx + 1 − size| ≤ dy + ½.
            fill(x: x, y: y, size: size, color) { dx, dy in 2 * abs(2 * dx + 1 - size) <= 2 * dy + 1 }
        }
    }

    /// Draws `object` in the box at (`x`, `y`).
    public mutating func draw(_ object: SynthObject, x: Int, y: Int, size: Int) {
        draw(object.shape, x: x, y: y, size: size, color: object.color.rgb)
    }

    /// Draws `digit` (0–9) in the 3×5 font, each font pixel a `scale` × `scale` block, its top left at (`x`, `y`).
    public mutating func drawDigit(_ digit: Int, x: Int, y: Int, scale: Int, color: SynthRGB) {
        for row in 0..<5 {
            for column in 0..<3 where DigitFont.ink(digit, x: column, y: row) {
                fill(x: x + column * scale, y: y + row * scale, size: scale, color) { _, _ in true }
            }
        }
    }

    /// The drawing as an image.
    public var image: RGBImage {
        // The buffer is width · height · 3 bytes by construction, so this cannot throw.
        try! RGBImage(width: width, height: height, pixels: pixels)
    }
}
