import Foundation
import LoomCore

/// The weights of a model directory: `model.safetensors`, or shards listed by `model.safetensors.index.json`,
/// all memory-mapped. Tensor names can be rewritten on lookup (see ``withNameMapping(_:)``).
public final class Checkpoint: @unchecked Sendable {
    /// The model directory.
    public let directory: URL
    let files: [SafeTensorsFile]
    let location: [String: Int]
    /// Names of matrices stored packed for bf16, with the key of the packed tensor holding each.
    let packedMembers: [String: String]
    /// Applied to every matrix handed out by ``weight(_:shape:)`` (bf16 packing, quantisation); nil hands out
    /// the stored tensors as they are.
    public var compute: ComputeOptions?
    /// Called with the names and the result whenever ``stackedWeight(_:shapes:)`` packs stored matrices for bf16
    /// (what `loom quantize --weights bf16` records to write).
    public var onPack: ((_ names: [String], _ matrix: BlockedBF16Matrix) -> Void)?

    /// Opens the weights in `directory`.
    public init(directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        let index = directory.appendingPathComponent("model.safetensors.index.json")
        let single = directory.appendingPathComponent("model.safetensors")
        var files: [SafeTensorsFile] = []
        var location: [String: Int] = [:]
        if fm.fileExists(atPath: index.path) {
            let map = try Checkpoint.readIndex(index)
            let shardNames = Array(Set(map.values)).sorted()
            for (i, shard) in shardNames.enumerated() {
                let file = try SafeTensorsFile(path: directory.appendingPathComponent(shard).path)
                files.append(file)
                for name in file.entries.keys { location[name] = i }
            }
            for (name, shard) in map where location[name] == nil {
                throw CheckpointError.invalidIndex(file: "model.safetensors.index.json",
                                                   reason: "tensor '\(name)' is listed in \(shard) but that shard does not contain it")
            }
        } else if fm.fileExists(atPath: single.path) {
            let file = try SafeTensorsFile(path: single.path)
            files.append(file)
            for name in file.entries.keys { location[name] = 0 }
        } else {
            throw CheckpointError.missingFile(single.path)
        }
        self.files = files
        self.location = location
        packedMembers = PackedTensorNames.members(of: location.keys)
    }

    private static func readIndex(_ url: URL) throws -> [String: String] {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw CheckpointError.unreadableFile(url.path, reason: error.localizedDescription)
        }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let map = json["weight_map"] as? [String: String] else {
            throw CheckpointError.invalidIndex(file: url.lastPathComponent, reason: "no \"weight_map\" object of strings")
        }
        // Shards are plain file names in the model directory: never a path elsewhere on the machine.
        for shard in Set(map.values) where shard.isEmpty || shard.contains("/") || shard.contains("\\") || shard == "." || shard == ".." {
            throw CheckpointError.invalidIndex(file: url.lastPathComponent,
                                               reason: "shard '\(shard)' is not a plain file name in the model directory")
        }
        return map
    }

    /// Whether matrices are stored packed for bf16 (written by `loom quantize --weights bf16`).
    public var storesPackedBF16: Bool { !packedMembers.isEmpty }

    /// Whether matrices are stored group-quantised (written by `loom quantize --weights int8|int4`).
    public var storesQuantized: Bool { files.contains { $0.metadata[QuantizedTensorNames.formatKey] != nil } }

    /// The stored tensor `name` as it lies in its file, whatever its dtype (integers included), for copying.
    func storedTensor(_ name: String) -> SafeTensorsWriter.Tensor? {
        guard let i = location[name], let raw = files[i].rawTensor(name) else { return nil }
        return SafeTensorsWriter.Tensor(name: name, dtypeName: raw.entry.dtypeName, shape: raw.entry.shape, bytes: raw.bytes)
    }

    /// Every tensor name stored (and every matrix stored packed for bf16, by its own name).
    public var names: [String] { Array(location.keys) + packedMembers.keys }

    /// Whether a tensor named `name` is stored (as it is, quantised, or packed for bf16).
    public func contains(_ name: String) -> Bool {
        location[name] != nil || location[name + QuantizedTensorNames.values] != nil || packedMembers[name] != nil
    }

    /// The stored tensor `name` (a quantised matrix stored as `name.q` + `name.scales` included).
    public func weight(_ name: String) throws -> Weight {
        if location[name] == nil, let quantized = try quantizedWeight(name) { return quantized }
        guard let i = location[name], let w = try files[i].weight(name) else { throw CheckpointError.missingTensor(name) }
        return w
    }

    /// The stored tensor `name`, checked to have `shape`, prepared for the compute mode.
    public func weight(_ name: String, shape: [Int]) throws -> Weight {
        try stackedWeight([name], shapes: [shape])
    }

    /// The stored matrices `names` stacked by rows and prepared for the compute mode; the mapped pages of tensors
    /// that were copied or converted are released.
    public func stackedWeight(_ names: [String], shapes: [[Int]]) throws -> Weight {
        if let packed = try packedWeight(names, shapes: shapes) { return packed }
        let parts = try zip(names, shapes).map { try storedWeight($0, shape: $1) }
        let prepared = compute.map { $0.prepare(stacking: parts) } ?? (parts.count == 1 ? parts[0] : Weight.stacking(parts))
        if case .blockedBF16(let matrix)? = prepared.packed, parts.allSatisfy({ $0.packed == nil }) {
            onPack?(names, matrix)
        }
        if parts.count > 1 || prepared.packed != nil && parts[0].packed == nil {
            for part in parts {
                if case .quantized(let matrix, _)? = part.packed { matrix.storage.forEach(MappedFile.releasePages(of:)) }
                else { MappedFile.releasePages(of: part.bytes) }
            }
        }
        return prepared
    }

    private func storedWeight(_ name: String, shape: [Int]) throws -> Weight {
        let w = try weight(name)
        guard w.shape == shape else { throw CheckpointError.shapeMismatch(tensor: name, expected: shape, actual: w.shape) }
        return w
    }

    /// Throws unless this checkpoint can be converted into `destination`: its weights are neither packed nor
    /// quantised already, and `destination` is another directory (writing over mapped weights would corrupt what
    /// is being read).
    public func checkConvertible(into destination: URL) throws {
        guard !storesPackedBF16 && !storesQuantized else {
            throw CheckpointError.inconsistentTensor(file: directory.lastPathComponent, tensor: "*",
                                                     reason: "already packed or quantised; convert the original checkpoint")
        }
        let here = directory.standardizedFileURL.resolvingSymlinksInPath().path
        guard destination.standardizedFileURL.resolvingSymlinksInPath().path != here else {
            throw CheckpointError.unreadableFile(destination.path, reason: "cannot write a converted copy over its own source directory")
        }
    }

    /// Copies the directory's files other than the weights (configs, tokenizer, processor) into `destination`,
    /// replacing files of the same names.
    func copyCompanionFiles(to destination: URL) throws {
        let fm = FileManager.default
        for file in try fm.contentsOfDirectory(atPath: directory.path)
        where !file.hasSuffix(".safetensors") && file != "model.safetensors.index.json" {
            let target = destination.appendingPathComponent(file)
            if fm.fileExists(atPath: target.path) { try fm.removeItem(at: target) }
            try fm.copyItem(at: directory.appendingPathComponent(file), to: target)
        }
    }
}
