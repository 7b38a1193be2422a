import Foundation
import LoomCheckpoint
import LoomData
import LoomMedia
import LoomModels
import LoomTokenizers

/// Turns M4-Instruct records into training samples for a model: ids and labels by a label preset, each image's
/// marker expanded to the image's token run, images (and a video's sampled frames) preprocessed as the model's
/// processor does.
public struct SampleBuilder: Sendable {
    let tokenizer: TrainingTokenizer
    let media: MediaCheck
    let processor: SiglipImageProcessor
    let configuration: LlavaConfiguration

    /// A builder for the checkpoint in `modelDirectory` (its tokenizer and `preprocessor_config.json`); media paths
    /// resolve under `mediaRoot`; videos give `videoFrames` frames.
    public init(modelDirectory: URL, configuration: LlavaConfiguration, preset: LabelPreset, mediaRoot: URL, videoFrames: Int) throws {
        tokenizer = try TrainingTokenizer(tokenizer: try Tokenizer(directory: modelDirectory), preset: preset)
        media = MediaCheck(root: mediaRoot, decode: true, videoFrames: videoFrames)
        processor = SiglipImageProcessor(configuration: try SingleViewImages.processorConfiguration(directory: modelDirectory,
                                                                                                     vision: configuration.visionConfig))
        self.configuration = configuration
    }

    /// The sample of `record`; throws naming the problem (a missing file, markers that do not match the media).
    public func sample(_ record: DataRecord) throws -> TrainingSample {
        let tokenized = try tokenizer.tokenize(record)
        var images: [RGBImage] = []
        for path in record.images { images.append(try load(path)) }
        var markerImages = Array(repeating: 1, count: images.count)
        if let video = record.video {
            let url = try media.resolve(video).get()
            do {
                let frames = try media.frames(of: url)
                images += frames
                markerImages.append(frames.count)
            } catch {
                throw RecordError("video \"\(video)\": \(error)")
            }
        }
        let markers = tokenized.imageCount
        guard markers == markerImages.count else {
            throw RecordError("the text has \(markers) <image> marker(s) for \(record.images.count) image(s)\(record.video == nil ? "" : " and a video")")
        }
        let expanded = tokenized.expanded(imageTokenID: configuration.imageTokenIndex,
                                          positions: markerImages.map { configuration.imageTokenCount(images: $0) })
        var pixels: [Float] = []
        for image in images { pixels += processor.preprocess(image).data }
        return TrainingSample(inputIDs: expanded.inputIDs, labels: expanded.labels, pixels: pixels, images: images.count)
    }

    private func load(_ path: String) throws -> RGBImage {
        let url = try media.resolve(path).get()
        do {
            return try ImageDecoder.decode(contentsOf: url, limits: media.limits)
        } catch {
            throw RecordError("image \"\(path)\": \(FileManager.default.fileExists(atPath: url.path) ? "does not decode: \(error)" : "missing file")")
        }
    }
}

/// The records of a training or evaluation file (a JSON array or JSON Lines), read once into memory.
public enum TrainingRecords {
    /// Every record of `path`; a record that is not a valid M4-Instruct record is an error naming its index.
    public static func read(_ path: String) throws -> [DataRecord] {
        let stream = try RecordStream(path: path)
        var records: [DataRecord] = []
        while let raw = try stream.next() {
            do {
                records.append(try DataRecord(bytes: raw.bytes))
            } catch {
                throw TrainError.invalidData("\(path): record \(raw.index): \(error)")
            }
        }
        guard !records.isEmpty else { throw TrainError.invalidData("\(path) holds no records") }
        return records
    }
}
