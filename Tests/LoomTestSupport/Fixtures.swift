import Foundation
import LoomCheckpoint
import LoomCore

/// Paths and readers for the reference fixtures under `Tests/Fixtures` (made by `tools/reference`).
public enum Fixtures {
    /// The repository root.
    public static let repositoryRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        while url.path != "/" {
            url.deleteLastPathComponent()
            if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) { return url }
        }
        fatalError("Package.swift not found above \(#filePath)")
    }()

    /// `Tests/Fixtures/<relative>`.
    public static func url(_ relative: String) -> URL {
        repositoryRoot.appendingPathComponent("Tests/Fixtures").appendingPathComponent(relative)
    }

    /// `Tests/Fixtures/<relative>` decoded as `T`; stops the run with the path and the reason when it cannot.
    public static func decodeJSON<T: Decodable>(
        _ relative: String, keyDecodingStrategy: JSONDecoder.KeyDecodingStrategy = .useDefaultKeys
    ) -> T {
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = keyDecodingStrategy
            return try decoder.decode(T.self, from: Data(contentsOf: url(relative)))
        } catch {
            fatalError("cannot read \(url(relative).path): \(error)")
        }
    }

    /// A fixture's `reference.json` as a dictionary.
    public static func referenceJSON(_ directory: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent("reference.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    /// A tensor of a fixture's `reference.safetensors`.
    public static func referenceTensor(_ directory: URL, _ name: String) throws -> Tensor {
        let file = try SafeTensorsFile(path: directory.appendingPathComponent("reference.safetensors").path)
        guard let weight = try file.weight(name) else { throw CheckpointError.missingTensor(name) }
        return weight.tensor()
    }

    /// Integer list stored under `key` of a JSON object.
    public static func ints(_ object: [String: Any], _ key: String) -> [Int] {
        (object[key] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.intValue }
    }

    /// The case named `name` in the `cases` list of `directory`'s `reference.json`; nil when there is none.
    public static func referenceCase(_ name: String, in directory: URL) throws -> [String: Any]? {
        let cases = try referenceJSON(directory)["cases"] as! [[String: Any]]
        return cases.first { $0["name"] as? String == name }
    }

    /// A reference's greedy ids as Loom returns them: without a final end-of-sequence id, which stops generation
    /// and is not part of the result.
    public static func greedyIDs<EOS: Sequence>(_ ids: [Int], droppingFinal eosTokenIDs: EOS) -> [Int]
        where EOS.Element == Int {
        guard let last = ids.last, eosTokenIDs.contains(last) else { return ids }
        return Array(ids.dropLast())
    }

    /// A temporary directory holding copies of `directory`'s files (for tests that break a file).
    public static func copy(_ directory: URL) throws -> URL {
        let target = FileManager.default.temporaryDirectory.appendingPathComponent("loom-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: directory, to: target)
        return target
    }
}

/// Largest absolute element-wise difference of two equally sized arrays.
public func maxAbsDifference<A: Collection, B: Collection>(_ a: A, _ b: B) -> Float where A.Element == Float, B.Element == Float {
    precondition(a.count == b.count, "maxAbsDifference: \(a.count) vs \(b.count) elements")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
