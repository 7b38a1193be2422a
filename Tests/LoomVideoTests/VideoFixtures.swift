import Foundation
import LoomTestSupport
import Testing

/// `Tests/Fixtures/video/`: `expected.json` and `sampling.json`, written by `tools/reference/make_video_fixtures.py`.
enum VideoFixtures {
    static func path(_ name: String) -> String { Fixtures.url("video/\(name)").path }

    static let expected: Expected = Fixtures.decodeJSON("video/expected.json", keyDecodingStrategy: .convertFromSnakeCase)
    static let sampling: SamplingTable = Fixtures.decodeJSON("video/sampling.json", keyDecodingStrategy: .convertFromSnakeCase)

    struct Expected: Decodable {
        let sampleCount: Int
        let fpsRate: Double
        let videos: [Video]
        let errors: [String: String]
    }

    /// What PyAV reported for one video.
    struct Video: Decodable, CustomTestStringConvertible {
        let file: String
        let codec: String
        let width: Int
        let height: Int
        let rotation: Int
        let frameCount: Int
        let containerFrames: Int
        let averageFps: Double
        let duration: Double
        let timestamps: [Double]
        let uniform8: [Int]
        let interval8: [Int]
        let fps2max8: [Int]
        let frames: String

        var testDescription: String { file }

        /// The expected RGB bytes of each `uniform8` frame.
        func expectedFrames() throws -> [[UInt8]] {
            let bytes = [UInt8](try Data(contentsOf: Fixtures.url("video/\(frames)")))
            let size = width * height * 3
            #expect(bytes.count == size * uniform8.count)
            return (0..<uniform8.count).map { Array(bytes[($0 * size)..<(($0 + 1) * size)]) }
        }
    }

    /// numpy's index lists: `uniform[n][total - 1]`, `interval[n][total - 1]`.
    struct SamplingTable: Decodable {
        let totals: [Int]
        let counts: [Int]
        let uniform: [String: [[Int]]]
        let interval: [String: [[Int]]]
    }
}

/// Largest absolute difference of two equally long byte arrays.
func maxByteDifference(_ a: [UInt8], _ b: [UInt8]) -> Int {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) bytes")
    return zip(a, b).reduce(0) { max($0, abs(Int($1.0) - Int($1.1))) }
}
