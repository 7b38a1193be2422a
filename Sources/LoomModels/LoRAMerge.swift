import Foundation
import LoomCheckpoint
import LoomCore

extension LoRAAdapter {
    /// The llava-hf hub name of the weight `target` adapts, e.g. `language_model.model.layers.3.self_attn.q_proj.weight`.
    public static func hubWeightName(_ target: LoRATarget) -> String {
        "language_model.model.\(target.modulePath).weight"
    }

    /// The hub tensor `name` (`tensor`) with this adapter merged in (train.md §6): `W + scale · B · A` in f32 for a
    /// weight a pair adapts, the saved module's values for a tensor the adapter saves, otherwise `tensor` as it is.
    /// The dtype stays; a shape that does not fit is an error naming the tensor.
    public func merging(_ tensor: HubTensor, named name: String) throws -> HubTensor {
        if let saved = savedModules[name] {
            guard saved.shape == tensor.shape else {
                throw ModelError.invalidInput("adapter's saved '\(name)' has shape \(saved.shape) but the model's is \(tensor.shape)")
            }
            return HubTensor(shape: tensor.shape, values: saved.data, dtype: tensor.dtype)
        }
        let prefix = "language_model.model.", suffix = ".weight"
        guard name.hasPrefix(prefix), name.hasSuffix(suffix),
              let target = LoRATarget(modulePath: String(name.dropFirst(prefix.count).dropLast(suffix.count))),
              let pair = pairs[target] else { return tensor }
        guard tensor.shape == [pair.outFeatures, pair.inFeatures] else {
            throw ModelError.invalidInput("adapter pair for \(target) is \(pair.outFeatures) × \(pair.inFeatures) but '\(name)' has shape \(tensor.shape)")
        }
        var merged = tensor
        let delta = pair.delta(scale: configuration.scale)
        merged.values.withUnsafeMutableBufferPointer { w in
            for i in w.indices { w[i] += delta[i] }
        }
        return merged
    }
}

/// Merging a LoRA adapter into the model it was trained on, written as a full llava-hf checkpoint.
public enum LoRAMerge {
    /// What a merge wrote.
    public struct Summary: Sendable, Equatable {
        /// LoRA pairs merged into decoder weights.
        public let pairs: Int
        /// Tensors replaced by the adapter's saved modules.
        public let savedTensors: Int
        /// Tensors in the written checkpoint.
        public let tensors: Int
    }

    /// Merges the adapter in `adapter` into the LLaVA model in `model` and writes the full checkpoint to `destination`
    /// (``HubCheckpointWriter``): each adapted weight becomes `W + scale · B · A` computed in f32 and cast back to its
    /// stored dtype, saved modules (the projector) replace theirs, everything else is copied. Tensors are read, merged
    /// and converted one at a time, so memory stays near one copy of the checkpoint in its dtype. An adapter that does
    /// not fit the model is an error naming the tensor, before anything is written.
    public static func merge(model: URL, adapter: URL, to destination: URL) throws -> Summary {
        let lora = try LoRAAdapter.load(from: adapter)
        let reader = try HubTensorReader(directory: model)
        try lora.validate(against: reader.configuration.textConfig)
        let available = Set(reader.names)
        for target in lora.pairs.keys.sorted() where !available.contains(LoRAAdapter.hubWeightName(target)) {
            throw ModelError.invalidInput("adapter adapts '\(LoRAAdapter.hubWeightName(target))', which the model does not have")
        }
        if let missing = lora.savedModules.keys.sorted().first(where: { !available.contains($0) }) {
            throw ModelError.invalidInput("adapter saves '\(missing)', which the model does not have")
        }
        let weights = try reader.names.map { name in
            let merged = try lora.merging(try reader.tensor(name), named: name)
            return Weight(name: name, shape: merged.shape, values: merged.values, dtype: merged.dtype)
        }
        try HubCheckpointWriter.write(weights: weights, copyingFrom: model, to: destination)
        return Summary(pairs: lora.pairs.count, savedTensors: lora.savedModules.count, tensors: weights.count)
    }
}
