/// What `DataStatistics.report(by:)` groups records by: the seed table's scenario, task or dataset row.
public enum StatisticsGrouping: String, Sendable, CaseIterable {
    case scenario
    case task
    case dataset
}

/// The counts of one group of records. Token counts cover only the records the tokenizer accepted
/// (`tokenizedSamples` of them); they are all 0 when statistics are taken without a tokenizer.
public struct StatisticsCounts: Sendable, Equatable {
    /// Records counted.
    public internal(set) var samples = 0
    /// Images over all samples (a video is not an image).
    public internal(set) var images = 0
    /// The fewest and most images of one sample (0 for an empty group).
    public internal(set) var imagesMin = 0
    public internal(set) var imagesMax = 0
    /// Samples with a `video`.
    public internal(set) var videos = 0
    /// Conversation turns over all samples.
    public internal(set) var turns = 0
    /// Samples the tokenizer accepted.
    public internal(set) var tokenizedSamples = 0
    /// Text tokens: the tokenised ids without the image sentinels.
    public internal(set) var textTokens = 0
    /// Text tokens + images × positions per image + videos × frames per video × positions per image.
    public internal(set) var totalTokens = 0
    /// Positions with a label (not -100).
    public internal(set) var supervisedTokens = 0

    /// Mean images per sample.
    public var imagesMean: Double { Self.mean(images, samples) }
    /// Mean turns per sample.
    public var turnsMean: Double { Self.mean(turns, samples) }
    /// Mean text tokens per tokenised sample.
    public var textTokensMean: Double { Self.mean(textTokens, tokenizedSamples) }

    private static func mean(_ total: Int, _ count: Int) -> Double {
        count == 0 ? 0 : Double(total) / Double(count)
    }

    mutating func add(images count: Int, video: Bool, turns: Int) {
        imagesMin = samples == 0 ? count : min(imagesMin, count)
        imagesMax = samples == 0 ? count : max(imagesMax, count)
        samples += 1
        images += count
        videos += video ? 1 : 0
        self.turns += turns
    }

    mutating func add(textTokens text: Int, totalTokens total: Int, supervisedTokens supervised: Int) {
        tokenizedSamples += 1
        textTokens += text
        totalTokens += total
        supervisedTokens += supervised
    }

    mutating func merge(_ other: StatisticsCounts) {
        guard other.samples > 0 else { return }
        imagesMin = samples == 0 ? other.imagesMin : min(imagesMin, other.imagesMin)
        imagesMax = samples == 0 ? other.imagesMax : max(imagesMax, other.imagesMax)
        samples += other.samples
        images += other.images
        videos += other.videos
        turns += other.turns
        tokenizedSamples += other.tokenizedSamples
        textTokens += other.textTokens
        totalTokens += other.totalTokens
        supervisedTokens += other.supervisedTokens
    }
}

/// A record the tokenizer rejected: its `sample_id` and the reason.
public struct RejectedRecord: Sendable, Equatable {
    /// `sample_id` (or `id`), "?" when neither exists.
    public let sampleID: String
    /// The tokenizer's error.
    public let reason: String
}

/// Statistics of a training-data mix (`loom data stats`): records are added one at a time (streaming), matched to
/// the seed table's rows (`SeedTable`) and counted per row — or, unmapped, per name and inferred scenario — so that
/// any grouping can be reported afterwards. Token accounting follows data.md §5: 729 positions per image and
/// 10 × 729 per training video by default.
public struct DataStatistics: Sendable {
    /// How many rejected records are kept as examples (all are counted).
    public static let rejectedExampleLimit = 20

    /// Where a record is counted: its seed row, or its unmapped name with the scenario its shape implies.
    enum Bucket: Hashable {
        case row(Int)
        case unmapped(name: String, scenario: String)
    }

    /// Counts text tokens; nil: shapes only.
    public let tokenizer: TrainingTokenizer?
    /// Feature positions one image (or one video frame) takes.
    public let positionsPerImage: Int
    /// Frames sampled from one training video.
    public let framesPerVideo: Int
    /// Matches records to the seed's rows.
    public let table: SeedTable
    private(set) var buckets: [Bucket: StatisticsCounts] = [:]
    /// Counts by "`metadata.dataset` (zip prefix P)" for records matched by their zip prefix only.
    private(set) var fallbacks: [String: Int] = [:]
    private(set) var rejectedCount = 0
    private(set) var rejectedExamples: [RejectedRecord] = []

    /// Statistics counting text tokens with `tokenizer` (none: shapes only) and images and videos as
    /// `positionsPerImage` and `framesPerVideo × positionsPerImage` positions, matching records with `table`.
    public init(tokenizer: TrainingTokenizer?, positionsPerImage: Int = 729, framesPerVideo: Int = 10, table: SeedTable = SeedTable()) {
        self.tokenizer = tokenizer
        self.positionsPerImage = positionsPerImage
        self.framesPerVideo = framesPerVideo
        self.table = table
    }

    /// The scenario a record's shape implies when it matches no row: video → multi-frame, several images →
    /// multi-image, one image → single image, none → text-only.
    public static func inferredScenario(of record: DataRecord) -> String {
        if record.video != nil { return "multi-frame" }
        switch record.images.count {
        case 0: return "text-only"
        case 1: return "single image"
        default: return "multi-image"
        }
    }

    /// Counts `record`: its shape always, its tokens when there is a tokenizer and it accepts the record (a rejected
    /// record is counted as rejected, with its shape still counted).
    public mutating func add(_ record: DataRecord) {
        let match = table.match(record)
        let bucket = match.row.map(Bucket.row) ?? .unmapped(name: match.name, scenario: Self.inferredScenario(of: record))
        if let prefix = match.fallbackPrefix, let row = match.row {
            fallbacks["\(match.name) (zip prefix \(prefix)) → \(SeedTable.rows[row].dataset)", default: 0] += 1
        }
        var counts = buckets[bucket] ?? StatisticsCounts()
        counts.add(images: record.images.count, video: record.video != nil, turns: record.turns.count)
        if let tokenizer {
            do {
                let tokens = try tokenizer.tokenize(record)
                let text = tokens.inputIDs.count - tokens.imageCount
                let media = record.images.count * positionsPerImage + (record.video == nil ? 0 : framesPerVideo * positionsPerImage)
                counts.add(textTokens: text, totalTokens: text + media, supervisedTokens: tokens.supervisedCount)
            } catch {
                rejectedCount += 1
                if rejectedExamples.count < Self.rejectedExampleLimit {
                    rejectedExamples.append(RejectedRecord(sampleID: record.sampleID, reason: "\(error)"))
                }
            }
        }
        buckets[bucket] = counts
    }

    /// The counts grouped by `grouping`, in the seed's order, then unmapped groups by name.
    public func report(by grouping: StatisticsGrouping) -> StatisticsReport {
        StatisticsReport(grouping: grouping, statistics: self)
    }
}
