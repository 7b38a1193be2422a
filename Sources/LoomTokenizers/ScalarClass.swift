/// The character classes the Qwen2 split pattern tests, as Oniguruma defines them for Unicode:
/// `\p{L}` = general category L*, `\p{N}` = N*, `\s` = the White_Space property, plus `[\r\n]`.
enum ScalarClass {
    static let letter: UInt8 = 1
    static let number: UInt8 = 2
    static let whitespace: UInt8 = 4
    static let lineBreak: UInt8 = 8

    /// Classes of the Basic Multilingual Plane, computed once.
    private static let basicPlane: [UInt8] = (0..<0x10000).map { classify(UInt32($0)) }

    /// The class bits of a scalar value (0 for "other": not a letter, number or whitespace).
    @inline(__always)
    static func of(_ value: UInt32) -> UInt8 {
        value < 0x10000 ? basicPlane[Int(value)] : classify(value)
    }

    private static func classify(_ value: UInt32) -> UInt8 {
        guard let scalar = Unicode.Scalar(value) else { return 0 }
        if value == 0x0A || value == 0x0D { return whitespace | lineBreak }
        let properties = scalar.properties
        if properties.isWhitespace { return whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return number
        default:
            return 0
        }
    }
}
