import Foundation

/// Reading JSON configuration files (`config.json`, `generation_config.json`, …) into `Codable` types.
public enum ConfigFile {
    /// Decodes `name` in `directory` as `T`; a missing or malformed file throws a ``CheckpointError`` naming it.
    public static func read<T: Decodable>(_ type: T.Type, named name: String, in directory: URL) throws -> T {
        let url = directory.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else { throw CheckpointError.missingFile(url.path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.unreadableFile(url.path, reason: error.localizedDescription)
        }
        return try decode(type, from: data, file: name)
    }

    /// Decodes `data` as `T`, describing a failure by the key path at fault.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, file: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw CheckpointError.invalidConfig(file: file, reason: describe(error))
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.invalidConfig(file: file, reason: "\(error)")
        }
    }

    /// Reads just the `model_type` of a config file.
    public static func modelType(in directory: URL, named name: String = "config.json") throws -> String {
        struct Probe: Decodable { let model_type: String? }
        guard let type = try read(Probe.self, named: name, in: directory).model_type else {
            throw CheckpointError.invalidConfig(file: name, reason: "no \"model_type\" field")
        }
        return type
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ keys: [CodingKey]) -> String { keys.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
        switch error {
        case .typeMismatch(let type, let context):
            return "field \(path(context.codingPath)) should be \(type)"
        case .valueNotFound(let type, let context):
            return "field \(path(context.codingPath)) is null, expected \(type)"
        case .keyNotFound(let key, let context):
            return "missing field \(path(context.codingPath + [key]))"
        case .dataCorrupted(let context):
            let at = path(context.codingPath)
            return at.isEmpty ? "not valid JSON (\(context.debugDescription))" : "field \(at): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
