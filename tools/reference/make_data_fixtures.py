#!/usr/bin/env python3
"""Reference fixtures for `loom data tokenize`: M4-Instruct training records and the `input_ids` / `labels` that the
three label conventions of /work/shared/spec/data.md §4 give for them.

Run on demand (not by CI):  /tmp/venv-data/bin/python tools/reference/make_data_fixtures.py
Environment:  python3 -m venv /tmp/venv-data
              /tmp/venv-data/bin/pip install transformers==5.24.0 tokenizers==0.23.3 jinja2==3.1.6   (no torch)
Tokenizer:    the full-vocabulary Qwen2 tokenizer in Tests/Fixtures/tokenizer/qwen/ (`<|endoftext|>` 151643,
              `<|im_start|>` 151644, `<|im_end|>` 151645, `<image>` 151646 special; "\\n" = 198). If tokenizer.json is
              missing it is gunzipped from tokenizer.json.gz.

Writes Tests/Fixtures/data/tokenize/
- records.json          a JSON array, one record per line, in the M4-Instruct schema (data.md §2): `sample_id`
                        (unique here, 0…), `image` (list of paths; a plain string for some single-image records, as
                        classic LLaVA data has) or `video` (folder id, plus `id`) or neither (text-only),
                        `conversations`, `choice_list` (null), `metadata`. Generated procedurally with
                        random.Random(SEED); the `<image>` count over the human turns equals the image count (1 for a
                        video); gpt turns never hold `<image>`.
- llava-next.jsonl      one line per record, in record order: {"sample_id", "input_ids", "labels"}. The CURRENT
                        LLaVA-NeXT code (LLaVA-VL/LLaVA-NeXT df17966 = HEAD of the local mirror,
                        llava/train/train.py): `preprocess_multimodal` (l.381–406; is_multimodal True,
                        mm_use_im_start_end False, version not mmtag) for records with `image` or `video`, then
                        `preprocess_qwen` (l.563–637) with has_image = "image" in record or "video" in record.
- llava-next-0614.jsonl the same after `preprocess_multimodal`, but with `preprocess_qwen` of cd43711 (2024-06-14,
                        l.550–602). Records where that code is ill-defined (a human turn holding N ≥ 1 markers that
                        does not start with "<image>" * N after preprocess_multimodal — the code strips 7·N leading
                        characters and would silently corrupt the text) get {"sample_id", "error": "ill-defined"}.
- hf.jsonl              the Hugging Face / lmms-finetune convention (zjysteven/lmms-finetune
                        collators/llava_interleave.py): turns by position (even → user: text with the markers removed
                        and .strip()ped, then one image part per marker; odd → assistant: text unchanged), no system
                        prompt, lmms-finetune's template (hf_template.jinja) via apply_chat_template(...,
                        return_assistant_tokens_mask=True); labels = id where assistant_masks is 1 else -100; then
                        every 151646 in input_ids becomes -200. A video counts as one image. A record lmms-finetune rejects (its
                        assert: markers in even-position turns == images) gets {"sample_id", "error": "ill-defined"}.
- hf_template.jinja     that template, verbatim.

In every preset each image (or video) is ONE -200 in input_ids (IMAGE_TOKEN_INDEX, not expanded), masked labels
are -100 (IGNORE_INDEX).

Deviations from the authors' code (behaviour unchanged):
- torch tensors are replaced by Python lists; one record is processed at a time (sources = [conversations]).
- transformers 5 has no `tokenizer.additional_special_tokens_ids`; `im_start, im_end` are taken as
  convert_tokens_to_ids("<|im_start|>"), convert_tokens_to_ids("<|im_end|>") = 151644, 151645 (the two tokens
  tokenizer_config.json lists as additional_special_tokens, in that order).
- transformers 5's apply_chat_template returns a BatchEncoding by default; HEAD's calls pass tokenize=True,
  return_dict=False to get the flat id list that transformers 4 returned.
- HEAD deep-copies the tokenizer on every call; here the copy is made once per has_image value and reused (the
  copy is never modified after that, and `<image>` is already a special token of this tokenizer, so add_tokens is
  a no-op either way).
"""
import copy
import gzip
import json
import random
import re
import shutil
import sys
from pathlib import Path

from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parents[2]
TOKENIZER_DIR = ROOT / "Tests" / "Fixtures" / "tokenizer" / "qwen"
OUT = ROOT / "Tests" / "Fixtures" / "data" / "tokenize"
SEED = 20240616

IGNORE_INDEX = -100
IMAGE_TOKEN_INDEX = -200
DEFAULT_IMAGE_TOKEN = "<image>"
DEFAULT_IM_START_TOKEN = "<im_start>"
DEFAULT_IM_END_TOKEN = "<im_end>"
IMAGE_TOKEN_ID = 151646

# lmms-finetune collators/llava_interleave.py, verbatim.
HF_TEMPLATE = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n'}}"
    "{# Render all images first #}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}"
    "{{ '<image>' }}"
    "{% endfor %}"
    "{# Render all text next #}"
    "{% if message['role'] != 'assistant' %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{{ '\n' + content['text'] }}"
    "{% endfor %}"
    "{% else %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{% generation %}"
    "{{ '\n' + content['text'] }}"
    "{{'<|im_end|>' + '\n'}}"
    "{% endgeneration %}"
    "{% endfor %}"
    "{% endif %}"
    "{% if message['role'] != 'assistant' %}"
    "{{'<|im_end|>' + '\n'}}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\n' }}"
    "{% endif %}"
)


class DataArguments:
    is_multimodal = True
    mm_use_im_start_end = False


class _Conv:
    version = "qwen_1_5"  # not mmtag


class conversation_lib:  # noqa: N801 - mimics `llava.conversation` as used by preprocess_multimodal
    default_conversation = _Conv()


# ---------------------------------------------------------------------------------------------------------------
# LLaVA-NeXT HEAD (df17966) llava/train/train.py l.381-406, verbatim.
def preprocess_multimodal(sources, data_args):
    is_multimodal = data_args.is_multimodal
    if not is_multimodal:
        return sources

    for source in sources:
        for sentence in source:
            # TODO maybe this should be changed for interleaved data?
            # if DEFAULT_IMAGE_TOKEN in sentence["value"] and not sentence["value"].startswith(DEFAULT_IMAGE_TOKEN):
            # only check for num_im=1
            num_im = len(re.findall(DEFAULT_IMAGE_TOKEN, sentence["value"]))
            if num_im == 1 and DEFAULT_IMAGE_TOKEN in sentence["value"] and not sentence["value"].startswith(DEFAULT_IMAGE_TOKEN):
                sentence["value"] = sentence["value"].replace(DEFAULT_IMAGE_TOKEN, "").strip()
                sentence["value"] = DEFAULT_IMAGE_TOKEN + "\n" + sentence["value"]
                sentence["value"] = sentence["value"].strip()
                if "mmtag" in conversation_lib.default_conversation.version:
                    sentence["value"] = sentence["value"].replace(DEFAULT_IMAGE_TOKEN, "<Image>" + DEFAULT_IMAGE_TOKEN + "</Image>")
            replace_token = DEFAULT_IMAGE_TOKEN
            if data_args.mm_use_im_start_end:
                replace_token = DEFAULT_IM_START_TOKEN + replace_token + DEFAULT_IM_END_TOKEN
            sentence["value"] = sentence["value"].replace(DEFAULT_IMAGE_TOKEN, replace_token)

            # For videoInstruct-100k noisy_data. TODO: Ask Yuanhan to clean the data instead of leaving the noise code here.
            sentence["value"] = sentence["value"].replace("QA_GT_caption_based_noisy", "")

    return sources


# ---------------------------------------------------------------------------------------------------------------
# LLaVA-NeXT HEAD (df17966) llava/train/train.py l.563-637 (torch removed; see the docstring for the deviations).
_TOKENIZER_COPIES = {}


def _copied_tokenizer(tokenizer, has_image):
    key = (id(tokenizer), has_image)
    if key not in _TOKENIZER_COPIES:
        # Add image tokens to tokenizer as a special tokens
        # Use a deepcopy of tokenizer so that we don't modify on the tokenizer
        tok = copy.deepcopy(tokenizer)
        # When there is actually an image, we add the image tokens as a special token
        if has_image:
            tok.add_tokens(["<image>"], special_tokens=True)
        _TOKENIZER_COPIES[key] = tok
    return _TOKENIZER_COPIES[key]


def preprocess_qwen_head(sources, tokenizer, has_image=False, max_len=2048, system_message="You are a helpful assistant."):
    # roles = {"human": "<|im_start|>user", "gpt": "<|im_start|>assistant"}
    roles = {"human": "user", "gpt": "assistant"}

    tokenizer = _copied_tokenizer(tokenizer, has_image)

    image_token_index = tokenizer.convert_tokens_to_ids("<image>")
    # transformers 5: no additional_special_tokens_ids
    im_start, im_end = tokenizer.convert_tokens_to_ids("<|im_start|>"), tokenizer.convert_tokens_to_ids("<|im_end|>")
    # unmask_tokens = ["<|im_start|>", "<|im_start|>", "\n"]
    unmask_tokens_idx = [198, im_start, im_end]
    nl_tokens = tokenizer("\n").input_ids  # noqa: F841 (unused in the original too)

    # Reset Qwen chat templates so that it won't include system message every time we apply
    chat_template = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
    tokenizer.chat_template = chat_template

    def apply(messages):  # transformers 5: ask for the flat id list of transformers 4
        ids = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=False)
        assert isinstance(ids, list) and all(isinstance(x, int) for x in ids)
        return ids

    # Apply prompt templates
    input_ids, targets = [], []
    for i, source in enumerate(sources):
        if roles[source[0]["from"]] != roles["human"]:
            source = source[1:]

        input_id, target = [], []

        # New version, use apply chat template
        # Build system message for each sentence
        input_id += apply([{"role": "system", "content": system_message}])
        target += [IGNORE_INDEX] * len(input_id)

        for conv in source:
            # Make sure llava data can load
            try:
                role = conv["role"]
                content = conv["content"]
            except KeyError:
                role = conv["from"]
                content = conv["value"]

            role = roles.get(role, role)

            conv = [{"role": role, "content": content}]
            encode_id = apply(conv)
            input_id += encode_id
            if role in ["user", "system"]:
                target += [IGNORE_INDEX] * len(encode_id)
            else:
                target += encode_id

        assert len(input_id) == len(target), f"{len(input_id)} != {len(target)}"
        for idx, encode_id in enumerate(input_id):
            if encode_id in unmask_tokens_idx:
                target[idx] = encode_id
            if encode_id == image_token_index:
                input_id[idx] = IMAGE_TOKEN_INDEX
        input_ids.append(input_id)
        targets.append(target)

    return dict(input_ids=input_ids, labels=targets)


# ---------------------------------------------------------------------------------------------------------------
# LLaVA-NeXT cd43711 (2024-06-14) llava/train/train.py l.550-602 (torch removed, im_start/im_end as above).
def preprocess_qwen_0614(sources, tokenizer, has_image=False, max_len=2048, system_message="You are a helpful assistant."):
    roles = {"human": "<|im_start|>user", "gpt": "<|im_start|>assistant"}

    im_start, im_end = tokenizer.convert_tokens_to_ids("<|im_start|>"), tokenizer.convert_tokens_to_ids("<|im_end|>")
    nl_tokens = tokenizer("\n").input_ids
    _system = tokenizer("system").input_ids + nl_tokens
    _user = tokenizer("user").input_ids + nl_tokens  # noqa: F841
    _assistant = tokenizer("assistant").input_ids + nl_tokens  # noqa: F841

    # Apply prompt templates
    input_ids, targets = [], []
    for i, source in enumerate(sources):
        if roles[source[0]["from"]] != roles["human"]:
            source = source[1:]

        input_id, target = [], []
        system = [im_start] + _system + tokenizer(system_message).input_ids + [im_end] + nl_tokens
        input_id += system
        target += [im_start] + [IGNORE_INDEX] * (len(system) - 3) + [im_end] + nl_tokens
        assert len(input_id) == len(target)
        for j, sentence in enumerate(source):
            role = roles[sentence["from"]]
            if has_image and "<image>" in sentence["value"]:
                num_im = len(re.findall(DEFAULT_IMAGE_TOKEN, sentence["value"]))
                # multi image can start with text first
                if num_im == 1:
                    assert sentence["value"].startswith("<image>"), print(sentence["value"])
                matches = re.findall("<image>", sentence["value"])
                num_image = len(matches)
                _input_id = tokenizer(role).input_ids + nl_tokens + [IMAGE_TOKEN_INDEX] * num_image + nl_tokens + tokenizer(sentence["value"][len("<image>") * num_image :]).input_ids + [im_end] + nl_tokens
            else:
                _input_id = tokenizer(role).input_ids + nl_tokens + tokenizer(sentence["value"]).input_ids + [im_end] + nl_tokens
            input_id += _input_id
            if role == "<|im_start|>user":
                _target = [im_start] + [IGNORE_INDEX] * (len(_input_id) - 3) + [im_end] + nl_tokens
            elif role == "<|im_start|>assistant":
                _target = [im_start] + [IGNORE_INDEX] * len(tokenizer(role).input_ids) + _input_id[len(tokenizer(role).input_ids) + 1 : -2] + [im_end] + nl_tokens
            else:
                raise NotImplementedError
            target += _target
        assert len(input_id) == len(target)
        input_ids.append(input_id)
        targets.append(target)

    return dict(input_ids=input_ids, labels=targets)


def ill_defined_0614(sources):
    """True when some human turn with N >= 1 markers does not start with "<image>" * N (after preprocess_multimodal)."""
    for source in sources:
        for sentence in source:
            n = sentence["value"].count(DEFAULT_IMAGE_TOKEN)
            if sentence["from"] == "human" and n >= 1 and not sentence["value"].startswith(DEFAULT_IMAGE_TOKEN * n):
                return True
    return False


# ---------------------------------------------------------------------------------------------------------------
# The three presets for one record (mirrors LazySupervisedDataset._get_item l.1137-1244 up to `preprocess`).
def sources_of(record):
    if "image" in record or "video" in record:
        return preprocess_multimodal(copy.deepcopy([record["conversations"]]), DataArguments())
    return copy.deepcopy([record["conversations"]])


def has_image_of(record):
    return ("image" in record) or ("video" in record)


def image_count(record):
    if "video" in record:
        return 1
    if "image" not in record:
        return 0
    return 1 if isinstance(record["image"], str) else len(record["image"])


def preset_llava_next(record, tokenizer):
    out = preprocess_qwen_head(sources_of(record), tokenizer, has_image=has_image_of(record))
    return out["input_ids"][0], out["labels"][0]


def preset_llava_next_0614(record, tokenizer):
    sources = sources_of(record)
    if ill_defined_0614(sources):
        return None
    out = preprocess_qwen_0614(sources, tokenizer, has_image=has_image_of(record))
    return out["input_ids"][0], out["labels"][0]


def preset_hf(record, tokenizer):
    """lmms-finetune asserts `len(cur_images) == cur_num_images` (markers counted in even turns only): a record
    failing it (markers in an odd-position turn, e.g. a record that starts with a gpt turn) is an error (None)."""
    used = sum(t["value"].count(DEFAULT_IMAGE_TOKEN) for i, t in enumerate(record["conversations"]) if i % 2 == 0)
    if used != image_count(record):
        return None
    messages = []
    for i, turn in enumerate(record["conversations"]):
        text = turn["value"]
        if i % 2 == 0:
            content = [{"type": "text", "text": text.replace(DEFAULT_IMAGE_TOKEN, "").strip()}]
            content += [{"type": "image"}] * text.count(DEFAULT_IMAGE_TOKEN)
            messages.append({"role": "user", "content": content})
        else:
            messages.append({"role": "assistant", "content": [{"type": "text", "text": text}]})
    enc = tokenizer.apply_chat_template(
        messages, chat_template=HF_TEMPLATE, add_generation_prompt=False, tokenize=True,
        return_assistant_tokens_mask=True, return_dict=True)
    ids = list(enc["input_ids"])
    mask = list(enc["assistant_masks"])
    assert len(ids) == len(mask)
    labels = [t if m == 1 else IGNORE_INDEX for t, m in zip(ids, mask)]
    for k, t in enumerate(ids):
        if t == IMAGE_TOKEN_ID:
            ids[k] = IMAGE_TOKEN_INDEX
    return ids, labels


# ---------------------------------------------------------------------------------------------------------------
# Record generation.
ZIPS = ["AESOP", "ALFRED", "Birds-to-Words", "CLEVR-Change", "COMICS_Dialogue", "DocVQA", "FlintstonesSV", "HQ-Edit",
        "IEdit", "MagicBrush", "OCR-VQA", "PororoSV", "RecipeQA_VisualCloze", "Spot-the-Diff", "TQA", "VISION", "VIST",
        "VizWiz", "WebQA", "coinstruct", "contrastive_caption", "dreamsim", "iconqa", "imagecode", "mmchat",
        "multi_vqa", "nextqa", "nlvr2", "nuscenes", "scannet_frames_25k", "star"]
DATASETS = {"HQ-Edit": "HQ-Edit-Diff", "Spot-the-Diff": "Spot-the-Diff", "nlvr2": "NLVR2", "coinstruct": "Coinstruct",
            "scannet_frames_25k": "ScanQA", "nuscenes": "Nuscenes", "ALFRED": "ALFRED", "nextqa": "NExT-QA",
            "star": "STAR", "VIST": "VIST", "iconqa": "IconQA", "MagicBrush": "MagicBrush"}
QUESTIONS = [
    "What changed?",
    "What's the detailed difference between the 2 images? Please list in detail.",
    "Which image shows the larger dog?",
    "Describe the scene.",
    "Is the statement true or false? The left image contains exactly two cups.",
    "What is the relationship between these pictures?",
    "Where is the chair relative to the bed?",
    "Which one has better sharpness and fewer artifacts?",
    "Write a short story that connects the pictures.",
    "How many people are there in total?",
    "What should the robot do next?",
    "Answer with the option's letter from the given choices directly. A. red B. blue C. green",
]
ANSWERS = [
    "The cup moved.",
    "The differences between the two images are:\n\n1. In the second image, leaves are falling.\n2. The ground is covered.",
    "The second one.",
    "A kitchen with a wooden table, two chairs and a window.",
    "True",
    "B",
    "They show the same street at different times of day.",
    "The chair is to the left of the bed.",
    "Once upon a time, a cat found a box.\nIt climbed inside.\n\nThe end.",
    "There are 7 people.",
    "Pick up the mug and place it in the sink.",
    "Image 2 is sharper.",
]
NON_ASCII = [
    "这两张图片有什么不同？",
    "图中的猫在做什么？请详细描述。",
    "第二张图片里有一只狗。",
    "日本語のテキストです。写真を説明してください。",
    "Café au lait, s'il vous plaît — très bien.",
    "Ñandú, façade, naïve, Zürich, São Paulo.",
    "ما الفرق بين الصورتين؟",
    "الصورة الثانية أكثر سطوعًا.",
    "🐱🐶 Which one is cuter? 😀",
    "👩‍💻 coding at night 🌙✨",
    "Cafe\u0301 with a combining accent.",
    "Привет! Что изображено на картинке?",
    "한국어 질문입니다?",
    "🇫🇷 flag and 👍🏽 thumbs up.",
]
NEWLINE_TEXTS = [
    "First line.\nSecond line.",
    "Paragraph one.\n\nParagraph two.",
    "Ends with a newline.\n",
    "\nStarts with a newline.",
    "\n\nTwo leading newlines.",
    "Trailing spaces \n and more.",
    "A list:\n- one\n- two\n- three",
    "Three\n\n\nnewlines.",
    "Windows\r\nline ending.",
    "Tab\tseparated\ttext.",
    "Mixed \n\n \n whitespace.",
    "Question?\n",
    ".\n",
    " \n",
    "\n \n",
]
WHITESPACE = ["", " ", "  ", "\n", "\n\n", " \n ", "\t", "\u00a0", "\u3000"]
NOISY = "QA_GT_caption_based_noisy"


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.records = []

    def paths(self, n):
        z = self.rng.choice(ZIPS)
        start = self.rng.randint(1, 99000)
        return z, [f"{z}/images/{start + k}.jpg" for k in range(n)]

    def q(self):
        return self.rng.choice(QUESTIONS)

    def a(self):
        return self.rng.choice(ANSWERS)

    def front(self, n, text, sep="\n"):
        return DEFAULT_IMAGE_TOKEN * n + sep + text

    def interleaved(self, n, text):
        style = self.rng.randrange(4)
        if style == 0:
            parts = [f"Image {k + 1}: <image>" for k in range(n)]
            return " and ".join(parts) + ". " + text
        if style == 1:
            return "".join(f"Image {k + 1}: <image>\n" for k in range(n)) + text
        if style == 2:
            return text + " " + " ".join("<image>" for _ in range(n))
        return "Compare " + ", ".join("<image>" for _ in range(n)) + " carefully. " + text

    def add(self, convs, n_images=0, image_as_string=False, video=None, dataset=None, zipname=None, paths=None):
        sid = len(self.records)
        rec = {"sample_id": sid}
        if video is not None:
            rec["video"] = video
            rec["id"] = f"{video}_{self.rng.randint(0, 9)}"
        elif n_images:
            if paths is None:
                zipname, paths = self.paths(n_images)
            assert len(paths) == n_images
            rec["image"] = paths[0] if image_as_string else paths
        rec["conversations"] = [{"from": f, "value": v} for f, v in convs]
        rec["choice_list"] = None
        if dataset is None:
            dataset = "Video_VQA_Captioning" if video is not None else DATASETS.get(zipname, zipname or "text-only")
        rec["metadata"] = {
            "dataset": dataset,
            "split": "train",
            "num_sample": 255000 if video is not None else self.rng.randint(1000, 99999),
            "task_instruction": "" if video is not None else self.rng.choice(["", "What's the difference between 2 images?", "Answer the question."]),
            "question_type": self.rng.choice(["open-ended", "multi-choice"]),
        }
        # consistency
        markers = sum(v.count(DEFAULT_IMAGE_TOKEN) for f, v in convs if f == "human")
        assert all(DEFAULT_IMAGE_TOKEN not in v for f, v in convs if f == "gpt")
        assert markers == image_count(rec), (markers, rec)
        self.records.append(rec)

    def video_id(self):
        chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
        return "v_" + "".join(self.rng.choice(chars) for _ in range(11)) + f"-Scene-{self.rng.randint(1, 99):03d}"

    def human_turn(self, n, allow_ill=True):
        """A human turn with n markers, in a random style."""
        q = self.q()
        if n == 0:
            return q
        styles = ["front", "front_nonl", "single_moved"] if not allow_ill else \
            ["front", "front_nonl", "front_sep", "interleaved", "single_moved"]
        s = self.rng.choice(styles)
        if s == "front":
            return self.front(n, q)
        if s == "front_nonl":
            return self.front(n, q, sep=self.rng.choice(["", " ", "\n\n"]))
        if s == "front_sep" and n > 1:
            return "<image>\n" * n + q
        if s == "interleaved" and n > 1:
            return self.interleaved(n, q)
        if n == 1:
            return self.interleaved(1, q)  # single marker not at the start (moved by preprocess_multimodal)
        return self.front(n, q)

    def generate(self):
        r = self.rng
        # 1. front style, several images, "<image>"*N + "\n" + question
        for _ in range(30):
            n = r.randint(2, 6)
            self.add([("human", self.front(n, self.q())), ("gpt", self.a())], n)
        # 2. front style without a newline / with other separators
        for _ in range(12):
            n = r.randint(1, 6)
            self.add([("human", self.front(n, self.q(), sep=r.choice(["", " ", "\n\n", "\n \n", ":\n"]))), ("gpt", self.a())], n)
        # 3. single image in front; half of them with `image` as a plain string (classic LLaVA)
        for k in range(20):
            self.add([("human", self.front(1, self.q(), sep=r.choice(["\n", "\n", "\n\n", ""]))), ("gpt", self.a())], 1,
                     image_as_string=(k % 2 == 0), zipname="coco", paths=[f"coco/train2017/{r.randint(1, 581929):012d}.jpg"])
        # 4. single image not at the start (preprocess_multimodal moves it)
        for k in range(20):
            q = self.q()
            v = r.choice([q + " <image>", q + "\n<image>", "Look at this: <image> " + q, " <image>\n" + q,
                          q + " <image>\n\n", "\n<image>\n" + q, "Image 1: <image>. " + q, q + "<image>" + self.a()])
            self.add([("human", v), ("gpt", self.a())], 1, image_as_string=(k % 3 == 0))
        # 5. front style with a newline between markers ("<image>\n<image>\n...") — ill-defined under 0614
        for _ in range(15):
            n = r.randint(2, 6)
            sep = r.choice(["\n", "\n", " ", "\n\n"])
            self.add([("human", sep.join([DEFAULT_IMAGE_TOKEN] * n) + "\n" + self.q()), ("gpt", self.a())], n)
        # 6. interleaved
        for _ in range(25):
            n = r.randint(2, 6)
            self.add([("human", self.interleaved(n, self.q())), ("gpt", self.a())], n)
        # 7. spaces around markers
        for _ in range(10):
            n = r.randint(1, 4)
            v = r.choice([" " + " ".join([DEFAULT_IMAGE_TOKEN] * n) + " \n" + self.q(),
                          " ".join([DEFAULT_IMAGE_TOKEN] * n) + "\n" + self.q(),
                          DEFAULT_IMAGE_TOKEN * n + "  " + self.q() + "  ",
                          "  " + DEFAULT_IMAGE_TOKEN * n + "\n" + self.q()])
            self.add([("human", v), ("gpt", self.a())], n)
        # 8. multi-turn, 2-4 rounds, images only in some human turns
        for k in range(48):
            rounds = r.randint(2, 4)
            counts = [r.choice([0, 0, 1, 2, 3]) for _ in range(rounds)]
            if sum(counts) == 0:
                counts[r.randrange(rounds)] = r.randint(1, 3)
            allow_ill = k % 3 == 0
            convs = []
            for c in counts:
                convs.append(("human", self.human_turn(c, allow_ill)))
                convs.append(("gpt", self.a()))
            self.add(convs, sum(counts))
        # 9. empty and whitespace-only turns
        for k in range(30):
            ws = r.choice(WHITESPACE)
            kind = k % 6
            if kind == 0:    # empty / whitespace human text after the markers
                n = r.randint(1, 3)
                self.add([("human", DEFAULT_IMAGE_TOKEN * n + ws), ("gpt", self.a())], n)
            elif kind == 1:  # whitespace gpt answer
                n = r.randint(1, 3)
                self.add([("human", self.front(n, self.q())), ("gpt", ws)], n)
            elif kind == 2:  # whitespace human turn in a later round
                self.add([("human", self.front(1, self.q())), ("gpt", self.a()), ("human", ws), ("gpt", ws)], 1)
            elif kind == 3:  # a lone marker padded with whitespace (single: moved and stripped)
                self.add([("human", ws + DEFAULT_IMAGE_TOKEN + ws), ("gpt", self.a())], 1)
            elif kind == 4:  # text-only with empty turns
                self.add([("human", ws), ("gpt", r.choice(WHITESPACE))])
            else:            # whitespace around the question (HF strips, LLaVA-NeXT keeps)
                self.add([("human", self.front(2, ws + self.q() + ws)), ("gpt", ws + self.a() + ws)], 2)
        # 10. newlines that merge with neighbouring characters
        for k in range(30):
            t = r.choice(NEWLINE_TEXTS)
            kind = k % 5
            if kind == 0:
                self.add([("human", "<image>\n\n" + t), ("gpt", r.choice(NEWLINE_TEXTS))], 1)
            elif kind == 1:
                n = r.randint(2, 4)
                self.add([("human", self.front(n, t)), ("gpt", self.a() + r.choice(["\n", ".\n", " \n", "\n\n"]))], n)
            elif kind == 2:
                self.add([("human", t + "<image>"), ("gpt", t)], 1)
            elif kind == 3:
                self.add([("human", t), ("gpt", r.choice(NEWLINE_TEXTS)), ("human", "<image>" + t), ("gpt", t)], 1)
            else:
                self.add([("human", "\n" + t + "\n"), ("gpt", "\n" + self.a() + "\n")])
        # 11. non-ASCII text
        for k in range(30):
            t = r.choice(NON_ASCII)
            n = r.choice([0, 1, 1, 2, 3])
            if n == 0:
                v = t
            elif k % 4 == 0 and n > 1:
                v = self.interleaved(n, t)
            elif k % 4 == 1:
                v = t + " <image>" if n == 1 else self.front(n, t)
            else:
                v = self.front(n, t, sep=r.choice(["\n", "\n", "", "\u3000"]))
            self.add([("human", v), ("gpt", r.choice(NON_ASCII))], n)
        # 12. records that start with a gpt turn
        for k in range(15):
            n = 0 if k % 3 == 0 else r.randint(1, 3)
            convs = [("gpt", self.a()), ("human", self.front(n, self.q()) if n else self.q()), ("gpt", self.a())]
            if k % 2 == 1:
                convs += [("human", self.q()), ("gpt", self.a())]
            self.add(convs, n)
        # 13. text-only records (no image, no video)
        for k in range(25):
            rounds = r.randint(1, 3)
            convs = []
            for _ in range(rounds):
                convs += [("human", self.q() if k % 4 else self.q() + " " + NOISY), ("gpt", self.a())]
            self.add(convs, dataset=r.choice(["ShareGPT", "text-only"]))
        # 14. video records (one marker for the whole video)
        for k in range(30):
            q = self.q()
            kind = k % 5
            if kind == 0:
                v = "<image>\n" + q
            elif kind == 1:
                v = q + "\n<image>"                       # moved to the front
            elif kind == 2:
                v = "<image>\n" + q + " " + NOISY         # removed by preprocess_multimodal
            elif kind == 3:
                v = "<image>" + r.choice(NON_ASCII)
            else:
                v = "<image>\n" + r.choice(NEWLINE_TEXTS)
            convs = [("human", v), ("gpt", self.a() if kind != 2 else NOISY + " " + self.a())]
            if k % 3 == 0:
                convs += [("human", self.q()), ("gpt", self.a())]
            self.add(convs, video=self.video_id())
        # 15. the noisy-caption tag in image records
        for k in range(5):
            n = r.randint(1, 3)
            self.add([("human", self.front(n, NOISY + self.q())), ("gpt", self.a() + NOISY)], n)
        return self.records


# ---------------------------------------------------------------------------------------------------------------
def load_tokenizer():
    tj = TOKENIZER_DIR / "tokenizer.json"
    if not tj.exists():
        with gzip.open(TOKENIZER_DIR / "tokenizer.json.gz", "rb") as src, open(tj, "wb") as dst:
            shutil.copyfileobj(src, dst)
    tok = AutoTokenizer.from_pretrained(str(TOKENIZER_DIR))
    assert tok.convert_tokens_to_ids("<|endoftext|>") == 151643
    assert tok.convert_tokens_to_ids("<|im_start|>") == 151644
    assert tok.convert_tokens_to_ids("<|im_end|>") == 151645
    assert tok.convert_tokens_to_ids("<image>") == IMAGE_TOKEN_ID
    assert tok("\n").input_ids == [198]
    assert tok("").input_ids == []
    return tok


def check_worked_example(tok):
    """data.md §4.2: human `<image><image>\\nWhat changed?`, gpt `The cup moved.` under llava-next."""
    rec = {"sample_id": -1, "image": ["a.jpg", "b.jpg"],
           "conversations": [{"from": "human", "value": "<image><image>\nWhat changed?"},
                             {"from": "gpt", "value": "The cup moved."}]}
    ids, labels = preset_llava_next(rec, tok)
    M = IGNORE_INDEX
    w = lambda s: tok(s).input_ids  # noqa: E731
    sys_text, what, cup = w("You are a helpful assistant."), w("What changed?"), w("The cup moved.")
    assert w("system") == [8948] and w("user") == [872] and w("assistant") == [77091]
    assert sys_text == w("You") + w(" are") + w(" a") + w(" helpful") + w(" assistant") + w(".")
    assert what == w("What") + w(" changed") + w("?") and cup == w("The") + w(" cup") + w(" moved") + w(".")
    exp_ids = ([151644, 8948, 198] + sys_text + [151645, 198]
               + [151644, 872, 198, -200, -200, 198] + what + [151645, 198]
               + [151644, 77091, 198] + cup + [151645, 198])
    exp_labels = ([151644, M, 198] + [M] * len(sys_text) + [151645, 198]
                  + [151644, M, 198, M, M, 198] + [M] * len(what) + [151645, 198]
                  + [151644, 77091, 198] + cup + [151645, 198])
    assert ids == exp_ids, (ids, exp_ids)
    assert labels == exp_labels, (labels, exp_labels)
    # 0614 (data.md §4.3): `IMG IMG 198 198 What…`, "assistant\n" masked.
    ids0, labels0 = preset_llava_next_0614(rec, tok)
    exp0 = ([151644, 8948, 198] + sys_text + [151645, 198]
            + [151644, 872, 198, -200, -200, 198, 198] + what + [151645, 198]
            + [151644, 77091, 198] + cup + [151645, 198])
    exp0_labels = ([151644] + [M] * (len(sys_text) + 2) + [151645, 198]
                   + [151644] + [M] * (6 + len(what)) + [151645, 198]
                   + [151644, M, M] + cup + [151645, 198])
    assert ids0 == exp0 and labels0 == exp0_labels, (ids0, labels0)
    # HF / lmms-finetune: images first, "\n" + answer + <|im_end|>\n supervised. The template's "assistant\n" and
    # the generation block's leading "\n" merge into one token "\n\n" (271), which the assistant mask includes.
    idsh, labelsh = preset_hf(rec, tok)
    assert w("\n\n") == [271]
    exph = ([151644, 872, 198, -200, -200, 198] + what + [151645, 198]
            + [151644, 77091, 271] + cup + [151645, 198])
    exph_labels = [M] * (8 + len(what)) + [M, M] + [271] + cup + [151645, 198]
    assert idsh == exph and labelsh == exph_labels, (idsh, labelsh)


def dump_line(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def main():
    tok = load_tokenizer()
    check_worked_example(tok)
    records = Gen(SEED).generate()
    assert len(records) >= 320
    assert len({r["sample_id"] for r in records}) == len(records)

    presets = {"llava-next": [], "llava-next-0614": [], "hf": []}
    ill = 0
    for rec in records:
        n_img = image_count(rec)
        results = {"llava-next": preset_llava_next(rec, tok), "llava-next-0614": preset_llava_next_0614(rec, tok),
                   "hf": preset_hf(rec, tok)}
        for name, res in results.items():
            if res is None:
                ill += 1
                presets[name].append({"sample_id": rec["sample_id"], "error": "ill-defined"})
                continue
            ids, labels = res
            assert len(ids) == len(labels), (name, rec["sample_id"])
            assert ids.count(IMAGE_TOKEN_INDEX) == n_img, (name, rec["sample_id"], ids.count(IMAGE_TOKEN_INDEX), n_img)
            assert IMAGE_TOKEN_ID not in ids
            assert all(l == IGNORE_INDEX for t, l in zip(ids, labels) if t == IMAGE_TOKEN_INDEX)
            assert all(l == IGNORE_INDEX or l == t for t, l in zip(ids, labels))
            presets[name].append({"sample_id": rec["sample_id"], "input_ids": ids, "labels": labels})
    assert ill >= 20 and len(records) - ill >= 150, ill

    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir(parents=True)
    with open(OUT / "records.json", "w", encoding="utf-8") as f:
        f.write("[\n" + ",\n".join(dump_line(r) for r in records) + "\n]\n")
    for name, rows in presets.items():
        with open(OUT / f"{name}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(dump_line(row) + "\n" for row in rows)
    with open(OUT / "hf_template.jinja", "w", encoding="utf-8") as f:
        f.write(HF_TEMPLATE)

    # read back
    assert json.loads((OUT / "records.json").read_text(encoding="utf-8")) == records
    assert (OUT / "hf_template.jinja").read_text(encoding="utf-8") == HF_TEMPLATE

    kinds = {"image-list": 0, "image-string": 0, "video": 0, "text-only": 0}
    for r in records:
        kinds["video" if "video" in r else "text-only" if "image" not in r else
              "image-string" if isinstance(r["image"], str) else "image-list"] += 1
    print(f"records: {len(records)}  ({', '.join(f'{k} {v}' for k, v in kinds.items())})")
    for name, rows in presets.items():
        ok = sum(1 for row in rows if "input_ids" in row)
        print(f"{name}: {ok} tokenized, {len(rows) - ok} ill-defined, "
              f"{sum(len(row.get('input_ids', [])) for row in rows)} ids")
    print(f"ill-defined under 0614: {ill}")
    for p in sorted(OUT.iterdir()):
        print(f"  {p.relative_to(ROOT)}  {p.stat().st_size} bytes")


if __name__ == "__main__":
    sys.exit(main())
