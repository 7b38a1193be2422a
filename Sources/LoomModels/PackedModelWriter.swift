import Foundation
import LoomCheckpoint
import LoomCore

/// Writes a model directory's bf16-packed copy (`loom quantize --weights bf16`): the model is loaded once in bf16,
/// every matrix it packs is recorded under the names it asked for, and those packed matrices are written with the
/// directory's other tensors and files, so that loading the copy maps them instead of packing them again.
public enum PackedModelWriter {
    /// Writes the packed copy of the model in `source` to `destination` (created when missing).
    public static func write(from source: URL, to destination: URL) throws {
        let checkpoint = try Checkpoint(directory: source)
        try checkpoint.checkConvertible(into: destination)
        checkpoint.compute = ComputeOptions(dtype: .bf16, weights: .bf16)
        var packed: [PackedCheckpointWriter.Packed] = []
        checkpoint.onPack = { packed.append(.init(names: $0, matrix: $1)) }
        let loaded = try ModelRegistry.load(directory: source, checkpoint: checkpoint)
        guard !packed.isEmpty else {
            throw ModelError.invalidInput("no matrix was packed: bf16 products need oneDNN (libdnnl) and AVX-512 BF16 on this machine")
        }
        try PackedCheckpointWriter.write(checkpoint, packed: packed, to: destination)
        withExtendedLifetime(loaded) {}
    }
}
