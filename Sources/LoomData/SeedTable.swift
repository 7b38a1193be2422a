/// One row of the LLaVA-NeXT-Interleave blog's data table (`../shared/spec/data.md` §7): the scenario, the task (as
/// the blog names it, without its K total), the dataset, the domain (spelled as the blog does, typos included) and the
/// dataset's size in thousands of samples.
public struct SeedRow: Sendable, Equatable {
    public let scenario: String
    public let task: String
    public let dataset: String
    public let domain: String
    public let thousands: Double

    /// A row of the table.
    public init(scenario: String, task: String, dataset: String, domain: String, thousands: Double) {
        self.scenario = scenario
        self.task = task
        self.dataset = dataset
        self.domain = domain
        self.thousands = thousands
    }
}

/// The seed's 41-row mix and the mapping from records to its rows. A record is looked up by `metadata.dataset`,
/// then (when that names no row) by its zip prefix — the first path component of `image[0]`, or of `video` when
/// that is a path. Names match a row's dataset name ignoring case and punctuation (`nlvr2` → NLVR2,
/// `Spot_the_Diff` → Spot-the-Diff), then the built-in aliases below, with the user's mapping taking precedence.
/// The real files' `metadata.dataset` values are [UNVERIFIED] (data.md "Points to surface"): a name that matches
/// nothing stays unmapped, to be reported, never guessed.
public struct SeedTable: Sendable {
    /// How a record was matched: its row's position in `rows` (nil when unmapped), its name (`metadata.dataset`, else the zip prefix,
    /// else "?"), and the zip prefix when that decided after `metadata.dataset` named no row.
    struct Match {
        let row: Int?
        let name: String
        let fallbackPrefix: String?
    }

    private static func row(_ scenario: String, _ task: String, _ dataset: String, _ domain: String, _ thousands: Double) -> SeedRow {
        SeedRow(scenario: scenario, task: task, dataset: dataset, domain: domain, thousands: thousands)
    }

    /// All 41 rows, in the blog's order.
    public static let rows: [SeedRow] = [
        row("multi-image", "Spot the Difference", "Real-world Difference", "Realistic", 6.7),
        row("multi-image", "Spot the Difference", "Synthetic Difference", "Sythetic", 7.0),
        row("multi-image", "Spot the Difference", "Spot-the-Diff", "Surveilance", 10.8),
        row("multi-image", "Spot the Difference", "Birds-to-Words", "Birds", 14.2),
        row("multi-image", "Spot the Difference", "CLEVR-Change", "Solids", 3.9),
        row("multi-image", "Image Edit Instruction", "HQ-Edit", "Sythentic", 50),
        row("multi-image", "Image Edit Instruction", "MagicBrush", "Realistic", 14.2),
        row("multi-image", "Image Edit Instruction", "IEdit", "Realistic", 3.5),
        row("multi-image", "Visual Story Telling", "AESOP", "Cartoon", 6.9),
        row("multi-image", "Visual Story Telling", "FlintstonesSV", "Cartoon", 22.3),
        row("multi-image", "Visual Story Telling", "PororoSV", "Cartoon", 12.3),
        row("multi-image", "Visual Story Telling", "VIST", "Realistic", 26),
        row("multi-image", "Text-rich VQA", "WebQA", "Webpage", 9.3),
        row("multi-image", "Text-rich VQA", "TQA", "Textbook", 8.2),
        row("multi-image", "Text-rich VQA", "OCR-VQA", "OCR", 1.9),
        row("multi-image", "Text-rich VQA", "DocVQA", "Document", 1.9),
        row("multi-image", "Multi-image VQA", "NLVR2", "Realistic", 86.4),
        row("multi-image", "Multi-image VQA", "MIT-States_StateCoherence", "General", 1.9),
        row("multi-image", "Multi-image VQA", "MIT-States_PropertyCoherence", "General", 1.9),
        row("multi-image", "Multi-image VQA", "RecipeQA_ImageCoherence", "Recipe", 8.7),
        row("multi-image", "Multi-image VQA", "VISION", "Industrial", 9.9),
        row("multi-image", "Multi-image VQA", "Multi-VQA", "General", 5),
        row("multi-image", "Multi-image VQA", "IconQA", "General", 34.6),
        row("multi-image", "Multi-image VQA", "VizWiz", "General", 4.9),
        row("multi-image", "Low-level Comparison", "Coinstruct", "Low-level", 50),
        row("multi-image", "Low-level Comparison", "Dreamsim", "Low-level", 15.9),
        row("multi-image", "Image-caption Comprehension", "ImageCoDe", "General", 16.6),
        row("multi-image", "Image-caption Comprehension", "Contrast-Caption", "General", 25.2),
        row("multi-image", "Daily Scenarios", "MMChat_Twitter_Post", "General", 5.7),
        row("multi-image", "Multi-image Puzzle", "Raven", "Abstract", 35),
        row("multi-frame", "Video QA", "NExT-QA", "General", 3.9),
        row("multi-frame", "Video QA", "STAR", "General", 3),
        row("multi-frame", "Video QA", "ShareGPTVideo-VQA", "General", 240),
        row("multi-frame", "Video Detailed Captioning", "ShareGPTVideo-Caption", "General", 15),
        row("multi-view", "Scene VQA", "Nuscenes", "Outdoor", 9.8),
        row("multi-view", "Scene VQA", "ScanQA", "Indoor Realistic", 25.6),
        row("multi-view", "Scene VQA", "3D-LLM-Scene", "Indoor Realistic", 10),
        row("multi-view", "Embodied VQA", "ALFRED", "Indoor Synthetic", 22.6),
        row("multi-view", "Embodied VQA", "3D-LLM-Dialogue", "Indoor Realistic", 20),
        row("multi-view", "Embodied VQA", "3D-LLM-Planning", "Indoor Realistic", 19.9),
        row("single image", "Single-image Tasks", "Randomly sampling 40% SFT data of LLaVA-NeXT", "General", 307),
    ]

    /// Names that differ from their row's dataset name by more than case and punctuation. Every one is
    /// [INFERRED]; data.md supports none of them beyond the names themselves:
    /// * `HQ-Edit-Diff` (a seen `metadata.dataset`): its record asks "What's the difference between 2 images?" about
    ///   two HQ-Edit (synthetic) images, a Spot the Difference task, so Synthetic Difference rather than HQ-Edit
    ///   (Image Edit Instruction), which the `HQ-Edit` zip name itself matches.
    /// * `Video_VQA_Captioning` (a seen `metadata.dataset`): the video file's one name for both ShareGPTVideo rows
    ///   (255K = 240K QA + 15K captions); the records cannot be told apart by name, so all go to the larger row,
    ///   ShareGPTVideo-VQA, and ShareGPTVideo-Caption stays empty.
    /// * Zip names (`NeXT#302`): `RAVEN_train_images` → Raven, `contrastive_caption` → Contrast-Caption,
    ///   `mmchat` → MMChat_Twitter_Post.
    /// Deliberately absent: `scannet_frames_25k` (ScanQA and three 3D-LLM rows may share it), `COMICS_Dialogue`
    /// and `RecipeQA_VisualCloze` (zips with no row), Real-world Difference (no known name).
    static let aliases: [String: String] = [
        "HQ-Edit-Diff": "Synthetic Difference",
        "Video_VQA_Captioning": "ShareGPTVideo-VQA",
        "RAVEN_train_images": "Raven",
        "contrastive_caption": "Contrast-Caption",
        "mmchat": "MMChat_Twitter_Post",
    ]

    /// Row index by normalised name: the rows' own names, then the aliases, then the user's mapping.
    private let index: [String: Int]
    /// Targets of the user's mapping that name no row (normalised matching, as for records), in the mapping's
    /// key order: the caller should report them, since those entries map nothing.
    public let unknownTargets: [String]

    /// The table with `mapping` (name → a row's dataset name, e.g. from the user's `--mapping` file) added to the
    /// built-in names; a mapping entry overrides a built-in one.
    public init(mapping: [String: String] = [:]) {
        var index: [String: Int] = [:]
        for (position, row) in Self.rows.enumerated() { index[Self.normalized(row.dataset)] = position }
        let byDataset = index
        for (name, target) in Self.aliases { index[Self.normalized(name)] = byDataset[Self.normalized(target)] }
        var unknown: [String] = []
        for name in mapping.keys.sorted() {
            let target = mapping[name]!
            if let position = byDataset[Self.normalized(target)] {
                index[Self.normalized(name)] = position
            } else {
                unknown.append(target)
            }
        }
        self.index = index
        unknownTargets = unknown
    }

    /// The row `record` belongs to, nil when neither its `metadata.dataset` nor its zip prefix names one.
    public func row(for record: DataRecord) -> SeedRow? {
        match(record).row.map { Self.rows[$0] }
    }

    /// The row `name` (a `metadata.dataset` value or a zip name) stands for.
    public func row(named name: String) -> SeedRow? {
        position(named: name).map { Self.rows[$0] }
    }

    private func position(named name: String) -> Int? {
        index[Self.normalized(name)]
    }

    /// The zip prefix of `record`: the first path component of `image[0]`, else of `video`, when the path has more
    /// than one component (a bare file name or ShareGPTVideo folder id names no zip).
    public static func zipPrefix(of record: DataRecord) -> String? {
        guard let path = record.images.first ?? record.video else { return nil }
        let components = path.split(separator: "/", omittingEmptySubsequences: true)
        return components.count > 1 ? String(components[0]) : nil
    }

    func match(_ record: DataRecord) -> Match {
        let prefix = Self.zipPrefix(of: record)
        if let dataset = record.dataset {
            if let row = position(named: dataset) { return Match(row: row, name: dataset, fallbackPrefix: nil) }
            if let prefix, let row = position(named: prefix) { return Match(row: row, name: dataset, fallbackPrefix: prefix) }
            return Match(row: nil, name: dataset, fallbackPrefix: nil)
        }
        if let prefix { return Match(row: position(named: prefix), name: prefix, fallbackPrefix: nil) }
        return Match(row: nil, name: "?", fallbackPrefix: nil)
    }

    /// Lower-case letters and digits only: `Spot-the-Diff`, `spot_the_diff` and `SpotTheDiff` are one name.
    static func normalized(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }.map(Character.init))
    }
}
