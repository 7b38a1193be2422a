#!/usr/bin/env python3
"""Reference fixtures for the benchmark scoring of `loom eval` (Sources/LoomEval/Scoring/): every score is computed
by the references' OWN code, not by a re-implementation.

Run on demand (not by CI):   /work/main/.venv-lmms/bin/python tools/reference/make_eval_fixtures.py
Environment: the lmms-eval venv (`lmms-eval==0.7.3`, `rouge==1.0.1`, numpy, scikit-learn — the authors' script imports
             sklearn). Nothing is downloaded; HF_HOME defaults to a temporary folder because importing
             `lmms_eval.tasks.nextqa.utils` reads it (its nltk.download calls fail quietly offline; they are not used).
Sources:
- authors: `llava/eval/evaluate_interleave.py` of LLaVA-VL/LLaVA-NeXT d6e32ab, read with
  `git -C $LLAVA_NEXT_REPO show d6e32ab:llava/eval/evaluate_interleave.py` (default repo
  /work/.mirror/LLaVA-VL+LLaVA-NeXT/repo). Its `Eval` class is exec'd as a module (the `__main__` block does not run)
  for the per-pair numbers, and the WHOLE script is run as a subprocess (`--result-dir`) for the aggregate fixture.
- lmms-eval 0.7.3: `lmms_eval.tasks.llava_interleave_bench.utils` (`mcq_acc`, `oe_rogue`, `interleave_process_results`,
  `overall_score`) and `lmms_eval.tasks.nextqa.utils` (`parse_multi_choice_response`, `get_multi_choice_info`),
  imported, not copied.

Deterministic: random.Random(SEED); writes files in a fixed order; running twice gives identical bytes.

Writes Tests/Fixtures/eval/scoring/
- pairs.jsonl   one (prediction, answer) pair per line:
                {"id", "prediction", "answer",
                 "authors_processed_prediction", "authors_processed_answer"   (Eval().process of each),
                 "authors_rouge": x|null, "authors_rouge_status": "ok"|"skipped"|"raises",
                 "authors_accuracy": 0|1,
                 "lmms_rouge": x|null, "lmms_rouge_status": "ok"|"raises",
                 "lmms_mcq": 0|1}
                authors_rouge = the per-sample score of `Eval.evaluate_rouge([sample])` (np.mean of one value, which
                is the value itself); null with status "skipped" where the processed answer is empty (the script
                `continue`s), null with status "raises" where `Rouge().get_scores` raises ValueError (a processed
                prediction or answer made only of '.', e.g. more than 32 periods: the script would crash).
                authors_accuracy = `Eval.evaluate_multichoice([sample])["Accuracy"]` (the image-choice variant is the
                same computation). lmms_rouge = `oe_rogue(answer, prediction)`; null ("raises") where it raises
                (empty answer, or a prediction/answer made only of '.'). lmms_mcq = `mcq_acc(answer, prediction)`.
- nextqa.jsonl  {"id", "response", "options": [a0…a4 as in the dataset, unstripped], "parsed": 0–4|null}: the index of
                the letter `parse_multi_choice_response(response, *get_multi_choice_info(doc))` returns; null where it
                reaches `random.choice` (no candidate; detected by replacing the module's `random` with a sentinel).
- results_authors.jsonl  authors-format result lines {"dataset", "sample_id", "question_type", "pred_response",
                "gt_response"} over several datasets (see `authors_results`).
- expected_authors.json  {"datasets": {name: score}, "categories": {name: score}, "unscorable": [sample ids],
                "excluded_datasets": [names]}: `eval_dataset.json` / `eval_cat.json` written by running the authors'
                script on results_authors.jsonl WITHOUT (a) the datasets whose first question_type is unknown (the
                script prints "Dataset not supported" and exits 0 before writing anything — asserted here on the
                full file) and (b) the samples where ROUGE raises (the script would crash). Loom reports both as
                unscorable and scores the rest; this fixture pins that choice.
- results_lmms.jsonl     lmms-eval-format lines {"sample_id", "sub_task", "question_type", "answer", "prediction"}.
- expected_lmms.json     {"categories": {...}, "overall": x, "sub_tasks": {...}, "unscorable": [sample ids]}:
                `overall_score` over the `interleave_process_results` records of the lines where that function
                does not raise (unknown question_type, oe_rogue raising); "categories" is `overall_score`'s own local
                `category_scores`, captured on return with sys.setprofile; "sub_tasks" (not an lmms-eval output) is
                the same pooling per sub_task (sequential sum / count), as Loom reports it.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import types
import warnings

SEED = 20240624
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "eval", "scoring")
LLAVA_NEXT_REPO = os.environ.get("LLAVA_NEXT_REPO", "/work/.mirror/LLaVA-VL+LLaVA-NeXT/repo")

if "HF_HOME" not in os.environ:
    os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="hf-home-")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

import lmms_eval.tasks.llava_interleave_bench.utils as lmms  # noqa: E402
import lmms_eval.tasks.nextqa.utils as nextqa  # noqa: E402

AUTHORS_SOURCE = subprocess.run(
    ["git", "-C", LLAVA_NEXT_REPO, "show", "d6e32ab:llava/eval/evaluate_interleave.py"],
    check=True, capture_output=True, text=True).stdout
authors = types.ModuleType("evaluate_interleave")
with warnings.catch_warnings():
    warnings.simplefilter("ignore", SyntaxWarning)  # "\d" in the authors' non-raw regex strings
    exec(compile(AUTHORS_SOURCE, "evaluate_interleave.py", "exec"), authors.__dict__)
E = authors.Eval()


# ----------------------------------------------------------------------------------------------------------------
# Text generation
# ----------------------------------------------------------------------------------------------------------------

WORDS = ["the", "cat", "dog", "a", "an", "is", "on", "left", "right", "red", "blue", "image", "two", "shows", "man",
         "woman", "car", "tree", "house", "of", "and", "in", "difference", "there", "no", "yes", "b", "c", "d", "e",
         "A", "B", "C", "D", "E", "F", "G", "H", "The", "Cat", "RED", "Image", "it's", "don't", "x", "answer", "option"]
UNICODE_WORDS = ["café", "naïve", "Ångström", "cafe\u0301", "Straße", "ÉCOLE", "猫", "東京タワー", "你好世界", "😀", "👍🏽",
                 "👨\u200d👩\u200d👧", "ΟΔΟΣ", "ΣΑΣ", "Σ", "σοφία", "İstanbul", "ǅemal", "ﬁsh", "Ωmega", "Привет", "мир",
                 "٣٤", "١٢٣", "１２３", "ｅ", "Ⅻ", "½", "²", "µ", "ı", "ſ", "K"]
NUMBERS = ["3.14", "0.5", "1,000", "2,5", "10", "1.2.3", "3.", ".5", "v1.0", "12,345.67", "7", "٣.١٤", "1 , 2"]
PUNCT = [";", "/", "[", "]", '"', "{", "}", "(", ")", "=", "+", "\\", "_", "-", ">", "<", "@", "`", ",", "?", "!"]
MC_FORMS = ["A", "B", "C", "D", "E", "a", "b", "c", "(A)", "(b)", "A.", "B. ", "C. the cat", "d. two dogs", "E.\nfive",
            "Answer: B", "answer:c", "a: b: C", "x: y", "A: ", ": d", "The answer is C.", "I think (D)", "F", "g", "h",
            "i", "(E) red", "'A'", '"B"', "[C]", "{D}", "A)", "(A", "B.\tfoo", "A.\nb\nc", "A.bar", "a.", "AB", "e:",
            "option B", "B,", "C!", "Answer: (A)", "Ａ", "a:b", "c : d"]
SEPARATORS = [" ", " ", " ", " ", "  ", "\t", "\n", ". ", ".", ", ", " , ", "; ", " - ", "-", "/", "\r\n", "\u00a0",
              "\u3000", "\x1c", "\u2028", "\x85", "\x0b", " .", "...", "!", "? "]
ENDS = ["", "", "", ".", "'", '"', ")", "(", "')", '("', " .", "!", "?", "\n", "\t", " ", "]", "`", ".\"", "'.'"]
STARTS = ["", "", "", "'", '"', "(", ")", "( ", "[", "\n", "\t", " ", "``", "\"'"]


def words(rng, n, unicode_rate=0.15, number_rate=0.1, punct_rate=0.05):
    out = []
    for _ in range(n):
        x = rng.random()
        if x < unicode_rate:
            out.append(rng.choice(UNICODE_WORDS))
        elif x < unicode_rate + number_rate:
            out.append(rng.choice(NUMBERS))
        elif x < unicode_rate + number_rate + punct_rate:
            out.append(rng.choice(PUNCT))
        else:
            out.append(rng.choice(WORDS))
    return out


def join(rng, ws, sep_rate=0.25):
    s = ""
    for i, w in enumerate(ws):
        if i:
            s += rng.choice(SEPARATORS) if rng.random() < sep_rate else " "
        s += w
    return s


def sentence(rng, lo=1, hi=12):
    return rng.choice(STARTS) + join(rng, words(rng, rng.randint(lo, hi))) + rng.choice(ENDS)


def punct_rule_text(rng):
    """Exercises each rule of processPunctuation: p+' ', ' '+p, digit,comma,digit, and the plain replace."""
    p = rng.choice(PUNCT)
    a, b = rng.choice(WORDS), rng.choice(WORDS)
    forms = [a + p + " " + b, a + " " + p + b, a + p + b, a + p + b + " 1,2", p + a + p, a + p + p + b,
             "1,2" + p + a, a + " " + p, p + " " + a, a + p + b + p + " x", "(" + a + ")", a + "," + b,
             "3,4 " + a + "," + b, a + "\\" + b + "\\ ", a + "' " + b]
    return rng.choice(forms)


def periods_text(rng):
    k = rng.choice([30, 31, 32, 33, 34, 35, 40, 50])
    forms = ["." * k, "a." * k, "a. " * k + "b", ". " * k + "end", "x" + "." * k + "y", "." * k + "5",
             "3.14 " + "w. " * k, "." * k + " " + "." * 3, "1.5." * k, "hi" + "." * k, "..." + "a" * 3]
    return rng.choice(forms)


def long_text(rng, lo=513, hi=600):
    target = rng.randint(lo, hi)
    s = ""
    while len(s) < target:
        s += join(rng, words(rng, rng.randint(3, 10))) + rng.choice([". ", " ", ", ", "\n", ".", " and "])
    return s[:target] if rng.random() < 0.5 else s


def repeated_text(rng):
    base = words(rng, rng.randint(1, 4), unicode_rate=0.05, number_rate=0.0, punct_rate=0.0)
    out = []
    for _ in range(rng.randint(2, 10)):
        out.append(rng.choice(base))
    sep = rng.choice([" ", " ", ". ", "  "])
    return sep.join(out)


EMPTYISH = ["", " ", "  ", "\t", "\n", " \n\t ", "\u00a0", "\u3000", "\x1c\x1d", ".", "..", "()", "''", '""', "( )",
            "'\"()\"'", "!", ",", ", ,", " . ", "\u2028", "\x85", "-", "(')", ".'.", "[]"]


def variant_of(rng, s):
    """A prediction close to `s` (case, punctuation, spacing, a dropped or repeated word)."""
    ops = rng.randint(0, 6)
    if ops == 0:
        return s
    if ops == 1:
        return s.upper()
    if ops == 2:
        return s.lower() + rng.choice(ENDS)
    if ops == 3:
        return rng.choice(STARTS) + s.replace(" ", rng.choice(SEPARATORS))
    ws = s.split(" ")
    if ops == 4 and len(ws) > 1:
        del ws[rng.randrange(len(ws))]
    elif ops == 5:
        i = rng.randrange(len(ws))
        ws.insert(i, ws[i])
    else:
        rng.shuffle(ws)
    return " ".join(ws)


def any_text(rng):
    x = rng.random()
    if x < 0.30:
        return sentence(rng)
    if x < 0.40:
        return sentence(rng, 1, 3) + rng.choice([". ", ".", " "]) + sentence(rng, 1, 6)
    if x < 0.50:
        return rng.choice(MC_FORMS)
    if x < 0.58:
        return punct_rule_text(rng)
    if x < 0.64:
        return repeated_text(rng)
    if x < 0.69:
        return rng.choice(EMPTYISH)
    if x < 0.73:
        return periods_text(rng)
    if x < 0.75:
        return long_text(rng)
    if x < 0.82:
        return rng.choice(NUMBERS) + rng.choice(["", " ", ". ", " apples"]) + rng.choice(NUMBERS + [""])
    if x < 0.90:
        return join(rng, words(rng, rng.randint(1, 8), unicode_rate=0.6))
    return join(rng, words(rng, rng.randint(2, 30), punct_rate=0.2), sep_rate=0.6)


def make_pair(rng):
    x = rng.random()
    answer = any_text(rng)
    if x < 0.25:
        prediction = variant_of(rng, answer)
    elif x < 0.35:
        letter = rng.choice("ABCDEFGH")
        answer = rng.choice([letter, letter.lower(), "(" + letter + ")", letter + ".", letter + ". " + sentence(rng, 1, 4)])
        prediction = rng.choice(MC_FORMS + [letter, letter.lower(), "Answer: " + letter, "x: " + letter.lower(),
                                            letter + ". " + sentence(rng, 1, 3), "(" + letter + ") " + sentence(rng, 1, 3)])
    elif x < 0.38:
        prediction = long_text(rng) if rng.random() < 0.7 else long_text(rng, 400, 520)
    else:
        prediction = any_text(rng)
    if rng.random() < 0.1:
        prediction, answer = answer, prediction
    return prediction, answer


HAND_PAIRS = [
    ("the cat the cat", "the cat sat on the mat"), ("a a a a", "a"), ("the cat. the dog", "the dog. the cat"),
    ("", "x"), ("x", ""), (" ", " "), (" ", "..."), ("...", "x"), ("x", "..."), (". .", " "), ("a.b.c", "c.b.a"),
    ("3.14", "3.14"), ("3.14", "3 14"), ("A.", "a"), ("(A)", "A"), ("Answer: B", "b"), ("a: b: C", "c"),
    ("a: b: C", "b"), ("1,000", "1000"), ("1, 000", "1 000"), ("café", "cafe\u0301"), ("ΟΔΟΣ", "οδος"),
    ("ΣΑΣ Σ", "σας σ"), ("İ", "i\u0307"), ("a" * 600, "a" * 600), ("b " * 300, "b"), ("." * 33, "a"),
    ("." * 32 + "a", "a"), ("a" + ". " * 40, "a"), ("x\ty\nz", "x y z"), ("\"quoted\"", "quoted"), ("'(x)'", "x"),
    ("(x", "x"), ("E.\nfive", "E"), ("A.\nb\nc", "A"), ("b", "B. the cat"), ("the answer is e", "E"),
    ("😀 😀", "😀"), ("猫 猫 犬", "猫"), ("w1 w2 w6 w7 w8. w1 w3 w8 w9 w5", "w1 w2 w3 w4 w5"),
    ("police killed the gunman", "the gunman police killed"), ("x" * 511 + "é" + "y", "x"),
]


def authors_rouge(prediction, answer):
    sample = {"sample_id": 0, "gt_response": answer, "pred_response": prediction}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # np.mean([]) of a skipped sample
            result, details = E.evaluate_rouge([sample])
    except ValueError:
        return None, "raises"
    if not details:
        return None, "skipped"
    return float(result["Rouge-L f"]), "ok"


def authors_accuracy(prediction, answer):
    result, _ = E.evaluate_multichoice([{"sample_id": 0, "gt_response": answer, "pred_response": prediction}])
    image_result, _ = E.evaluate_multi_choice_image([{"sample_id": 0, "gt_response": answer, "pred_response": prediction}])
    assert result == image_result
    return int(result["Accuracy"])


def lmms_rouge(prediction, answer):
    try:
        return float(lmms.oe_rogue(answer, prediction)), "ok"
    except ValueError:
        return None, "raises"


def make_pairs(rng):
    pairs = list(HAND_PAIRS)
    while len(pairs) < 2050:
        pairs.append(make_pair(rng))
    lines = []
    for i, (prediction, answer) in enumerate(pairs):
        ar, ars = authors_rouge(prediction, answer)
        lr, lrs = lmms_rouge(prediction, answer)
        lines.append({
            "id": f"p{i:04d}", "prediction": prediction, "answer": answer,
            "authors_processed_prediction": E.process(prediction), "authors_processed_answer": E.process(answer),
            "authors_rouge": ar, "authors_rouge_status": ars, "authors_accuracy": authors_accuracy(prediction, answer),
            "lmms_rouge": lr, "lmms_rouge_status": lrs, "lmms_mcq": int(lmms.mcq_acc(answer, prediction)),
        })
    return lines


# ----------------------------------------------------------------------------------------------------------------
# NExT-QA
# ----------------------------------------------------------------------------------------------------------------

OPTION_TEXTS = ["the boy", "the dog runs", "he picks it up", "to play with the ball", "sitting on the sofa", "a",
                "B", "the man in red", "because he is happy", "(A)", "eat", "eat food", "café", "ΟΔΟΣ", "猫 走", ""]
RANDOM_SENTINEL = object()


def nextqa_parse(response, options):
    doc = {f"a{i}": options[i] for i in range(5)}
    index2ans, all_choices = nextqa.get_multi_choice_info(doc)
    real_random = nextqa.random
    nextqa.random = types.SimpleNamespace(choice=lambda xs: RANDOM_SENTINEL)
    try:
        parsed = nextqa.parse_multi_choice_response(response, all_choices, index2ans)
    finally:
        nextqa.random = real_random
    return None if parsed is RANDOM_SENTINEL else nextqa.OPTIONS.index(parsed)


def make_nextqa(rng):
    lines = []
    for i in range(400):
        options = []
        for _ in range(5):
            o = rng.choice(OPTION_TEXTS) if rng.random() < 0.7 else " ".join(words(rng, rng.randint(1, 4), punct_rate=0))
            if rng.random() < 0.15:
                o = rng.choice([" ", "\t", "  "]) + o + rng.choice([" ", "\n", ""])
            options.append(o)
        letter = rng.choice("ABCDE")
        k = "ABCDE".index(letter)
        other = rng.choice("ABCDE")
        forms = [letter, letter + ".", "(" + letter + ")", letter + ". " + options[k].strip(), "The answer is " + letter + ".",
                 "(" + letter + ") or (" + other + ")", letter + " and " + other, letter + ", " + other,
                 "I think the answer is " + options[k].strip() + " because it is", options[k],
                 "The video shows that " + options[k].strip().upper() + " and then " + options[rng.randrange(5)],
                 letter.lower(), "(" + letter.lower() + ")", "", " ", "none of them", "Option " + letter + "!",
                 letter + "." + other + ".", ",." + letter + "!?;:'", "'" + letter + "'", letter + ":" + other,
                 "answer (" + letter + ")", other + " " + letter + ". " + other, "F", "(F) G.",
                 " ".join(words(rng, rng.randint(1, 12))), sentence(rng), letter + "\n" + other, letter + "\t",
                 "The answer is " + options[k] + ". Also " + options[rng.randrange(5)] + " maybe not sure here",
                 "one two three four five six " + options[rng.randrange(5)].lower()]
        response = rng.choice(forms)
        lines.append({"id": f"n{i:04d}", "response": response, "options": options, "parsed": nextqa_parse(response, options)})
    return lines


# ----------------------------------------------------------------------------------------------------------------
# Aggregates
# ----------------------------------------------------------------------------------------------------------------

# (dataset, question types in order of the records, count). The first record decides the scorer.
AUTHORS_DATASETS = [
    ("Spot-the-Diff", "open-ended", 30), ("Birds-to-Words", "open-ended", 20), ("IEdit", "open-ended", 15),
    ("HQ-Edit", "open-ended", 10), ("VIST", "open-ended", 25), ("AESOP", "open-ended", 12),
    ("COMICS_Dialogue", "multi-choice", 15), ("RecipeQA_VisualCloze", "multi-choice", 20),
    ("recipeqa-RecipeQA_VisualCloze", "multi-choice", 10), ("RecipeQA_ImageCoherence", "multi-choice", 12),
    ("COMICS_Panel", "multi-choice", 10), ("WebQA", "open-ended", 20), ("TQA", "multi-choice", 18),
    ("OCR-VQA", "open-ended", 15), ("MIT-States_StateCoherence", "mixed-mc-first", 20),
    ("VISION", "mixed-oe-first", 20), ("RAVEN", "multi-choice", 25), ("NLVR2_Mantis", "multi-choice", 20),
    ("QBench", "multi-choice", 20), ("nlrv2", "yes-no", 12), ("MathVerse", "multi-choice", 15),
    ("nuscenes", "open-ended", 12), ("BLINK", "unknown-type", 8), ("Mantis", "multi-choice", 10),
]


def mc_pair(rng):
    letter = rng.choice("ABCDEFGH")
    answer = rng.choice([letter, letter.lower(), "(" + letter + ")", letter + "."])
    if rng.random() < 0.55:
        prediction = rng.choice([letter, letter.lower(), "(" + letter + ")", letter + ".", "Answer: " + letter,
                                 "x: " + letter.lower()])
    else:
        prediction = rng.choice(MC_FORMS)
    return prediction, answer


def oe_pair(rng):
    answer = sentence(rng, 2, 14) if rng.random() < 0.9 else rng.choice(["()", "", " . ", "two dogs"])
    x = rng.random()
    if x < 0.5:
        prediction = variant_of(rng, answer)
    elif x < 0.55:
        prediction = long_text(rng)
    elif x < 0.65:
        prediction = rng.choice(["", " ", "()"])
    else:
        prediction = sentence(rng, 1, 14)
    return prediction, answer


def authors_results(rng):
    lines = []
    sid = 0
    for dataset, kind, count in AUTHORS_DATASETS:
        for j in range(count):
            if kind == "mixed-mc-first":
                qtype = "multi-choice" if j == 0 or rng.random() < 0.5 else "open-ended"
            elif kind == "mixed-oe-first":
                qtype = "open-ended" if j == 0 or rng.random() < 0.5 else "multi-choice"
            elif kind == "yes-no":
                qtype = "yes-no"
            elif kind == "unknown-type":
                qtype = "other"
            else:
                qtype = kind
            prediction, answer = oe_pair(rng) if qtype == "open-ended" else mc_pair(rng)
            if dataset == "nlrv2":
                answer = rng.choice(["yes", "no", "Yes", "(no)"])
                prediction = rng.choice(["yes", "no", "Yes.", "answer: no", "maybe"])
            lines.append({"dataset": dataset, "sample_id": sid if sid % 3 else str(sid), "question_type": qtype,
                          "pred_response": prediction, "gt_response": answer})
            sid += 1
    # ROUGE raising inside an open-ended dataset (the authors' script would crash): a prediction of 40 periods.
    lines.insert(5, {"dataset": "Spot-the-Diff", "sample_id": "raise-1", "question_type": "open-ended",
                     "pred_response": "." * 40, "gt_response": "a red car"})
    # Records of one dataset interleaved with others: grouping keeps first-appearance order.
    rng.shuffle(lines)
    lines.sort(key=lambda r: [d for d, _, _ in AUTHORS_DATASETS].index(r["dataset"]) // 3)
    # Put the first record of each dataset back in front so its question_type is the one intended.
    firsts = {}
    for d, kind, _ in AUTHORS_DATASETS:
        if kind.startswith("mixed"):
            want = "multi-choice" if kind == "mixed-mc-first" else "open-ended"
            idx = next(i for i, r in enumerate(lines) if r["dataset"] == d and r["question_type"] == want)
            firsts[d] = lines.pop(idx)
    for d, rec in firsts.items():
        idx = next(i for i, r in enumerate(lines) if r["dataset"] == d)
        lines.insert(idx, rec)
    return lines


def run_authors_script(lines):
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "evaluate_interleave.py")
        with open(script, "w") as f:
            f.write(AUTHORS_SOURCE)
        rdir = os.path.join(tmp, "res")
        os.makedirs(rdir)
        with open(os.path.join(rdir, "result.jsonl"), "w") as f:
            for line in lines:
                f.write(json.dumps(line) + "\n")
        proc = subprocess.run([sys.executable, "-W", "ignore", script, "--result-dir", rdir], capture_output=True,
                              text=True, check=True)
        out = {}
        for name in ("eval_dataset.json", "eval_cat.json"):
            path = os.path.join(rdir, name)
            out[name] = json.load(open(path)) if os.path.exists(path) else None
        return proc.stdout, out


def rouge_raises(prediction, answer):
    return authors_rouge(prediction, answer)[1] == "raises"


def expected_authors(lines):
    # The whole file: the script stops at the unknown dataset without writing anything.
    first_type = {}
    for r in lines:
        first_type.setdefault(r["dataset"], r["question_type"])
    stdout, out = run_authors_script([r for r in lines if not (first_type[r["dataset"]] == "open-ended"
                                                                and rouge_raises(r["pred_response"], r["gt_response"]))])
    assert "Dataset not supported" in stdout and out["eval_dataset.json"] is None and out["eval_cat.json"] is None
    groups = {}
    for r in lines:
        groups.setdefault(r["dataset"], []).append(r)
    excluded = [d for d, rs in groups.items() if rs[0]["question_type"] not in ("open-ended", "multi-choice") and d != "nlrv2"]
    unscorable = [str(r["sample_id"]) for r in lines if r["dataset"] in excluded]
    kept = []
    for r in lines:
        if r["dataset"] in excluded:
            continue
        if groups[r["dataset"]][0]["question_type"] == "open-ended" and rouge_raises(r["pred_response"], r["gt_response"]):
            unscorable.append(str(r["sample_id"]))
            continue
        kept.append(r)
    # Samples the script skips itself (processed answer empty, open-ended datasets) are unscorable too.
    for r in kept:
        if groups[r["dataset"]][0]["question_type"] == "open-ended" and E.process(r["gt_response"]) == "":
            unscorable.append(str(r["sample_id"]))
    stdout, out = run_authors_script(kept)
    datasets = {d: list(v.values())[0] for d, v in out["eval_dataset.json"].items()}
    return {"datasets": datasets, "categories": out["eval_cat.json"], "unscorable": unscorable,
            "excluded_datasets": excluded}


LMMS_SUBTASKS = [
    ("Spot-the-Diff", "open-ended"), ("Birds-to-Words", "open-ended"), ("CLEVR-Change", "open-ended"),
    ("IEdit", "open-ended"), ("MagicBrush", "open-ended"), ("AESOP", "open-ended"), ("PororoSV", "open-ended"),
    ("COMICS_Dialogue", "multi-choice"), ("RecipeQA_VisualCloze", "multi-choice"), ("WebQA", "open-ended"),
    ("DocVQA", "open-ended"), ("TQA", "multi-choice"), ("MIT-States_PropertyCoherence", "multi-choice"),
    ("VISION", "mixed"), ("RAVEN", "multi-choice"), ("NLVR2_Mantis", "multi-choice"), ("QBench", "multi-choice"),
    ("ScanQA", "open-ended"), ("ALFRED", "open-ended"), ("nuscenes", "open-ended"), ("ScanNet_chat", "open-ended"),
    ("BLINK", "multi-choice"), ("MathVerse", "multi-choice"), ("Mantis", "multi-choice"),
    ("Out-of-bench", "open-ended"), ("Unknown-type", "other"),
]


def lmms_results(rng):
    lines = []
    sid = 0
    for sub_task, kind in LMMS_SUBTASKS:
        for _ in range(rng.randint(6, 16)):
            qtype = rng.choice(["open-ended", "multi-choice"]) if kind == "mixed" else kind
            if qtype == "multi-choice":
                letter = rng.choice("ABCDE")
                answer = rng.choice([letter, letter + ". " + sentence(rng, 1, 3), "(" + letter + ")"])
                prediction = rng.choice([letter, letter.lower(), letter + ". " + sentence(rng, 1, 3), "The answer is " + letter,
                                         rng.choice(MC_FORMS), sentence(rng, 1, 5)])
            else:
                answer = sentence(rng, 1, 10)
                prediction = rng.choice([variant_of(rng, answer), sentence(rng, 1, 10), "", " "])
                if rng.random() < 0.05:
                    prediction = long_text(rng)
            lines.append({"sample_id": f"L{sid}", "sub_task": sub_task, "question_type": qtype, "answer": answer,
                          "prediction": prediction})
            sid += 1
    lines.append({"sample_id": "L-raise-pred", "sub_task": "ScanQA", "question_type": "open-ended", "answer": "a chair",
                  "prediction": "..."})
    lines.append({"sample_id": "L-raise-answer", "sub_task": "ALFRED", "question_type": "open-ended", "answer": "",
                  "prediction": "go left"})
    rng.shuffle(lines)
    return lines


def expected_lmms(lines):
    records, unscorable = [], []
    for line in lines:
        doc = {"sample_id": line["sample_id"], "sub_task": line["sub_task"], "question_type": line["question_type"],
               "answer": line["answer"]}
        try:
            records.append(lmms.interleave_process_results(doc, [line["prediction"]])["overall_score"])
        except ValueError:
            unscorable.append(line["sample_id"])
    captured = {}

    def profiler(frame, event, arg):
        if event == "return" and frame.f_code is lmms.overall_score.__code__:
            captured.update(frame.f_locals["category_scores"])

    sys.setprofile(profiler)
    try:
        overall = lmms.overall_score(records)
    finally:
        sys.setprofile(None)
    assert captured and sum(captured.values()) / len(captured) == overall
    sub_tasks = {}
    for r in records:
        s = sub_tasks.setdefault(r["sub_task"], [0, 0])
        s[0] += r["score"]
        s[1] += 1
    return {"categories": captured, "overall": overall,
            "sub_tasks": {k: v[0] / v[1] for k, v in sub_tasks.items()}, "unscorable": unscorable}


def numpy_mean_emulation(values):
    """numpy's pairwise summation (PW_BLOCKSIZE 128, 8 accumulators) from 0.0, divided by n: what Loom mirrors."""
    def pw(a):
        n = len(a)
        if n < 8:
            res = 0.0
            for v in a:
                res += v
            return res
        if n <= 128:
            r = [float(v) for v in a[:8]]
            i = 8
            while i < n - (n % 8):
                for k in range(8):
                    r[k] += a[i + k]
                i += 8
            res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n:
                res += a[i]
                i += 1
            return res
        n2 = n // 2
        n2 -= n2 % 8
        return pw(a[:n2]) + pw(a[n2:])
    return (0.0 + pw(values)) / len(values)


def check_numpy_mean(rng):
    for n in list(range(1, 40)) + [127, 128, 129, 200, 257, 1000, 3001]:
        values = [rng.random() * 10 ** rng.randint(-3, 3) for _ in range(n)]
        assert numpy_mean_emulation(values) == float(np.mean(values)), n


def write_jsonl(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        for line in lines:
            f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f, ensure_ascii=False, indent=1)
        f.write("\n")


def main():
    rng = random.Random(SEED)
    check_numpy_mean(random.Random(SEED + 1))
    os.makedirs(OUT, exist_ok=True)
    pairs = make_pairs(rng)
    write_jsonl(os.path.join(OUT, "pairs.jsonl"), pairs)
    nq = make_nextqa(rng)
    write_jsonl(os.path.join(OUT, "nextqa.jsonl"), nq)
    ar = authors_results(rng)
    write_jsonl(os.path.join(OUT, "results_authors.jsonl"), ar)
    write_json(os.path.join(OUT, "expected_authors.json"), expected_authors(ar))
    lr = lmms_results(rng)
    write_jsonl(os.path.join(OUT, "results_lmms.jsonl"), lr)
    write_json(os.path.join(OUT, "expected_lmms.json"), expected_lmms(lr))

    def count(key, value, rows):
        return sum(1 for r in rows if r[key] == value)
    print(f"pairs: {len(pairs)} (authors rouge ok/skipped/raises "
          f"{count('authors_rouge_status', 'ok', pairs)}/{count('authors_rouge_status', 'skipped', pairs)}/"
          f"{count('authors_rouge_status', 'raises', pairs)}; lmms rouge raises {count('lmms_rouge_status', 'raises', pairs)}; "
          f"authors acc=1 {count('authors_accuracy', 1, pairs)}; lmms mcq=1 {count('lmms_mcq', 1, pairs)}; "
          f"pred > 512 chars {sum(1 for r in pairs if len(r['prediction']) > 512)})")
    print(f"nextqa: {len(nq)} (random fallback {count('parsed', None, nq)})")
    print(f"results_authors: {len(ar)} lines; results_lmms: {len(lr)} lines")
    total = 0
    for name in sorted(os.listdir(OUT)):
        size = os.path.getsize(os.path.join(OUT, name))
        total += size
        print(f"  {name}: {size} bytes")
    print(f"total {total} bytes")


if __name__ == "__main__":
    main()
