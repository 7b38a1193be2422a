/// Tensor names in the llava-hf hub layout (`reference.md` §2.3), which training uses for every model tensor and
/// writes full checkpoints in.
enum HubNames {
    static let decoder = "language_model.model."
    static let lmHead = "language_model.lm_head.weight"
    static let vision = "vision_tower.vision_model."
    static let projector1 = "multi_modal_projector.linear_1"
    static let projector2 = "multi_modal_projector.linear_2"

    /// The trainable part a hub tensor belongs to.
    static func part(of hub: String) -> TrainablePart? {
        if hub.hasPrefix("multi_modal_projector.") { return .projector }
        if hub.hasPrefix("language_model.") { return .languageModel }
        if hub.hasPrefix("vision_tower.") { return .visionTower }
        return nil
    }
}

/// LoRA matrices among the training tensors (named by PEFT's saved keys, ``LoRAAdapter/key(_:_:)``).
enum LoRANames {
    /// Whether `name` is a LoRA matrix.
    static func isLoRA(_ name: String) -> Bool { name.hasSuffix(".lora_A.weight") || name.hasSuffix(".lora_B.weight") }
}
