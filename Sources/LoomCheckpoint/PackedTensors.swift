import Foundation
import LoomCore

/// How `loom quantize --weights bf16` stores matrices already in the bf16 compute layout (oneDNN `BA16a64b2a`,
/// see ``BlockedBF16Matrix``), so that loading maps them instead of packing them:
///
/// - `KEY.bf16_blocks`: `BF16` `[rows rounded up to 64, columns rounded up to 32]`, the packed elements, 64-byte
///   aligned in the file. `KEY` is the name of the weight the model computes with: the matrix's own, or for
///   matrices it multiplies together (q, k and v; gate and up) `Weight.stackedName` of the names
///   in the order it asks for them.
/// - `__metadata__`: `loom.packing` = `bf16-BA16a64b2a` and `loom.shapes`, a JSON object of every key's
///   `[rows, columns]`.
///
/// Every other tensor is stored as it was.
public enum PackedTensorNames {
    public static let blocks = ".bf16_blocks"
    public static let formatKey = "loom.packing"
    public static let format = "bf16-BA16a64b2a"
    public static let shapesKey = QuantizedTensorNames.shapesKey

    /// Every member name of the packed keys among `stored` tensor names, with the key that holds it.
    static func members(of stored: Dictionary<String, Int>.Keys) -> [String: String] {
        var members: [String: String] = [:]
        for name in stored where name.hasSuffix(blocks) {
            let key = String(name.dropLast(blocks.count))
            for member in key.split(separator: "+") { members[String(member)] = key }
        }
        return members
    }
}

extension Checkpoint {
    /// The matrices `names` when the checkpoint stores them packed under their key (nil when it does not), checked
    /// against `shapes` (stacked by rows).
    func packedWeight(_ names: [String], shapes: [[Int]]) throws -> Weight? {
        let key = Weight.stackedName(names)
        guard let i = location[key + PackedTensorNames.blocks] else {
            if let held = names.lazy.compactMap({ self.packedMembers[$0] }).first {
                throw CheckpointError.inconsistentTensor(file: files[location[held + PackedTensorNames.blocks]!].fileName,
                                                         tensor: names.joined(separator: ", "),
                                                         reason: "stored packed as part of '\(held)', not asked for as '\(key)'")
            }
            return nil
        }
        let file = files[i]
        func invalid(_ reason: String) -> CheckpointError {
            .inconsistentTensor(file: file.fileName, tensor: key + PackedTensorNames.blocks, reason: reason)
        }
        guard file.metadata[PackedTensorNames.formatKey] == PackedTensorNames.format else {
            throw invalid("metadata \(PackedTensorNames.formatKey) must be \(PackedTensorNames.format)")
        }
        guard let shapesText = file.metadata[PackedTensorNames.shapesKey],
              let stored = try? JSONSerialization.jsonObject(with: Data(shapesText.utf8)) as? [String: [Int]],
              let shape = stored[key], shape.count == 2 else {
            throw invalid("metadata \(PackedTensorNames.shapesKey) has no [rows, columns] for \(key)")
        }
        let expected = [shapes.reduce(0) { $0 + ($1.first ?? 0) }, shapes.last?.last ?? 0]
        guard shapes.allSatisfy({ $0.count == 2 && $0[1] == expected[1] }), shape == expected else {
            throw CheckpointError.shapeMismatch(tensor: key, expected: expected, actual: shape)
        }
        if compute?.dtype == .f32 || compute?.weights.map({ $0 != .bf16 }) == true {
            throw invalid("packed bf16 weights compute in bf16 only; load the original checkpoint for other modes")
        }
        guard let tensor = file.rawTensor(key + PackedTensorNames.blocks) else { throw CheckpointError.missingTensor(key) }
        let bytes = BlockedBF16Matrix.expectedByteCount(rows: shape[0], columns: shape[1])
        guard tensor.entry.dtypeName == "BF16", tensor.bytes.count == bytes else {
            throw invalid("expected BF16 holding \(bytes) bytes, found \(tensor.entry.dtypeName) holding \(tensor.bytes.count)")
        }
        guard let matrix = BlockedBF16Matrix(rows: shape[0], columns: shape[1], wrapping: tensor.bytes, owner: tensor.owner) else {
            throw invalid("this machine's oneDNN does not multiply bf16 weights in the BA16a64b2a layout; load the original checkpoint")
        }
        return Weight(name: key, shape: shape, packed: .blockedBF16(matrix))
    }
}

/// Writes a copy of a model directory whose product matrices are stored packed for bf16 (`loom quantize
/// --weights bf16`).
public enum PackedCheckpointWriter {
    /// One matrix (or stack of matrices) as the model packed it at load: the names it asked for, and the result.
    public struct Packed {
        public let names: [String]
        public let matrix: BlockedBF16Matrix

        public init(names: [String], matrix: BlockedBF16Matrix) {
            self.names = names
            self.matrix = matrix
        }
    }

    /// Writes `packed` (what loading a model from `checkpoint` packed) and every tensor of `checkpoint` that is not
    /// one of their members (as stored) to `destination/model.safetensors`, plus the directory's other files.
    public static func write(_ checkpoint: Checkpoint, packed: [Packed], to destination: URL) throws {
        try checkpoint.checkConvertible(into: destination)
        try FileManager.default.createDirectory(at: destination, withIntermediateDirectories: true)
        var tensors: [SafeTensorsWriter.Tensor] = []
        var shapes: [String: [Int]] = [:]
        let members = Set(packed.flatMap(\.names))
        for item in packed {
            let key = Weight.stackedName(item.names), matrix = item.matrix
            shapes[key] = [matrix.rows, matrix.columns]
            let storage = matrix.storage
            tensors.append(.init(name: key + PackedTensorNames.blocks, dtypeName: "BF16",
                                 shape: [storage.count / 2 / matrix.paddedColumns, matrix.paddedColumns], bytes: storage))
        }
        for name in checkpoint.names.sorted() where !members.contains(name) {
            guard let stored = checkpoint.storedTensor(name) else { throw CheckpointError.missingTensor(name) }
            tensors.append(stored)
        }
        let shapeJSON = try JSONSerialization.data(withJSONObject: shapes, options: [.sortedKeys])
        let metadata = ["format": "pt", PackedTensorNames.formatKey: PackedTensorNames.format,
                        PackedTensorNames.shapesKey: String(decoding: shapeJSON, as: UTF8.self)]
        try SafeTensorsWriter.write(tensors, to: destination.appendingPathComponent("model.safetensors"),
                                    metadata: metadata, alignment: 64)
        try checkpoint.copyCompanionFiles(to: destination)
    }
}
