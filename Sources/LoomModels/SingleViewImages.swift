import Foundation
import LoomCheckpoint
import LoomCore
import LoomMedia

/// One view per image (llava, llava_qwen): the image fitted to the tower's square (squashed, or padded to a square
/// with the mean colour first for `image_aspect_ratio: pad`), SigLIP-preprocessed, encoded and projected.
public struct SingleViewImages: ImageEncoding, @unchecked Sendable {
    /// Resizes and normalises the view.
    public let processor: SiglipImageProcessor
    let model: LlavaModel

    /// The model's images with `processor`, which must resize to the tower's input size.
    init(model: LlavaModel, processor: SiglipImageProcessor) {
        self.model = model
        self.processor = processor
    }

    /// `preprocessor_config.json` of `directory`, or SigLIP's defaults at the tower's image size when absent.
    public static func processorConfiguration(directory: URL?, vision: SiglipVisionConfiguration) throws -> ImageProcessorConfiguration {
        let name = "preprocessor_config.json"
        var configuration: ImageProcessorConfiguration
        if let directory, FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) {
            configuration = try ConfigFile.read(ImageProcessorConfiguration.self, named: name, in: directory)
        } else {
            configuration = ImageProcessorConfiguration()
            configuration.size = .init(height: vision.imageSize, width: vision.imageSize)
        }
        try configuration.validate()
        guard configuration.size.height == vision.imageSize, configuration.size.width == vision.imageSize else {
            throw ModelError.invalidConfiguration("\(name) resizes to \(configuration.size.width)×\(configuration.size.height) "
                + "but the vision tower takes \(vision.imageSize)×\(vision.imageSize)")
        }
        return configuration
    }

    public var imageTokenID: Int { model.configuration.imageTokenIndex }

    public func positions(width: Int, height: Int) -> Int { model.configuration.imageTokenCount }

    public var settings: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let configuration = (try? encoder.encode(processor.configuration)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return model.preprocessing.rawValue + configuration
    }

    public func pixels(of image: RGBImage) -> Tensor { processor.preprocess(fitted(image)) }

    public func startEncoding(_ image: RGBImage) throws -> any ImageEncodingJob {
        let view = pixels(of: image)
        return try LlavaModel.Encoding(model: model, pixels: view.reshaped([1] + view.shape))
    }

    /// The image as the preprocessing wants it before resizing (padded to a square for `image_aspect_ratio: pad`).
    func fitted(_ image: RGBImage) -> RGBImage {
        guard model.preprocessing == .padToSquare else { return image }
        let mean = processor.configuration.imageMean.map { UInt8(max(0, min(255, Int($0 * 255)))) }
        return image.paddedToSquare(fill: (mean[0], mean[1], mean[2]))
    }
}

extension LlavaModel: VisionLanguageModel {
    public var usesOriginalTemplate: Bool { configuration.modelType == LlavaQwenConfiguration.modelType }

    public var towerImageSize: Int { configuration.visionConfig.imageSize }

    public func imageEncoder(directory: URL?, anyResPinpoints: [[Int]]?) throws -> any ImageEncoding {
        let views = try SingleViewImages.processorConfiguration(directory: directory, vision: configuration.visionConfig)
        if let anyResPinpoints { return try MultiPatchImages(model: self, pinpoints: anyResPinpoints, views: views) }
        return SingleViewImages(model: self, processor: SiglipImageProcessor(configuration: views))
    }
}

extension LlavaNextModel: VisionLanguageModel {
    public var usesOriginalTemplate: Bool { false }

    public var towerImageSize: Int { configuration.llava.visionConfig.imageSize }

    public func imageEncoder(directory: URL?, anyResPinpoints: [[Int]]?) throws -> any ImageEncoding {
        if anyResPinpoints != nil {
            throw ModelError.invalidConfiguration("llava_next checkpoints tile images by their own image_grid_pinpoints")
        }
        return try MultiPatchImages(directory: directory, model: self)
    }
}
