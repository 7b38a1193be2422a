/// The colours of the synthetic tasks, named as the answers name them.
public enum SynthColor: String, Sendable, CaseIterable {
    case red, green, blue, yellow, white, black

    /// The fill, far from every other colour and from the gray backgrounds.
    public var rgb: SynthRGB {
        switch self {
        case .red: return SynthRGB(220, 40, 40)
        case .green: return SynthRGB(40, 180, 60)
        case .blue: return SynthRGB(40, 80, 220)
        case .yellow: return SynthRGB(235, 210, 40)
        case .white: return SynthRGB(250, 250, 250)
        case .black: return SynthRGB(15, 15, 15)
        }
    }

    /// The gray backgrounds a scene is drawn on: no answer ever names them.
    public static let backgrounds = [SynthRGB(128, 128, 128), SynthRGB(104, 104, 112), SynthRGB(152, 144, 136)]
}

/// The shapes of the synthetic tasks.
public enum SynthShape: String, Sendable, CaseIterable {
    case circle, square, triangle
}

/// An 8-bit RGB colour.
public struct SynthRGB: Sendable, Equatable {
    public let r: UInt8, g: UInt8, b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
}

/// A coloured shape: what scenes are made of, and how answers name it ("red circle").
public struct SynthObject: Sendable, Equatable {
    public var color: SynthColor
    public var shape: SynthShape

    public init(color: SynthColor, shape: SynthShape) {
        self.color = color
        self.shape = shape
    }

    /// "red circle".
    public var name: String { "\(color.rawValue) \(shape.rawValue)" }

    /// Every colour–shape pair.
    public static let all = SynthColor.allCases.flatMap { color in SynthShape.allCases.map { SynthObject(color: color, shape: $0) } }
}

/// The 3×5 pixel font of the digit tasks: five rows of three bits, the high bit leftmost.
enum DigitFont {
    static let rows: [[UInt8]] = [
        [0b111, 0b101, 0b101, 0b101, 0b111], // 0
        [0b010, 0b110, 0b010, 0b010, 0b111], // 1
        [0b111, 0b001, 0b111, 0b100, 0b111], // 2
        [0b111, 0b001, 0b111, 0b001, 0b111], // 3
        [0b101, 0b101, 0b111, 0b001, 0b001], // 4
        [0b111, 0b100, 0b111, 0b001, 0b111], // 5
        [0b111, 0b100, 0b111, 0b101, 0b111], // 6
        [0b111, 0b001, 0b001, 0b001, 0b001], // 7
        [0b111, 0b101, 0b111, 0b101, 0b111], // 8
        [0b111, 0b101, 0b111, 0b001, 0b111], // 9
    ]

    /// Whether the glyph of `digit` has ink at column `x` (0–2) of row `y` (0–4).
    static func ink(_ digit: Int, x: Int, y: Int) -> Bool { rows[digit][y] >> (2 - x) & 1 == 1 }
}
