"""Writes `Tests/Fixtures/tokenizer/trained/`, the parity fixture of Loom's BPE trainer (`loom data train-tokenizer`):

- `corpus.txt`: a fixed small corpus of M4-style task text, one document per line (seeded, deterministic),
- `tokenizer.json`, `tokenizer_config.json`, `chat_template.json`: what `loom data train-tokenizer corpus.txt
  --vocab-size 384` writes for it (Loom trains; this script only runs the CLI),
- `encodings.jsonl`: one `{"text", "ids"}` line per string (the corpus lines, then unseen strings with digits,
  punctuation, Unicode, `<image>` and the ChatML tokens) with HF `tokenizers`' ids for the Loom-written
  `tokenizer.json`, plus `"decoded"` (HF's decode of the ids) where that differs from the text.

It also checks that transformers' `AutoTokenizer` loads the folder (a `Qwen2Tokenizer`) and gives the same ids, and
that the special tokens are single ids. Needs `tokenizers` and `transformers` (no torch), versions pinned in
`requirements.txt`. Run from anywhere after building Loom:

    python3 tools/reference/make_bpe_fixtures.py --loom .build/debug/loom
"""

from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import unicodedata
from pathlib import Path

from tokenizers import Tokenizer
from transformers import AutoTokenizer

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "Tests" / "Fixtures" / "tokenizer" / "trained"
VOCAB_SIZE = 384
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"]

COLORS = ["red", "green", "blue", "yellow", "purple", "orange", "white", "black"]
SHAPES = ["circle", "square", "triangle", "star", "cube", "ball"]
POSITIONS = ["top left", "top right", "bottom left", "bottom right"]
DIRECTIONS = ["left to right", "right to left", "top to bottom", "bottom to top"]


def corpus_lines(seed: int, count: int) -> list[str]:
    """Questions and answers in the style of the synthetic M4 tasks (front and interleaved `<image>` markers)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        color, shape = rng.choice(COLORS), rng.choice(SHAPES)
        other = rng.choice([name for name in COLORS if name != color])
        digit, images = rng.randrange(10), rng.randint(2, 4)
        lines.append(rng.choice([
            f"<image>\nWhat color is the {shape}?",
            f"What color is the {shape} in this image? <image>",
            f"{color.capitalize()}.",
            "<image>\nWhich digit is shown?",
            f"{digit}.",
            "<image>" * images + f"\nWhich image is different? Answer with the image number (1 to {images}).",
            f"Image {rng.randint(1, images)}.",
            f"Image 1: <image>\nImage 2: <image>\nWhat changed between the two images?",
            f"The {color} {shape} turned {other}.",
            f"The {color} {shape} disappeared.",
            f"A {color} {shape} appeared.",
            f"In how many frames is there a {color} {shape}?",
            f"Which way does the {shape} move? It moves from {rng.choice(DIRECTIONS)}.",
            f"{rng.choice(DIRECTIONS).capitalize()}.",
            f"In which view is the {color} {shape}? View {rng.randint(1, 4)}.",
            f"What digit is in the {rng.choice(POSITIONS)} corner? It's {digit}.",
            f"The {shape}s aren't all {color}; {images} of them are {other}, and we'll count {digit + images} in total.",
        ]))
    return lines


UNSEEN = [
    "", " ", "  ", "\t", "\n", "\n\n", "\r\n", "  x  ", "trailing space ", " leading space",
    "0", "42", "1234567890", "3.14159", "-17", "+1 (555) 010-9999", "2024-06-24T12:00:00Z", "x²+y²=z²", "½ ¾ ⅓",
    "!!!", "...", "?!", "(a)[b]{c}", "@#$%^&*", "a--b__c", "e.g., i.e.; etc.", "\"quoted\" 'single'", "`code`",
    "I'm", "you're", "they've", "we'LL", "it'D", "DON'T", "o'clock", "rock 'n' roll",
    "Ünïcödé", "café", "cafe\u0301", "e\u0301\u0301", "Å Å", "naïve résumé", "straße", "ﬁne", "İstanbul",
    "日本語のテキスト", "中文文本", "한국어 텍스트", "\u1100\u1161\u11a8", "Ελληνικά", "русский текст", "עברית", "العربية",
    "हिन्दी", "🙂", "👩‍👩‍👧", "🇫🇷", "a\u200bb", "\ufeffBOM", "\u00a0nbsp\u00a0", "tab\tseparated\tvalues",
    "line one\nline two\n\nline four", "<image>", "<image><image><image>", "foo<image>bar", "<image>\n<image>\nCompare.",
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "x<|endoftext|>y", "<|im_start|><|im_end|>", "<image\u0338>",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\nWhat color is the "
    "circle?<|im_end|>\n<|im_start|>assistant\nRed.<|im_end|>\n",
    "<|im_start|>user\nImage 1: <image>\nImage 2: <image>\nWhat changed?<|im_end|>\n<|im_start|>assistant\n",
    "The purple hexagon is 3x bigger than the 12 green dodecahedra!!",
    "Supercalifragilisticexpialidocious antidisestablishmentarianism",
]


def segment_nfc(text: str) -> str:
    """`text` with every run between special tokens NFC-normalized (added tokens are matched before the normalizer)."""
    pattern = "|".join(re.escape(token) for token in sorted(SPECIAL_TOKENS, key=len, reverse=True))
    parts = re.split(f"({pattern})", text)
    return "".join(part if index % 2 else unicodedata.normalize("NFC", part) for index, part in enumerate(parts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--loom", default=str(REPO / ".build" / "debug" / "loom"), help="the loom executable")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    lines = corpus_lines(seed=17, count=200)
    (OUT / "corpus.txt").write_text("".join(line.replace("\n", " ") + "\n" for line in lines), encoding="utf-8")
    subprocess.run([args.loom, "data", "train-tokenizer", str(OUT / "corpus.txt"), "--vocab-size", str(VOCAB_SIZE),
                    "--out", str(OUT)], check=True)

    tokenizer = Tokenizer.from_file(str(OUT / "tokenizer.json"))
    auto = AutoTokenizer.from_pretrained(str(OUT))
    assert type(auto).__name__ == "Qwen2Tokenizer", type(auto).__name__
    for offset, token in enumerate(SPECIAL_TOKENS):
        assert tokenizer.encode(token).ids == [VOCAB_SIZE + offset], token
    assert (auto.eos_token, auto.pad_token) == ("<|im_end|>", "<|endoftext|>")

    texts = list(dict.fromkeys([line.replace("\n", " ") for line in lines] + lines + UNSEEN))
    with (OUT / "encodings.jsonl").open("w", encoding="utf-8", newline="\n") as f:
        for text in texts:
            ids = tokenizer.encode(text).ids
            assert auto(text, add_special_tokens=False)["input_ids"] == ids, text
            decoded = tokenizer.decode(ids, skip_special_tokens=False)
            assert decoded == segment_nfc(text), (text, decoded)
            line = {"text": text, "ids": ids}
            if decoded != text:
                line["decoded"] = decoded
            f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")
    for path in sorted(OUT.iterdir()):
        print(f"{path.relative_to(REPO)}: {path.stat().st_size} bytes")
    print(f"{len(texts)} strings, vocabulary {tokenizer.get_vocab_size()}")


if __name__ == "__main__":
    main()
