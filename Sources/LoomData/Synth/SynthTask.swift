import LoomMedia

/// What a task draws for one seed: a question, its exact answer, and the pictures it is about.
public struct SynthContent: Sendable {
    /// The pictures of a sample and how its text marks them.
    public enum Media: Sendable {
        /// One image; its marker always stands first (`<image>\n…`).
        case image(RGBImage)
        /// Several images; the interleaved format captions image k `"<label> k: "` (`Image`, `View`).
        case images([RGBImage], label: String)
        /// The frames of a video, written as a frame folder and marked by one `<image>` (the M4 convention).
        case video([RGBImage])
    }

    /// The question, without markers ("What changed?").
    public var question: String
    /// The answer, matched exactly after lower-casing and dropping a final period ("The red circle turned blue.").
    public var answer: String
    public var media: Media

    public init(question: String, answer: String, media: Media) {
        self.question = question
        self.answer = answer
        self.media = media
    }
}

/// A procedural task: every choice of a sample drawn from one random stream, images `size` pixels square (the
/// multi-patch task draws at twice that).
public protocol SynthTask: Sendable {
    /// The name `--task` takes; also the records' `metadata.dataset` and the first part of their ids.
    var name: String { get }
    /// The sample of the stream `random`.
    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent
}

/// Every task, in the order `--task all` writes them, one per M4 shape at least (train.md §9.2).
public enum SynthTasks {
    public static let all: [any SynthTask] = [
        ColorTask(), ShapeTask(), DigitTask(), SpotDifferenceTask(), OddOneOutTask(), CountFramesTask(), MotionTask(),
        WhichViewTask(), ReadDetailTask(),
    ]

    /// The task called `name`.
    public static func named(_ name: String) -> (any SynthTask)? { all.first { $0.name == name } }

    /// The names of every task.
    public static var names: [String] { all.map(\.name) }
}
