"""Writes the tokenizer fixtures used by `Tests/LoomTokenizersTests`:

- `Tests/Fixtures/tokenizer/qwen/tokenizer.json.gz` + `tokenizer_config.json` (the full Qwen2 vocabulary; `make fixtures`
  unpacks the json next to it),
- `Tests/Fixtures/tokenizer/corpus.jsonl`: varied lines `{"text": ..., "ids": [...]}` with HF `tokenizers` ids
  (and `"decoded"`, HF's decode of the ids, where it differs from the text),
- `Tests/Fixtures/tokenizer/decode.jsonl`: random id sequences and HF's (lossy UTF-8) decode of them,
- `Tests/Fixtures/tokenizer/pretokenize.jsonl`: NFC text and HF's Qwen2 pre-tokenizer pieces of it,
- `Tests/Fixtures/tokenizer/special_as_text.jsonl`: lines encoded with special tokens treated as text,
- `Tests/Fixtures/tokenizer/tiny/`: the 512-rank vocabulary (+4 specials at 512..515) and its own small corpus.

Deterministic (seeded); run from anywhere: `python3 tools/reference/make_tokenizer_fixtures.py`.
"""

from __future__ import annotations

import gzip
import io
import json
import random
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from qwen_vocab import SPECIAL_TOKENS, write_tokenizer_dir

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "Tests" / "Fixtures" / "tokenizer"

ENGLISH_WORDS = (
    "the of and to in is was for on that with as by at from it his an were are which this be or has had not but "
    "first one their its new after who they have her she two been other when there all during into school time may "
    "years more most only over city some world would where later up such used many can state about national out "
    "known university united then made because while under water between however people system loom thread weave "
    "model vision token image patch layer decoder attention quick brown fox jumps lazy dog Swift Python HuggingFace "
    "OpenAI Qwen LLaVA interleave multimodal benchmark inference throughput latency kernel tensor matrix vector"
).split()
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"]
PUNCTUATION = list(".,;:!?-—–()[]{}\"'/\\@#$%^&*+=<>|~`…«»“”‘’")

CHINESE = (
    "我们今天讨论的是多模态模型的推理效率。图像被切成小块，然后送入视觉编码器。这只猫正在粉红色的毯子上睡觉。"
    "北京是中国的首都，上海是最大的城市。机器学习和深度学习改变了计算机视觉领域。请用简体中文回答下面的问题。"
)
JAPANESE = (
    "これは日本語のテキストです。カタカナとひらがな、そして漢字が混ざっています。東京タワーの高さは三百三十三メートル。"
    "ｶﾀｶﾅの半角文字もあります。私はプログラミングが好きです。"
)
KOREAN = "안녕하세요. 저는 한국어를 공부하고 있습니다. 서울은 대한민국의 수도입니다. 이미지에 고양이 두 마리가 있어요."
ARABIC = "مرحبا بالعالم. هذه جملة باللغة العربية مع أرقام ١٢٣٤٥ وعلامات ترقيم، أليس كذلك؟ اللُّغَةُ العَرَبِيَّةُ"
HEBREW = "שלום עולם. זהו משפט בעברית עם ניקוד: בְּרֵאשִׁית בָּרָא אֱלֹהִים. מספרים 2024."
HINDI = "नमस्ते दुनिया। यह हिन्दी में एक वाक्य है। संख्याएँ ०१२३४५६७८९ और विराम चिह्न।"
THAI = "สวัสดีชาวโลก ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ กรุงเทพมหานคร ๑๒๓๔"
CYRILLIC = "Привет, мир! Это предложение на русском языке. Съешь же ещё этих мягких французских булок, да выпей чаю. Ёжик"
GREEK = "Γειά σου Κόσμε! Η γρήγορη καφέ αλεπού πηδάει. ΣΊΣΥΦΟΣ σίσυφος ς"
EMOJI = [
    "😀", "😂", "🥲", "👍", "👍🏽", "👨‍👩‍👧‍👦", "👩🏾‍💻", "🧑‍🚀", "🏳️‍🌈", "🏴‍☠️", "❤️", "❤️‍🔥", "🇺🇸", "🇯🇵", "🇩🇪", "🇺🇳",
    "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "1️⃣", "#️⃣", "✈️", "☕", "🐈", "🐈‍⬛", "🫠", "🤌🏻", "👁️‍🗨️", "💯", "🔥", "✨", "🎉",
]
CODE_SNIPPETS = [
    "def encode(self, text: str) -> list[int]:\n    return [self.vocab[t] for t in text.split()]\n",
    "import numpy as np\n\nx = np.zeros((3, 384, 384), dtype=np.float32)\nprint(x.shape)  # (3, 384, 384)\n",
    "for i in range(10):\n\tif i % 2 == 0:\n\t\tprint(f\"{i:>4d} is even\")\n",
    "class Loom:\n    '''A loom.'''\n    def __init__(self):\n        self._threads = {}\n",
    "public func decode(_ ids: [Int]) -> String {\n    ids.map { vocab[$0] ?? \"\" }.joined()\n}\n",
    "struct Point: Hashable { var x, y: Double }\nlet p = Point(x: 1.5, y: -2e-3)\n",
    "guard let url = URL(string: \"https://example.com/a?b=c&d=e\") else { fatalError(\"bad url\") }\n",
    "{\"model_type\": \"llava\", \"image_token_index\": 151646, \"text_config\": {\"hidden_size\": 896}}\n",
    "[\n  {\"text\": \"hello\", \"ids\": [14990]},\n  {\"text\": null, \"ok\": true}\n]\n",
    "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", 42); return 0; }\r\n",
    "SELECT id, name FROM users WHERE age >= 18 ORDER BY name DESC;\n",
    "<div class=\"row\"><img src=\"cat.jpg\" alt=\"two cats\"/></div>\n",
    "x := []int{1, 2, 3}\nfor _, v := range x {\n\tfmt.Println(v)\n}\n",
    "fn main() { let v: Vec<u8> = vec![0xff; 16]; println!(\"{:?}\", v); }\n",
    "    \n\n    return None  \r\n\r\n",
    "$ swift build -c release --product loom && ./loom generate --max-tokens 32\n",
]
UNUSUAL = [
    "\u00a0", "\u3000", "\u2028", "\u2029", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\ufffd", "\u00ad",
    "\u017f", "\u212a", "\u212b", "\u1680", "\u2000", "\u2007", "\u200a", "\u202f", "\u205f", "\u0085", "\u000b",
    "\u000c", "\u001c", "\u001f", "\u0000", "\u001b", "\u007f", "\u180e", "\u2066", "\u202e", "\ue000", "\U0001d400",
    "\U0001d7ce", "\U00020000", "\U0001f600", "\U00010348", "\U0001f1e6", "\u0130", "\u00df", "\u1e9e", "\ufb05",
    "\u2160", "\u00bd", "\u00b2", "\u2460", "\u0663", "\uff11", "\uff21", "\u02bc", "\u2019", "\u0301", "\u0338",
]
WHITESPACE = [" ", " ", " ", "  ", "\t", "\n", "\n\n", "\r\n", "\r", "\u00a0", "\u3000", "\u2028", "\u000b", "\u000c",
              "\u0085", "\u2003", "   \n", " \t ", "\r\r\n", "\n \n"]
COMBINING = ["\u0300", "\u0301", "\u0302", "\u0303", "\u0308", "\u030a", "\u0327", "\u0328", "\u0331", "\u0338",
             "\u0323", "\u0306", "\u030c", "\u20dd", "\u0345", "\u05b7", "\u093f", "\u0e34"]
ACCENTED = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŁłŒœŠšŽžĞğİıŞşǅǈǋǲ"
# Old, stable Unicode blocks (assigned long ago, so every Unicode version agrees on their categories).
SCRIPT_RANGES = [(0x4E00, 0x9FA5), (0x3041, 0x3096), (0x30A1, 0x30FA), (0xAC00, 0xD7A3), (0x0621, 0x064A),
                 (0x05D0, 0x05EA), (0x0905, 0x0939), (0x0E01, 0x0E2E), (0x0410, 0x044F), (0x0391, 0x03C9),
                 (0x1100, 0x1112), (0x1161, 0x1175), (0x11A8, 0x11C2), (0x2200, 0x22FF), (0x2500, 0x257F),
                 (0x0020, 0x007E), (0x00A1, 0x00FF), (0x1D400, 0x1D4FF), (0x1F300, 0x1F5FF)]


def english_sentence(rng: random.Random, words: int) -> str:
    out = []
    for _ in range(words):
        word = rng.choice(ENGLISH_WORDS)
        roll = rng.random()
        if roll < 0.08:
            word = word.capitalize()
        elif roll < 0.11:
            word = word.upper()
        if rng.random() < 0.08:
            word += rng.choice(CONTRACTIONS)
        out.append(word)
        if rng.random() < 0.1:
            out[-1] += rng.choice(",;:")
    sentence = " ".join(out)
    return sentence[:1].upper() + sentence[1:] + rng.choice([".", "!", "?", "...", ".\n", "."])


def prose(rng: random.Random) -> str:
    return " ".join(english_sentence(rng, rng.randint(3, 16)) for _ in range(rng.randint(1, 2)))


def contractions(rng: random.Random) -> str:
    def cased(suffix: str) -> str:
        return "".join(c.upper() if rng.random() < 0.5 else c for c in suffix)

    parts = []
    for _ in range(rng.randint(2, 8)):
        stem = rng.choice(["it", "IT", "we", "They", "x", "", " ", "1", "2", "'", "\n", "she", "O", "don", "(", "é"])
        suffix = rng.choice(CONTRACTIONS + ["'", "'x", "'ſ", "'K", "'ß", "'ﬅ", "'LL", "'lL", "'Re", "'rE", "'VE"])
        parts.append(stem + cased(suffix) + rng.choice(["", "am", "s", " ", "'", "ll", "ſt", "x", "!", "\n"]))
    return rng.choice(["", " "]).join(parts)


def from_text(rng: random.Random, text: str, lo: int = 4, hi: int = 60) -> str:
    n = rng.randint(lo, hi)
    start = rng.randrange(0, max(1, len(text) - n))
    return text[start : start + n]


def multilingual(rng: random.Random) -> str:
    sources = [CHINESE, JAPANESE, KOREAN, ARABIC, HEBREW, HINDI, THAI, CYRILLIC, GREEK]
    pieces = [from_text(rng, rng.choice(sources), 3, 40) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.3:
        pieces.insert(rng.randrange(len(pieces) + 1), english_sentence(rng, rng.randint(2, 6)))
    return rng.choice(["", " ", "\n", "，", "、"]).join(pieces)


def random_script(rng: random.Random) -> str:
    lo, hi = rng.choice(SCRIPT_RANGES)
    chars = [chr(rng.randint(lo, hi)) for _ in range(rng.randint(1, 24))]
    for _ in range(rng.randint(0, 3)):
        chars.insert(rng.randrange(len(chars) + 1), rng.choice(WHITESPACE + list("0123456789.,'")))
    return "".join(chars)


def emoji(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 10)):
        roll = rng.random()
        if roll < 0.6:
            out.append(rng.choice(EMOJI))
        elif roll < 0.8:
            out.append(rng.choice([" ", "", "\n", "!", "  "]))
        else:
            out.append(rng.choice(ENGLISH_WORDS + list(CHINESE[:20])))
    return "".join(out)


def combining(rng: random.Random) -> str:
    base = english_sentence(rng, rng.randint(2, 8)) + " " + "".join(rng.choice(ACCENTED) for _ in range(4))
    base = unicodedata.normalize(rng.choice(["NFD", "NFKD", "NFC", "NFD"]), base)
    chars = list(base)
    for _ in range(rng.randint(0, 5)):
        chars.insert(rng.randrange(len(chars) + 1), rng.choice(COMBINING))
    text = "".join(chars)
    if rng.random() < 0.2:
        text = unicodedata.normalize("NFD", from_text(rng, KOREAN + HINDI + ARABIC, 3, 20)) + text
    return text


COMPOSING_MARKS = [chr(c) for c in range(0x300, 0x370)] + [
    "\u05b0", "\u05bc", "\u064b", "\u0651", "\u093c", "\u094d", "\u0e38", "\u0f71", "\u0f72", "\u302a", "\u3099",
    "\u309a", "\u0cd5", "\u0cc2", "\u09be", "\u09c7", "\u0b3e", "\u0dca", "\u0dcf", "\U0001d165", "\U0001d16d",
]
COMPOSING_BASES = list("aAeEoOuUiInNcCsSzZ ") + [
    "\u0391", "\u03b1", "\u0415", "\u0435", "\u0928", "\u0b47", "\u0cbf", "\u0cc6", "\u09c7", "\u0dd9", "\u304b",
    "\u30cf", "\u1100", "\u1112", "\u1161", "\u1175", "\u11a8", "\u11c2", "\uac00", "\uc640", "\ud7a3",
]


def normalization(rng: random.Random) -> str:
    """Bases with stacks of marks in any order (NFC reorders and composes) and Hangul jamo next to syllables
    (an LV syllable + trailing consonant composes to LVT)."""
    if rng.random() < 0.3:
        jamo = [lambda: chr(0xAC00 + 28 * rng.randrange(399)), lambda: chr(rng.randint(0x11A8, 0x11C2)),
                lambda: chr(rng.randint(0x1100, 0x1112)), lambda: chr(rng.randint(0x1161, 0x1175)), lambda: " "]
        return "".join(rng.choice(jamo)() for _ in range(rng.randint(2, 12)))
    return "".join(rng.choice(COMPOSING_BASES) + "".join(rng.choice(COMPOSING_MARKS) for _ in range(rng.choice([0, 0, 1, 2, 3])))
                   for _ in range(rng.randint(1, 12)))


def code(rng: random.Random) -> str:
    snippet = rng.choice(CODE_SNIPPETS)
    if rng.random() < 0.5:
        snippet = snippet.replace("    ", rng.choice(["\t", "  ", "        ", "    "]))
    if rng.random() < 0.3:
        snippet = snippet.replace("\n", "\r\n")
    if rng.random() < 0.3:
        snippet = from_text(rng, snippet, 5, len(snippet))
    return snippet


def whitespace(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        if roll < 0.45:
            out.append(rng.choice(WHITESPACE) * rng.randint(1, 6))
        elif roll < 0.55:
            out.append(" " * rng.randint(5, 80))
        elif roll < 0.75:
            out.append(rng.choice(ENGLISH_WORDS))
        elif roll < 0.85:
            out.append(rng.choice(PUNCTUATION) * rng.randint(1, 3))
        else:
            out.append(str(rng.randint(0, 99999)))
    return "".join(out)


def numbers(rng: random.Random) -> str:
    options = [
        lambda: str(rng.randint(0, 10 ** rng.randint(1, 30))),
        lambda: f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 8)}f}",
        lambda: f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/{rng.randint(1900, 2100)}",
        lambda: f"{rng.random():.3e}",
        lambda: "0x" + "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.randint(2, 16))),
        lambda: "".join(rng.choice("０１２３４５６７８９٠١٢٣٤٥٦٧٨٩०१२३४५६७८९²³½⅓ⅧⅫ①⑳") for _ in range(rng.randint(1, 8))),
        lambda: "v" + ".".join(str(rng.randint(0, 20)) for _ in range(3)),
        lambda: f"{rng.randint(1, 999)},{rng.randint(0, 999):03d},{rng.randint(0, 999):03d}",
    ]
    return rng.choice([" ", "", "\n", ", ", "x", "$"]).join(rng.choice(options)() for _ in range(rng.randint(1, 5)))


def special_tokens(rng: random.Random) -> str:
    fragments = SPECIAL_TOKENS + ["<|im_start|>user\n", "<|im_start|>assistant\n", "<|im_end|>\n", "<image>" * 3,
                                  "<|im_start", "im_end|>", "<imag", "<image >", "<<image>>", "<|endoftext|>",
                                  "<IMAGE>", "< image>", "<|im_start|><|im_end|>", "<image>\u0338"]
    out = []
    for _ in range(rng.randint(1, 8)):
        roll = rng.random()
        if roll < 0.45:
            out.append(rng.choice(fragments))
        elif roll < 0.7:
            out.append(english_sentence(rng, rng.randint(1, 6)))
        elif roll < 0.8:
            out.append(rng.choice(ENGLISH_WORDS))
        elif roll < 0.9:
            out.append(from_text(rng, CHINESE + KOREAN, 2, 10))
        else:
            out.append(rng.choice(WHITESPACE))
    return "".join(out)


def chat(rng: random.Random) -> str:
    images = "<image>" * rng.randint(0, 3)
    question = english_sentence(rng, rng.randint(3, 12))
    text = f"<|im_start|>user\n{images}\n{question}<|im_end|>\n<|im_start|>assistant\n"
    if rng.random() < 0.5:
        text = "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n" + text
    if rng.random() < 0.4:
        text += english_sentence(rng, rng.randint(3, 12)) + "<|im_end|>"
    if rng.random() < 0.3:
        text = text.replace(" <image>", "<image>").replace(question[:8], question[:8] + "<image>")
    return text


def unusual(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 12)):
        roll = rng.random()
        if roll < 0.5:
            out.append(rng.choice(UNUSUAL))
        elif roll < 0.75:
            out.append(rng.choice(ENGLISH_WORDS + ["'s", "'S", "'", "x", "1"]))
        elif roll < 0.9:
            out.append(rng.choice(WHITESPACE))
        else:
            out.append(rng.choice(PUNCTUATION))
    return "".join(out)


def random_codepoints(rng: random.Random) -> str:
    """Code points already assigned in Unicode 3.2 (every table agrees on those), surrogates excluded."""
    out = []
    length = rng.randint(1, 16)
    while len(out) < length:
        cp = rng.choice([rng.randint(0, 0x7F), rng.randint(0x80, 0x2FFF), rng.randint(0x3000, 0xFFFD),
                         rng.randint(0x10000, 0x1FFFF)])
        if 0xD800 <= cp <= 0xDFFF or unicodedata.ucd_3_2_0.category(chr(cp)) == "Cn":
            continue
        out.append(chr(cp))
    return "".join(out)


GENERATORS = [
    (prose, 1700), (contractions, 800), (multilingual, 1700), (random_script, 900), (emoji, 600), (combining, 600),
    (code, 500), (whitespace, 700), (numbers, 500), (special_tokens, 700), (chat, 300), (unusual, 700),
    (random_codepoints, 700), (normalization, 400),
]

FIXED_LINES = [
    "You are a helpful assistant.", "\n", "system", "user", "assistant", "", " ", "  ", "\r", "\r\n", "\n\n\n",
    "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n<image>\nWhat is this?<|im_end|>\n"
    "<|im_start|>assistant\n",
    "<|im_start|>user\nCompare <image> with <image>. What changed?<|im_end|>\n<|im_start|>assistant\n",
    "foo<image>bar", "<image><image><image>", "<image>\u0338", "e\u0301", "\u1100\u1161\u11a8", "\uac00\u11a8", "\uac00\u11c2\u0301", "A\u030a\u212b",
    "x'ſam it'S THEY'LL we'Re I'M you'VE she'D 'll 's", "'ſ", "'ſſ", "'ſt", "x'ſ'ſ", "'ß'ẞ'ﬅ'ﬆ'K'Å", "a" * 300, " " * 500 + "x", "\t" * 40, "\n" * 30 + "x",
    "9" * 200, "😀" * 50, "\ufffd\ufffd", "\U0010fffd", "hello\u2028world\u2029!", "¿Qué tal? ¡Bien!",
]


def corpus_lines(seed: int, scale: float) -> list[str]:
    rng = random.Random(seed)
    lines = list(FIXED_LINES)
    for generator, count in GENERATORS:
        lines.extend(generator(rng) for _ in range(max(1, int(count * scale))))
    return lines


def segment_nfc(text: str) -> str:
    """`text` with every run between special-token strings NFC-normalized (added tokens are matched before the
    normalizer, so a combining mark after `<image>` does not compose with its `>`)."""
    pattern = "|".join(re.escape(token) for token in sorted(SPECIAL_TOKENS, key=len, reverse=True))
    parts = re.split(f"({pattern})", text)
    return "".join(part if index % 2 else unicodedata.normalize("NFC", part) for index, part in enumerate(parts))


def write_corpus(path: Path, tokenizer, lines: list[str], specials_parsed: bool = True) -> None:
    """One `{"text", "ids"}` line each, plus `"decoded"` (HF's decode of the ids) where that differs from the text."""
    normalized = segment_nfc if specials_parsed else (lambda text: unicodedata.normalize("NFC", text))
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for text in lines:
            ids = tokenizer.encode(text).ids
            decoded = tokenizer.decode(ids, skip_special_tokens=False)
            if decoded != normalized(text):
                raise AssertionError(f"decode(encode({text!r})) is {decoded!r}, not the NFC text")
            line = {"text": text, "ids": ids}
            if decoded != text:
                line["decoded"] = decoded
            f.write(json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n")


def write_decode_cases(path: Path, tokenizer, seed: int, count: int) -> None:
    """Random id sequences (splitting multi-byte characters, with specials) and HF's lossy decode of them."""
    rng = random.Random(seed)
    size = tokenizer.get_vocab_size()
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for _ in range(count):
            ids = [rng.choice([rng.randrange(size), rng.randrange(256), rng.randrange(size - 4, size)])
                   for _ in range(rng.randint(1, 12))]
            skip = rng.random() < 0.5
            text = tokenizer.decode(ids, skip_special_tokens=skip)
            f.write(json.dumps({"ids": ids, "skip_special_tokens": skip, "text": text}, ensure_ascii=False,
                               separators=(",", ":")) + "\n")


def write_special_as_text(path: Path, tokenizer, seed: int, count: int) -> None:
    """Lines with special-token text, encoded with specials *not* parsed (`encode_special_tokens = True`)."""
    rng = random.Random(seed)
    tokenizer.encode_special_tokens = True
    try:
        lines = [special_tokens(rng) for _ in range(count)] + [chat(rng) for _ in range(count)]
        write_corpus(path, tokenizer, lines, specials_parsed=False)
    finally:
        tokenizer.encode_special_tokens = False


def write_pretokenize_cases(path: Path, tokenizer, lines: list[str]) -> None:
    """NFC-normalized lines and the pieces HF's Qwen2 pre-tokenizer splits them into (checks the regex itself,
    including splits that BPE happens to make invisible in the ids, such as the "'ſ" contraction)."""
    with path.open("w", encoding="utf-8", newline="\n") as f:
        for text in lines:
            normalized = tokenizer.normalizer.normalize_str(text)
            pieces = [normalized[start:end] for _, (start, end) in tokenizer.pre_tokenizer.pre_tokenize_str(normalized)]
            if "".join(pieces) != normalized:
                raise AssertionError(f"pieces do not tile {normalized!r}")
            f.write(json.dumps({"text": normalized, "pieces": pieces}, ensure_ascii=False, separators=(",", ":")) + "\n")


def write_gzip(source: Path, target: Path) -> None:
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(source.read_bytes())
    target.write_bytes(buffer.getvalue())


def main() -> None:
    qwen_dir, tiny_dir = OUT / "qwen", OUT / "tiny"
    qwen_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        qwen = write_tokenizer_dir(tmp)
        write_gzip(Path(tmp) / "tokenizer.json", qwen_dir / "tokenizer.json.gz")
        shutil.copy(Path(tmp) / "tokenizer_config.json", qwen_dir / "tokenizer_config.json")
    write_corpus(OUT / "corpus.jsonl", qwen, corpus_lines(seed=20240624, scale=1.0))
    write_decode_cases(OUT / "decode.jsonl", qwen, seed=5, count=400)
    write_special_as_text(OUT / "special_as_text.jsonl", qwen, seed=11, count=100)
    write_pretokenize_cases(OUT / "pretokenize.jsonl", qwen, corpus_lines(seed=3, scale=0.12))

    tiny = write_tokenizer_dir(tiny_dir, max_rank=512)
    write_corpus(tiny_dir / "corpus.jsonl", tiny, corpus_lines(seed=7, scale=0.03))

    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(f"{path.relative_to(REPO)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
