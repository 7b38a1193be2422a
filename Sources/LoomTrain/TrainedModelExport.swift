import Foundation
import LoomCore
import LoomModels

/// What a run leaves for users: a PEFT adapter when LoRA is on (the projector as `modules_to_save` when it was
/// trained too), otherwise a full llava-hf checkpoint with the trained tensors in the source's dtypes (and the source's
/// unused tensors as they were).
public enum TrainedModelExport {
    /// Writes `model` (trained with `options`) into `directory`; returns a description of what was written.
    @discardableResult
    public static func write(_ model: LlavaTrainingModel, options: TrainingOptions, to directory: URL) throws -> String {
        if options.loraRank > 0 {
            let adapter = self.adapter(model, options: options)
            try adapter.save(to: directory)
            return "a PEFT adapter (\(adapter.pairs.count) LoRA pairs\(adapter.savedModules.isEmpty ? "" : " and the projector")) to \(directory.path)"
        }
        var tensors: [String: HubTensor] = [:]
        for parameter in model.parameters {
            tensors[parameter.name] = HubTensor(shape: parameter.shape, values: parameter.floats, dtype: model.storedDTypes[parameter.name] ?? .f32)
        }
        // Tensors of the source the llava forward pass never reads (SigLIP's post_layernorm, a head) go out unchanged,
        // so that transformers finds every tensor it expects.
        let source = try HubTensorReader(directory: model.directory)
        for name in source.names where tensors[name] == nil { tensors[name] = try source.tensor(name) }
        try HubCheckpointWriter.write(tensors: tensors, copyingFrom: model.directory, to: directory)
        return "a llava-hf checkpoint (\(tensors.count) tensors) to \(directory.path)"
    }

    /// The model's LoRA pairs (and its projector when trained) as a PEFT adapter.
    public static func adapter(_ model: LlavaTrainingModel, options: TrainingOptions) -> LoRAAdapter {
        let projector = model.parameters.filter { $0.isTrainable && HubNames.part(of: $0.name) == .projector }
        let configuration = LoRAConfiguration(r: options.loraRank, loraAlpha: options.loraAlpha, loraDropout: options.loraDropout,
                                              targetModules: [LoRAConfiguration.languageModelRegex(options.loraTargets)],
                                              targetModulesIsRegex: true, modulesToSave: projector.isEmpty ? nil : ["multi_modal_projector"],
                                              useRslora: options.useRslora, baseModelNameOrPath: options.model)
        var saved: [String: Tensor] = [:]
        for parameter in projector { saved[parameter.name] = Tensor(shape: parameter.shape, data: parameter.values) }
        return LoRAAdapter(configuration: configuration, pairs: model.loraPairs, savedModules: saved)
    }
}
