import Foundation
import LoomData
import Testing

/// The streaming reader: record boundaries in arrays and JSON Lines, across read buffers, and broken structure.
@Suite struct RecordStreamTests {
    static func records(_ text: String) throws -> [String] {
        try records(Array(text.utf8))
    }

    static func records(_ bytes: [UInt8]) throws -> [String] {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("loom-stream-\(UUID().uuidString).json")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let stream = try RecordStream(path: url.path)
        var out: [String] = []
        while let raw = try stream.next() { out.append(String(decoding: raw.bytes, as: UTF8.self)) }
        return out
    }

    @Test func arrayRecords() throws {
        #expect(try Self.records(#" [ {"a": "]}[{,\""}, [1, {"b": 2}] , 3,"x,]", null ]  "#)
                == [#"{"a": "]}[{,\""}"#, #"[1, {"b": 2}]"#, "3", #""x,]""#, "null"])
        #expect(try Self.records("[]").isEmpty)
        #expect(try Self.records([0xEF, 0xBB, 0xBF] + Array("[{}]".utf8)) == ["{}"])
    }

    @Test func jsonLines() throws {
        #expect(try Self.records("{\"a\": 1}\n\n  \n{\"b\": [2]}\n{\"c\": 3}") == ["{\"a\": 1}", "{\"b\": [2]}", "{\"c\": 3}"])
    }

    @Test func recordsAcrossReadBuffers() throws {
        let record = #"{"conversations": [{"from": "human", "value": "\#(String(repeating: "x", count: 5000))"}]}"#
        let text = "[" + Array(repeating: record, count: 700).joined(separator: ",\n") + "]"
        let records = try Self.records(text)
        #expect(records.count == 700)
        #expect(records.allSatisfy { $0 == record })
    }

    @Test(arguments: [
        ("[{\"a\": 1}, {\"b\": ", "the file ends inside record 1 (truncated JSON)"),
        ("[{\"a\": 1}", "the file ends before the array's closing ']' (truncated JSON)"),
        ("[{\"a\": 1},]", "a ',' after the last record (trailing comma)"),
        ("[{\"a\": 1} {\"b\": 2}]", "expected ',' or ']' after record 0"),
        ("[{\"a\": [1}]", "mismatched '}' (opened with '[')"),
        ("[{\"a\": 1}] x", "unexpected data after the array's closing ']'"),
    ])
    func brokenStructure(_ text: String, _ reason: String) throws {
        do {
            _ = try Self.records(text)
            Issue.record("no error for \(text)")
        } catch let error as DataFileError {
            #expect(error.reason.hasPrefix(reason), "\(error.reason)")
        }
    }
}
