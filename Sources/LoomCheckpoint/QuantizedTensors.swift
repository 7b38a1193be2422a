import Foundation
import LoomCore

/// How `loom quantize` stores a group-quantised matrix `W` (`[rows, columns]`) in safetensors:
///
/// - `W.q`: the values — `I8` `[rows, paddedColumns]` for int8, `U8` `[rows, paddedColumns / 2]` for int4
///   (see ``QuantizedMatrix`` for the nibble order); `paddedColumns` is `columns` rounded up to 32.
/// - `W.scales`: `F16` `[rows, paddedColumns / 32]`, one scale per group (`w ≈ q · scale`).
/// - `__metadata__`: `loom.quantization` = `int8` | `int4`, `loom.group_size` = `32`, and `loom.shapes`, a JSON
///   object of every quantised matrix's original `[rows, columns]`.
///
/// Every other tensor is stored as it was.
public enum QuantizedTensorNames {
    public static let values = ".q"
    public static let scales = ".scales"
    public static let formatKey = "loom.quantization"
    public static let groupSizeKey = "loom.group_size"
    public static let shapesKey = "loom.shapes"
}

extension Checkpoint {
    /// The quantised matrix stored as `name.q` + `name.scales`, or nil when there is none.
    func quantizedWeight(_ name: String) throws -> Weight? {
        guard let i = location[name + QuantizedTensorNames.values] else { return nil }
        let file = files[i]
        let fileName = file.fileName
        func invalid(_ reason: String) -> CheckpointError {
            .inconsistentTensor(file: fileName, tensor: name + QuantizedTensorNames.values, reason: reason)
        }
        guard let format = file.metadata[QuantizedTensorNames.formatKey],
              let bits = format == "int8" ? QuantizedMatrix.Bits.int8 : format == "int4" ? .int4 : nil else {
            throw invalid("metadata \(QuantizedTensorNames.formatKey) must be int8 or int4")
        }
        guard file.metadata[QuantizedTensorNames.groupSizeKey] == String(QuantizedMatrix.groupSize) else {
            throw invalid("metadata \(QuantizedTensorNames.groupSizeKey) must be \(QuantizedMatrix.groupSize)")
        }
        guard let shapesText = file.metadata[QuantizedTensorNames.shapesKey],
              let shapes = try? JSONSerialization.jsonObject(with: Data(shapesText.utf8)) as? [String: [Int]],
              let shape = shapes[name], shape.count == 2 else {
            throw invalid("metadata \(QuantizedTensorNames.shapesKey) has no [rows, columns] for \(name)")
        }
        guard let values = file.rawTensor(name + QuantizedTensorNames.values),
              let scaleFile = location[name + QuantizedTensorNames.scales].map({ files[$0] }),
              let scales = scaleFile.rawTensor(name + QuantizedTensorNames.scales) else {
            throw CheckpointError.missingTensor(name + QuantizedTensorNames.scales)
        }
        let rows = shape[0], padded = QuantizedMatrix.padded(shape[1])
        let valueColumns = bits == .int8 ? padded : padded / 2
        guard values.entry.dtypeName == (bits == .int8 ? "I8" : "U8"), values.entry.shape == [rows, valueColumns] else {
            throw invalid("expected \(bits == .int8 ? "I8" : "U8") [\(rows), \(valueColumns)], found \(values.entry.dtypeName) \(values.entry.shape)")
        }
        guard scales.entry.dtypeName == "F16", scales.entry.shape == [rows, padded / QuantizedMatrix.groupSize] else {
            throw CheckpointError.inconsistentTensor(file: fileName, tensor: name + QuantizedTensorNames.scales,
                reason: "expected F16 [\(rows), \(padded / QuantizedMatrix.groupSize)], found \(scales.entry.dtypeName) \(scales.entry.shape)")
        }
        let matrix = QuantizedMatrix(bits: bits, rows: rows, columns: shape[1], values: values.bytes.baseAddress!,
                                     scales: scales.bytes.baseAddress!.assumingMemoryBound(to: UInt16.self),
                                     owner: KeepAlive([values.owner, scales.owner]))
        return Weight(name: name, shape: shape, packed: .quantized(matrix, computeDType: .f32))
    }
}

/// Holds the mappings a quantised matrix views.
private final class KeepAlive {
    let owners: [AnyObject]
    init(_ owners: [AnyObject]) { self.owners = owners }
}

/// Writes a group-quantised copy of a model directory (`loom quantize`).
public enum QuantizedCheckpointWriter {
    /// Quantises every product matrix of the checkpoint in `source` (2-D, not a position table) to `bits`, keeps
    /// every other tensor as stored, and writes `model.safetensors` plus the directory's other files (configs,
    /// tokenizer; not the shard index) to `destination`.
    public static func write(from source: URL, to destination: URL, bits: QuantizedMatrix.Bits) throws {
        let checkpoint = try Checkpoint(directory: source)
        let fm = FileManager.default
        try checkpoint.checkConvertible(into: destination)
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        var tensors: [SafeTensorsWriter.Tensor] = []
        var keep: [AnyObject] = []
        var shapes: [String: [Int]] = [:]
        for name in checkpoint.names.sorted() {
            guard let stored = checkpoint.storedTensor(name) else { throw CheckpointError.missingTensor(name) }
            guard DType(rawValue: stored.dtypeName) != nil else {
                tensors.append(stored)
                continue
            }
            let weight = try checkpoint.weight(name)
            let prepared = ComputeOptions(dtype: .f32, weights: bits == .int8 ? .int8 : .int4).prepare(weight)
            guard case .quantized(let matrix, _)? = prepared.packed else {
                tensors.append(stored)
                continue
            }
            keep.append(matrix)
            shapes[name] = weight.shape
            let groups = matrix.paddedColumns / QuantizedMatrix.groupSize
            let valueColumns = bits == .int8 ? matrix.paddedColumns : matrix.paddedColumns / 2
            tensors.append(.init(name: name + QuantizedTensorNames.values, dtypeName: bits == .int8 ? "I8" : "U8",
                                 shape: [matrix.rows, valueColumns],
                                 bytes: UnsafeRawBufferPointer(start: matrix.values, count: matrix.rows * valueColumns)))
            tensors.append(.init(name: name + QuantizedTensorNames.scales, dtypeName: "F16", shape: [matrix.rows, groups],
                                 bytes: UnsafeRawBufferPointer(start: matrix.scales, count: matrix.rows * groups * 2)))
        }
        let shapeJSON = try JSONSerialization.data(withJSONObject: shapes, options: [.sortedKeys])
        let metadata = ["format": "pt", QuantizedTensorNames.formatKey: bits == .int8 ? "int8" : "int4",
                        QuantizedTensorNames.groupSizeKey: String(QuantizedMatrix.groupSize),
                        QuantizedTensorNames.shapesKey: String(decoding: shapeJSON, as: UTF8.self)]
        try SafeTensorsWriter.write(tensors, to: destination.appendingPathComponent("model.safetensors"), metadata: metadata)
        withExtendedLifetime(keep) {}
        try checkpoint.copyCompanionFiles(to: destination)
    }
}
