import Foundation
import LoomCheckpoint
import LoomData
import LoomJSON
import LoomMedia
import LoomModels
import LoomTokenizers

/// Training samples by position, from an M4-Instruct record file or a token shard (`loom data tokenize --shard-out`).
public protocol TrainingDataSource: Sendable {
    /// Samples it holds.
    var count: Int { get }
    /// The sample at `index` (media decoded and preprocessed now).
    func sample(_ index: Int) throws -> TrainingSample
    /// Checks every sample's ids, markers and media paths against the model without decoding media; the error names
    /// the sample.
    func check(limit positions: Int) throws
}

/// Turns tokenised text and media paths into training samples for a model: each image's marker expanded to the
/// image's token run (a video's to its frames' runs), images (and a video's sampled frames) preprocessed as the
/// model's processor does.
public struct SampleBuilder: Sendable {
    let media: MediaCheck
    let processor: SiglipImageProcessor
    let configuration: LlavaConfiguration

    /// A builder for the checkpoint in `modelDirectory` (its `preprocessor_config.json`); media paths resolve under
    /// `mediaRoot`; videos give `videoFrames` frames.
    public init(modelDirectory: URL, configuration: LlavaConfiguration, mediaRoot: URL, videoFrames: Int) throws {
        media = MediaCheck(root: mediaRoot, decode: true, videoFrames: videoFrames)
        processor = SiglipImageProcessor(configuration: try SingleViewImages.processorConfiguration(directory: modelDirectory,
                                                                                                     vision: configuration.visionConfig))
        self.configuration = configuration
    }

    /// The sample of `tokenized` (one image sentinel per image, then one for the video) and its media.
    public func sample(_ tokenized: TokenizedRecord, images paths: [String], video: String?) throws -> TrainingSample {
        var images = try paths.map(load)
        var markerImages = Array(repeating: 1, count: images.count)
        if let video {
            let url = try media.resolve(video).get()
            do {
                let frames = try media.frames(of: url)
                images += frames
                markerImages.append(frames.count)
            } catch {
                throw RecordError("video \"\(video)\": \(error)")
            }
        }
        guard tokenized.imageCount == markerImages.count else {
            throw RecordError("the text has \(tokenized.imageCount) <image> marker(s) for \(paths.count) image(s)\(video == nil ? "" : " and a video")")
        }
        let expanded = tokenized.expanded(imageTokenID: configuration.imageTokenIndex,
                                          positions: markerImages.map { configuration.imageTokenCount(images: $0) })
        var pixels: [Float] = []
        for image in images { pixels += processor.preprocess(image).data }
        return TrainingSample(inputIDs: expanded.inputIDs, labels: expanded.labels, pixels: pixels, images: images.count)
    }

    /// Checks `tokenized`'s markers against its media (which must exist) and its length against `limit` positions,
    /// counting `videoFrames` frames for a video.
    func check(_ tokenized: TokenizedRecord, images: [String], video: String?, limit: Int) throws {
        let probe = MediaCheck(root: media.root, decode: false, videoFrames: media.videoFrames)
        for path in images {
            let url = try probe.resolve(path).get()
            guard FileManager.default.fileExists(atPath: url.path) else { throw RecordError("image \"\(path)\": missing file") }
        }
        if let video {
            let url = try probe.resolve(video).get()
            guard FileManager.default.fileExists(atPath: url.path) else { throw RecordError("video \"\(video)\": missing file or folder") }
        }
        let markers = images.count + (video == nil ? 0 : 1)
        guard tokenized.imageCount == markers else {
            throw RecordError("the text has \(tokenized.imageCount) <image> marker(s) for \(markers) image(s)/video(s)")
        }
        let frames = video == nil ? 0 : media.videoFrames
        let positions = tokenized.inputIDs.count - markers + configuration.imageTokenCount(images: images.count + frames)
        guard positions <= limit else { throw RecordError("\(positions) positions exceed the model's \(limit)") }
        guard tokenized.supervisedCount > 0 else { throw RecordError("no labelled tokens") }
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

/// The records of a training or evaluation file (a JSON array or JSON Lines), read once into memory and tokenised
/// by a label preset when a sample is built.
public struct RecordSource: TrainingDataSource {
    let path: String
    let records: [DataRecord]
    let tokenizer: TrainingTokenizer
    let builder: SampleBuilder

    /// Every record of `path`; a record that is not a valid M4-Instruct record is an error naming its index.
    public init(path: String, tokenizer: TrainingTokenizer, builder: SampleBuilder) throws {
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
        self.path = path
        self.records = records
        self.tokenizer = tokenizer
        self.builder = builder
    }

    public var count: Int { records.count }

    public func sample(_ index: Int) throws -> TrainingSample {
        let record = records[index]
        do {
            return try builder.sample(try tokenizer.tokenize(record), images: record.images, video: record.video)
        } catch {
            throw TrainError.invalidData("\(path): record \(index) (\(record.sampleID)): \(error)")
        }
    }

    public func check(limit positions: Int) throws {
        for (index, record) in records.enumerated() {
            do {
                try builder.check(try tokenizer.tokenize(record), images: record.images, video: record.video, limit: positions)
            } catch {
                throw TrainError.invalidData("\(path): record \(index) (\(record.sampleID)): \(error)")
            }
        }
    }
}

/// A token shard written by `loom data tokenize --shard-out` (ids and labels with one image sentinel per image, or
/// already expanded with this model's image token), with the media its metadata lists.
public struct ShardSource: TrainingDataSource {
    let path: String
    let reader: TokenShardReader
    let media: [(images: [String], video: String?, sampleID: String)]
    let builder: SampleBuilder

    public init(path: String, builder: SampleBuilder) throws {
        reader = try TokenShardReader(path: path)
        guard reader.metadata["expanded"]?.boolValue != true else {
            throw TrainError.invalidData("\(path) was written with --expand; loom train reads shards with one -200 per image")
        }
        guard let entries = reader.metadata["records"]?.arrayValue, entries.count == reader.count else {
            throw TrainError.invalidData("\(path): the metadata does not list the media of its \(reader.count) records")
        }
        media = entries.map { entry in
            let object = entry.objectValue
            return ((object?["images"]?.arrayValue ?? []).compactMap(\.stringValue), object?["video"]?.stringValue,
                    object?["sample_id"].map { "\($0)" } ?? "")
        }
        guard reader.count > 0 else { throw TrainError.invalidData("\(path) holds no records") }
        self.path = path
        self.builder = builder
    }

    public var count: Int { reader.count }

    private func tokenized(_ index: Int) throws -> TokenizedRecord {
        let (ids, labels) = try reader.record(index)
        return TokenizedRecord(sampleID: media[index].sampleID, inputIDs: ids, labels: labels)
    }

    public func sample(_ index: Int) throws -> TrainingSample {
        do {
            return try builder.sample(try tokenized(index), images: media[index].images, video: media[index].video)
        } catch {
            throw TrainError.invalidData("\(path): record \(index): \(error)")
        }
    }

    public func check(limit positions: Int) throws {
        for index in 0..<count {
            do {
                try builder.check(try tokenized(index), images: media[index].images, video: media[index].video, limit: positions)
            } catch {
                throw TrainError.invalidData("\(path): record \(index): \(error)")
            }
        }
    }
}
