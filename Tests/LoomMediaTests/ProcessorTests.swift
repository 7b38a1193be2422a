import Foundation
import LoomCore
import LoomTestSupport
import Testing
@testable import LoomMedia

@Suite("SiglipImageProcessor matches transformers' pixel_values")
struct ProcessorTests {
    @Test("pixel tensors are identical", arguments: ImageFixtures.expected.images)
    func matchesTransformers(_ expected: ImageFixtures.Image) throws {
        let image = try ImageDecoder.decode(contentsOf: ImageFixtures.url(expected.file))
        for reference in expected.siglip {
            let options = reference.configuration
            var configuration = ImageProcessorConfiguration(
                size: .init(height: options.size["height"]!, width: options.size["width"]!))
            if let mean = options.imageMean { configuration.imageMean = mean }
            if let std = options.imageStd { configuration.imageStd = std }
            if let factor = options.rescaleFactor { configuration.rescaleFactor = factor }
            let tensor = SiglipImageProcessor(configuration: configuration).preprocess(image)
            #expect(tensor.shape == reference.shape)
            #expect(SHA256.hex(tensor.data) == reference.sha256, "\(expected.file) \(options.size)")
            for sample in reference.samples {
                let index = (sample.channel * tensor.shape[1] + sample.y) * tensor.shape[2] + sample.x
                #expect(abs(Double(tensor.data[index]) - sample.value) <= 1e-6)
                #expect(tensor.data[index] == Float(sample.value))
            }
        }
    }

    @Test("transformers' preprocessor_config.json decodes")
    func decodesSavedConfiguration() throws {
        let data = try Data(contentsOf: ImageFixtures.url("preprocessor_config.json"))
        let configuration = try JSONDecoder().decode(ImageProcessorConfiguration.self, from: data)
        #expect(configuration.size == .init(height: 384, width: 384))
        #expect(configuration.resample == 3)
        #expect(configuration.rescaleFactor == 1.0 / 255.0)
        #expect(configuration.imageMean == [0.5, 0.5, 0.5] && configuration.imageStd == [0.5, 0.5, 0.5])
        #expect(configuration.imageProcessorType == "SiglipImageProcessor")
        #expect(configuration.doConvertRGB && configuration.doResize && configuration.doRescale)
        try configuration.validate()
    }

    @Test("absent fields take SiglipImageProcessor's defaults")
    func defaults() throws {
        let configuration = try JSONDecoder().decode(ImageProcessorConfiguration.self, from: Data("{}".utf8))
        #expect(configuration == ImageProcessorConfiguration())
        #expect(configuration.size == .init(height: 224, width: 224))
        #expect(configuration.resample == 3 && configuration.doNormalize && configuration.doRescale)
        #expect(configuration.rescaleFactor == 0.00392156862745098)
        #expect(configuration.imageMean == [0.5, 0.5, 0.5] && configuration.imageStd == [0.5, 0.5, 0.5])
        #expect(configuration.processorClass == nil)
    }

    @Test("a single mean or std applies to every channel; unknown keys are ignored")
    func scalarMeanAndUnknownKeys() throws {
        let json = #"{"image_mean": 0.25, "image_std": [1, 2, 4], "crop_size": 3, "processor_class": "LlavaProcessor"}"#
        let configuration = try JSONDecoder().decode(ImageProcessorConfiguration.self, from: Data(json.utf8))
        #expect(configuration.imageMean == [0.25, 0.25, 0.25])
        #expect(configuration.imageStd == [1, 2, 4])
        #expect(configuration.processorClass == "LlavaProcessor")
    }

    @Test("encoding round-trips with transformers' key names")
    func roundTrip() throws {
        let original = ImageProcessorConfiguration(size: .init(height: 384, width: 384), processorClass: "LlavaProcessor")
        let json = try JSONEncoder().encode(original)
        let keys = try #require(JSONSerialization.jsonObject(with: json) as? [String: Any]).keys
        #expect(Set(keys).isSuperset(of: ["do_resize", "size", "resample", "rescale_factor", "image_mean", "image_std"]))
        #expect(try JSONDecoder().decode(ImageProcessorConfiguration.self, from: json) == original)
    }

    @Test("unsupported values are rejected with a clear message", arguments: [
        (#"{"resample": 2}"#, "resample 2 (bilinear) is not supported: only 3 (bicubic) is implemented"),
        (#"{"size": {"height": 0, "width": 384}}"#, "size 384×0 must be at least 1×1"),
        (#"{"image_std": [0.5, 0, 0.5]}"#, "must be finite and non-zero"),
        (#"{"image_mean": [0.5, 0.5]}"#, "need 3 entries"),
        (#"{"rescale_factor": -1}"#, "must be a positive number"),
    ])
    func rejectsInvalid(json: String, message: String) throws {
        let configuration = try JSONDecoder().decode(ImageProcessorConfiguration.self, from: Data(json.utf8))
        let error = try #require(throws: MediaError.self) { try configuration.validate() }
        #expect(error.kind == .invalidConfiguration)
        #expect(error.description.contains(message))
    }

    @Test("without resize the tensor keeps the image size; without normalize it is x/255")
    func optionalSteps() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [0, 128, 255, 10, 20, 30])
        let configuration = ImageProcessorConfiguration(doResize: false, doNormalize: false)
        let tensor = SiglipImageProcessor(configuration: configuration).preprocess(image)
        #expect(tensor.shape == [3, 1, 2])
        let channelsFirst: [Double] = [0, 10, 128, 20, 255, 30]
        #expect(tensor.data == channelsFirst.map { Float($0 * (1.0 / 255.0)) })
    }
}
