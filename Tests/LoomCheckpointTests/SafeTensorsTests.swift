import Foundation
import Testing
import LoomCore
@testable import LoomCheckpoint

/// A fresh temporary directory.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Writes a raw safetensors file from a header object and data bytes.
func writeRaw(header: [String: Any], data: [UInt8], to url: URL, lengthOverride: UInt64? = nil) throws {
    let json = try JSONSerialization.data(withJSONObject: header)
    var out = Data()
    withUnsafeBytes(of: (lengthOverride ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
    out.append(json)
    out.append(contentsOf: data)
    try out.write(to: url)
}

@Suite struct SafeTensorsTests {
    @Test func roundTripsEveryDType() throws {
        let dir = try temporaryDirectory()
        let values: [Float] = [1, -2, 0.5, 3.25, 0, 7]
        let weights = DType.allCases.map { Weight(name: "w.\($0.rawValue)", shape: [2, 3], values: values, dtype: $0) }
        try SafeTensorsWriter.write(weights, to: dir.appendingPathComponent("model.safetensors"), metadata: ["format": "pt"])
        let checkpoint = try Checkpoint(directory: dir)
        for dtype in DType.allCases {
            let w = try checkpoint.weight("w.\(dtype.rawValue)", shape: [2, 3])
            #expect(w.dtype == dtype)
            #expect(w.floats() == values)
        }
        #expect(Set(checkpoint.names) == Set(weights.map(\.name)))
    }

    @Test func refusesTruncatedFileNamingTheTensor() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("model.safetensors")
        try SafeTensorsWriter.write([Weight(name: "a", shape: [4], values: [1, 2, 3, 4]),
                                     Weight(name: "b", shape: [64], values: .init(repeating: 1, count: 64))], to: url)
        let data = try Data(contentsOf: url)
        try data.prefix(data.count - 10).write(to: url)
        #expect(throws: CheckpointError.self) { try SafeTensorsFile(path: url.path) }
        do {
            _ = try SafeTensorsFile(path: url.path)
        } catch let error as CheckpointError {
            guard case .truncated(_, let tensor, _, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(tensor == "b")
            #expect(error.description.contains("'b'"))
        }
    }

    @Test func refusesBadHeaders() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("x.safetensors")
        try Data([1, 2, 3]).write(to: url)
        #expect(throws: CheckpointError.invalidHeader(file: "x.safetensors", reason: "file is 3 bytes, shorter than the 8-byte length prefix")) {
            try SafeTensorsFile(path: url.path)
        }
        try writeRaw(header: ["a": ["dtype": "F32", "shape": [1], "data_offsets": [0, 4]]], data: [0, 0, 0, 0], to: url, lengthOverride: 1 << 40)
        #expect(throws: CheckpointError.self) { try SafeTensorsFile(path: url.path) }
        try Data([8, 0, 0, 0, 0, 0, 0, 0] + Array("not json".utf8)).write(to: url)
        #expect(throws: CheckpointError.invalidHeader(file: "x.safetensors", reason: "header is not a JSON object")) {
            try SafeTensorsFile(path: url.path)
        }
    }

    @Test func refusesInconsistentEntries() throws {
        let dir = try temporaryDirectory()
        let url = dir.appendingPathComponent("x.safetensors")
        try writeRaw(header: ["q": ["dtype": "Q4", "shape": [1], "data_offsets": [0, 8]]], data: .init(repeating: 0, count: 8), to: url)
        #expect(throws: CheckpointError.unsupportedDType(file: "x.safetensors", tensor: "q", dtype: "Q4")) {
            try SafeTensorsFile(path: url.path)
        }
        try writeRaw(header: ["ids": ["dtype": "I64", "shape": [1], "data_offsets": [0, 8]]], data: .init(repeating: 0, count: 8), to: url)
        let file = try SafeTensorsFile(path: url.path)
        #expect(file.entries["ids"]?.dtypeName == "I64")
        #expect(throws: CheckpointError.unsupportedDType(file: "x.safetensors", tensor: "ids", dtype: "I64")) { try file.weight("ids") }
        try writeRaw(header: ["q": ["dtype": "F32", "shape": [3], "data_offsets": [0, 8]]], data: .init(repeating: 0, count: 8), to: url)
        #expect(throws: CheckpointError.self) { try SafeTensorsFile(path: url.path) }
        do { _ = try SafeTensorsFile(path: url.path) } catch {
            #expect("\(error)".contains("'q'"))
            #expect("\(error)".contains("needs 12 bytes"))
        }
    }

    @Test func readsShardedCheckpoints() throws {
        let dir = try temporaryDirectory()
        try SafeTensorsWriter.write([Weight(name: "a", shape: [2], values: [1, 2])], to: dir.appendingPathComponent("model-00001-of-00002.safetensors"))
        try SafeTensorsWriter.write([Weight(name: "b", shape: [1], values: [3])], to: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        let index = ["metadata": ["total_size": 12], "weight_map": ["a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"]]
        try JSONSerialization.data(withJSONObject: index).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        let checkpoint = try Checkpoint(directory: dir)
        #expect(try checkpoint.weight("a").floats() == [1, 2])
        #expect(try checkpoint.weight("b").floats() == [3])
        #expect(throws: CheckpointError.missingTensor("c")) { try checkpoint.weight("c") }
        #expect(throws: CheckpointError.shapeMismatch(tensor: "a", expected: [3], actual: [2])) { try checkpoint.weight("a", shape: [3]) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        #expect(throws: CheckpointError.self) { try Checkpoint(directory: dir) }
    }

    @Test func missingWeightsNameTheFile() throws {
        let dir = try temporaryDirectory()
        #expect(throws: CheckpointError.missingFile(dir.appendingPathComponent("model.safetensors").path)) { try Checkpoint(directory: dir) }
    }
}
