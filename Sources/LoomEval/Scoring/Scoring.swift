import LoomData
import LoomJSON

/// Which reference's scoring `loom eval score` reproduces.
public enum Scorer: String, Sendable, CaseIterable {
    /// The authors' `llava/eval/evaluate_interleave.py` (LLaVA-NeXT d6e32ab).
    case authors
    /// lmms-eval 0.7.3 `llava_interleave_bench` (`interleave_process_results` + `overall_score`).
    case lmmsEval = "lmms-eval"
}

/// One answered sample as `loom eval score` reads it: the authors' result line (`dataset`, `sample_id`,
/// `question_type`, `pred_response`, `gt_response`) or lmms-eval's (`sample_id`, `sub_task` as `dataset`,
/// `question_type`, `answer`, the prediction).
public struct ScoredSample: Sendable {
    /// `sample_id` as text (`str(sample_id)`).
    public var sampleID: String
    /// The authors' `dataset`, or lmms-eval's `sub_task`.
    public var dataset: String
    /// `question_type`: `open-ended`, `multi-choice`, `exact` (Loom's synthetic tasks), or anything else.
    public var questionType: String
    /// The model's answer (`pred_response`).
    public var prediction: String
    /// The reference answer (`gt_response` / `answer`).
    public var answer: String

    public init(sampleID: String, dataset: String, questionType: String, prediction: String, answer: String) {
        self.sampleID = sampleID
        self.dataset = dataset
        self.questionType = questionType
        self.prediction = prediction
        self.answer = answer
    }
}

/// The scores of one run, as the chosen reference computes them (fractions, unrounded).
public struct ScoreReport: Sendable {
    public let scorer: Scorer
    /// Per dataset (authors) or per `sub_task` (lmms-eval), in order of first appearance: the score and the number of
    /// samples it averages. Authors: the ROUGE-L mean (`np.mean`, NaN when every sample was skipped) or the accuracy;
    /// datasets the script cannot score are absent (their samples are in `unscorable`). lmms-eval: the mean of the
    /// sample scores (lmms-eval itself reports no per-sub_task number).
    public let datasets: [(name: String, score: Double, samples: Int)]
    /// The reference's categories that have at least one dataset, under the reference's own names and order.
    /// Authors: unweighted mean of its datasets' scores. lmms-eval: mean of its samples' scores (`overall_score`).
    public let categories: [(name: String, score: Double)]
    /// lmms-eval: the unweighted mean over the categories present (`nil` where `overall_score` raises because no
    /// sample belongs to a category). Authors: `nil` (the script computes no overall number).
    public let overall: Double?
    /// Every sample in input order with its score; `nil` for the unscorable ones.
    public let perSample: [(sampleID: String, dataset: String, score: Double?)]
    /// Samples the reference cannot score, by id, with the reason. Authors: processed answer empty (skipped by the
    /// script), ROUGE raising (the script would crash), unsupported `question_type` of the dataset's first record (the
    /// script prints "Dataset not supported" and exits without writing anything; Loom scores the other datasets).
    /// lmms-eval: unknown `question_type` or ROUGE raising (lmms-eval would stop with `ValueError`).
    public let unscorable: [(sampleID: String, reason: String)]

    /// `{"scorer": …, "datasets": {NAME: x}, "categories": {NAME: x}, "overall": x|null}`, unrounded (NaN → null).
    public func json() -> String {
        var datasetObject = JSONObject()
        for d in datasets { datasetObject.append(d.name, .number(d.score)) }
        var categoryObject = JSONObject()
        for c in categories { categoryObject.append(c.name, .number(c.score)) }
        var root = JSONObject()
        root.append("scorer", .string(scorer.rawValue))
        root.append("datasets", .object(datasetObject))
        root.append("categories", .object(categoryObject))
        root.append("overall", overall.map { .number($0) } ?? .null)
        return JSONWriter.string(.object(root))
    }
}

/// Aggregate scoring of LLaVA-Interleave Bench results, exactly as the chosen reference does it.
public enum Scoring {
    /// The authors' categories (`evaluate_interleave.py`), in the order the script computes them.
    public static let authorsCategories: [(name: String, datasets: [String])] = [
        ("spot_the_diff", ["Spot-the-Diff", "Birds-to-Words", "CLEVR-Change"]),
        ("image_edit_instruct", ["IEdit", "HQ-Edit", "MagicBrush"]),
        ("visual_story_telling", ["AESOP", "FlintstonesSV", "PororoSV", "VIST"]),
        ("visual_cloze", ["COMICS_Dialogue", "RecipeQA_VisualCloze"]),
        ("text_rich_vqa", ["WebQA", "TQA", "OCR-VQA", "DocVQA"]),
        ("multi_image_vqa", ["MIT-States_StateCoherence", "MIT-States_PropertyCoherence", "VISION", "RecipeQA_ImageCoherence"]),
        ("puzzle", ["RAVEN"]),
        ("nlrv2", ["NLVR2_Mantis"]),
        ("qbench", ["QBench"]),
    ]

    /// lmms-eval's categories (`overall_score`), keyed by `sub_task`, in its order.
    public static let lmmsEvalCategories: [(name: String, subTasks: [String])] = [
        ("Spot-the-Diff", ["Spot-the-Diff", "Birds-to-Words", "CLEVR-Change"]),
        ("Image-Edit", ["IEdit", "HQ-Edit", "MagicBrush"]),
        ("Visual-Story-Telling", ["AESOP", "FlintstonesSV", "PororoSV", "VIST"]),
        ("Visual-Cloze", ["COMICS_Dialogue", "RecipeQA_VisualCloze"]),
        ("Text-Rich-VQA", ["WebQA", "TQA", "OCR-VQA", "DocVQA"]),
        ("Multi-Image-VQA", ["MIT-States_StateCoherence", "MIT-States_PropertyCoherence", "VISION", "RecipeQA_ImageCoherence"]),
        ("Puzzle", ["RAVEN"]),
        ("NLVR2", ["NLVR2_Mantis"]),
        ("QBench", ["QBench"]),
        ("ScanQA", ["ScanQA"]),
        ("ALFRED", ["ALFRED"]),
        ("nuscenes", ["nuscenes"]),
        ("ScanNet_chat", ["ScanNet_chat"]),
        ("ScanNet_task", ["ScanNet_task"]),
        ("BLINK", ["BLINK"]),
        ("MathVerse", ["MathVerse"]),
        ("SciVerse", ["SciVerse"]),
        ("Mantis", ["Mantis"]),
    ]

    /// Scores `samples` as `scorer`'s reference does.
    public static func score(_ samples: [ScoredSample], scorer: Scorer) -> ScoreReport {
        switch scorer {
        case .authors: return scoreAuthors(samples)
        case .lmmsEval: return scoreLmmsEval(samples)
        }
    }

    /// `evaluate_interleave.py`'s `__main__`: group by `dataset` (first-appearance order); the FIRST record's
    /// `question_type` picks the scorer: `open-ended` → ROUGE-L (`np.mean` over the samples not skipped),
    /// `multi-choice` or dataset `nlrv2` → accuracy (`correct / len`); categories average their datasets' scores.
    /// Loom's `exact` (synthetic tasks, not in the script) → the fraction of exact matches (``ExactMatchScoring``).
    static func scoreAuthors(_ samples: [ScoredSample]) -> ScoreReport {
        var order: [String] = []
        var groups: [String: [Int]] = [:]
        for (i, s) in samples.enumerated() {
            if groups[s.dataset] == nil { order.append(s.dataset) }
            groups[s.dataset, default: []].append(i)
        }
        var perSampleScore = [Double?](repeating: nil, count: samples.count)
        var unscorableAt: [Int: String] = [:]
        var datasets: [(name: String, score: Double, samples: Int)] = []
        for name in order {
            let indices = groups[name]!
            let questionType = samples[indices[0]].questionType
            if questionType == "open-ended" {
                var scores: [Double] = []
                for i in indices {
                    do {
                        if let s = try AuthorsScoring.rouge(Python.text(samples[i].prediction), Python.text(samples[i].answer)) {
                            scores.append(s)
                            perSampleScore[i] = s
                        } else {
                            unscorableAt[i] = "the processed answer is empty: evaluate_rouge skips the sample"
                        }
                    } catch {
                        unscorableAt[i] = "rouge raises \(error) (evaluate_interleave.py would stop here)"
                    }
                }
                datasets.append((name, Python.numpyMean(scores), scores.count))
            } else if questionType == ExactMatchScoring.questionType {
                var correct = 0.0
                for i in indices {
                    let s = ExactMatchScoring.score(prediction: samples[i].prediction, answer: samples[i].answer)
                    perSampleScore[i] = s
                    correct += s
                }
                datasets.append((name, correct / Double(indices.count), indices.count))
            } else if questionType == "multi-choice" || name == "nlrv2" {
                var correct = 0.0
                for i in indices {
                    let s = AuthorsScoring.accuracy(Python.text(samples[i].prediction), Python.text(samples[i].answer))
                    perSampleScore[i] = s
                    correct += s
                }
                datasets.append((name, correct / Double(indices.count), indices.count))
            } else {
                for i in indices {
                    unscorableAt[i] = "dataset \(name): question_type \"\(questionType)\" of its first record is not "
                        + "supported (evaluate_interleave.py prints \"Dataset not supported\" and exits)"
                }
            }
        }
        var categories: [(name: String, score: Double)] = []
        for (category, members) in authorsCategories {
            var score = 0.0
            var count = 0
            for d in datasets where members.contains(d.name) {
                count += 1
                score += d.score
            }
            if count > 0 { categories.append((category, score / Double(count))) }
        }
        return report(.authors, samples, datasets, categories, nil, perSampleScore, unscorableAt)
    }

    /// lmms-eval: `interleave_process_results` per sample (by its own `question_type`: `multi-choice` → `mcq_acc`,
    /// `open-ended` → `oe_rogue`; Loom's `exact` → ``ExactMatchScoring``), then `overall_score`: per category the
    /// sequential sum of its samples' scores over their count; overall = sum of the category scores over their count.
    static func scoreLmmsEval(_ samples: [ScoredSample]) -> ScoreReport {
        var perSampleScore = [Double?](repeating: nil, count: samples.count)
        var unscorableAt: [Int: String] = [:]
        var scored: [(subTask: String, score: Double)] = []
        for (i, s) in samples.enumerated() {
            switch s.questionType {
            case "multi-choice":
                perSampleScore[i] = LmmsEvalScoring.mcqAccuracy(answer: s.answer, prediction: s.prediction)
            case ExactMatchScoring.questionType:
                perSampleScore[i] = ExactMatchScoring.score(prediction: s.prediction, answer: s.answer)
            case "open-ended":
                do {
                    perSampleScore[i] = try LmmsEvalScoring.openEndedRouge(answer: s.answer, prediction: s.prediction)
                } catch {
                    unscorableAt[i] = "oe_rogue raises \(error) (lmms-eval would stop here)"
                }
            default:
                unscorableAt[i] = "unknown question_type \"\(s.questionType)\" (interleave_process_results raises ValueError)"
            }
            if let score = perSampleScore[i] { scored.append((s.dataset, score)) }
        }
        var order: [String] = []
        var sums: [String: (sum: Double, count: Int)] = [:]
        for r in scored {
            if sums[r.subTask] == nil { order.append(r.subTask) }
            sums[r.subTask, default: (0, 0)].sum += r.score
            sums[r.subTask]!.count += 1
        }
        let datasets = order.map { (name: $0, score: sums[$0]!.sum / Double(sums[$0]!.count), samples: sums[$0]!.count) }
        var categories: [(name: String, score: Double)] = []
        for (category, subTasks) in lmmsEvalCategories {
            var score = 0.0
            var count = 0
            for r in scored where subTasks.contains(r.subTask) {
                count += 1
                score += r.score
            }
            if count > 0 { categories.append((category, score / Double(count))) }
        }
        var overall: Double? = nil
        if !categories.isEmpty {
            var total = 0.0
            for c in categories { total += c.score }
            overall = total / Double(categories.count)
        }
        return report(.lmmsEval, samples, datasets, categories, overall, perSampleScore, unscorableAt)
    }

    private static func report(
        _ scorer: Scorer, _ samples: [ScoredSample], _ datasets: [(name: String, score: Double, samples: Int)],
        _ categories: [(name: String, score: Double)], _ overall: Double?, _ scores: [Double?], _ unscorableAt: [Int: String]
    ) -> ScoreReport {
        ScoreReport(
            scorer: scorer, datasets: datasets, categories: categories, overall: overall,
            perSample: samples.indices.map { (samples[$0].sampleID, samples[$0].dataset, scores[$0]) },
            unscorable: unscorableAt.keys.sorted().map { (samples[$0].sampleID, unscorableAt[$0]!) })
    }
}
