import Foundation
import LoomTestSupport
import Testing

/// `Tests/Fixtures/images/` and its `expected.json`, written by `tools/reference/make_image_fixtures.py`.
enum ImageFixtures {
    static func url(_ name: String) -> URL { Fixtures.url("images/\(name)") }

    static let expected: Expected = Fixtures.decodeJSON("images/expected.json")

    struct Expected: Decodable {
        let pillow: String
        let images: [Image]
        let errors: [Failure]
        let rawConversions: [RawConversion]

        enum CodingKeys: String, CodingKey {
            case pillow, images, errors
            case rawConversions = "raw_conversions"
        }
    }

    struct Image: Decodable, CustomTestStringConvertible {
        let file: String
        let format: String
        let width: Int
        let height: Int
        let rgbSHA256: String
        let resize: [Resize]
        let siglip: [Siglip]

        var testDescription: String { file }

        enum CodingKeys: String, CodingKey {
            case file, format, width, height, resize, siglip
            case rgbSHA256 = "rgb_sha256"
        }
    }

    struct Resize: Decodable {
        let width: Int
        let height: Int
        let sha256: String
    }

    struct Siglip: Decodable {
        let configuration: Options
        let shape: [Int]
        let sha256: String
        let samples: [Sample]

        struct Options: Decodable {
            let size: [String: Int]
            let imageMean: [Double]?
            let imageStd: [Double]?
            let rescaleFactor: Double?

            enum CodingKeys: String, CodingKey {
                case size
                case imageMean = "image_mean"
                case imageStd = "image_std"
                case rescaleFactor = "rescale_factor"
            }
        }

        struct Sample: Decodable {
            let channel: Int
            let y: Int
            let x: Int
            let value: Double
        }
    }

    struct Failure: Decodable, CustomTestStringConvertible {
        let file: String
        let kind: String
        let pillowError: String

        var testDescription: String { file }

        enum CodingKeys: String, CodingKey {
            case file, kind
            case pillowError = "pillow_error"
        }
    }

    struct RawConversion: Decodable, CustomTestStringConvertible {
        let mode: String
        let width: Int
        let height: Int
        let input: String
        let rgb: String

        var testDescription: String { mode }
    }

    /// Bytes from a hex string.
    static func bytes(hex: String) -> [UInt8] {
        var result = [UInt8]()
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            result.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return result
    }
}
