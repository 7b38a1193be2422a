import LoomCore

/// The arithmetic of encoding one view, for relating a measured time to the machine's product rate.
public struct VisionWorkload: Sendable, Equatable {
    /// FLOPs of one view: patch embedding, the tower's layers (products and attention), the projector.
    public let flopsPerView: Double
    /// The tower's largest product, `[rows, inner] × [inner, outer]`.
    public let largestProduct: (rows: Int, inner: Int, outer: Int)
    /// The precision the tower computes in.
    public let computeDType: DType
    /// Encoder layers the tower runs per view.
    public let layers: Int

    public static func == (a: VisionWorkload, b: VisionWorkload) -> Bool {
        a.flopsPerView == b.flopsPerView && a.largestProduct == b.largestProduct && a.computeDType == b.computeDType
            && a.layers == b.layers
    }
}

extension LlavaModel {
    /// What encoding one view costs.
    public var visionWorkload: VisionWorkload {
        let v = configuration.visionConfig
        let p = Double(v.patchCount), h = Double(v.hiddenSize), ff = Double(v.intermediateSize)
        let patch = 2 * p * Double(v.numChannels * v.patchSize * v.patchSize) * h
        let layer = 2 * p * (4 * h * h + 2 * h * ff) + 4 * p * p * h
        let tokens = Double(configuration.imageTokenCount)
        let width = Double(visionTower.featureWidth), text = Double(decoder.hiddenSize)
        let projector = 2 * tokens * (width * text + text * text)
        return VisionWorkload(flopsPerView: patch + Double(visionTower.layerCount) * layer + projector,
                              largestProduct: (v.patchCount, v.hiddenSize, v.intermediateSize),
                              computeDType: visionTower.computeDType, layers: visionTower.layerCount)
    }
}

extension LlavaNextModel {
    /// What encoding one view costs.
    public var visionWorkload: VisionWorkload { llava.visionWorkload }
}
