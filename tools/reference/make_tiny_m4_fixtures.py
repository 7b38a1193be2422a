#!/usr/bin/env python3
"""Reference logits of the model Loom trained itself (models/tiny-m4): transformers' LlavaForConditionalGeneration
on ten held-out synthetic samples, rendered by the checkpoint's own chat template (`--template checkpoint`: the
format the model was trained in) through `tokenizer.apply_chat_template`.

Run on demand (not by CI), after `make tiny-model`:
    LOOM=.build/release/loom .venv-train/bin/python tools/reference/make_tiny_m4_fixtures.py

The samples are made by `loom data synth` from seeds no training run used (3,000,000 on): eight front-format samples
(one per task) and two interleaved ones, written into the fixture. Each record's question becomes the content parts of
one user message, split at its `<image>` markers; a video record's one marker stands for all its frames (sorted by
name, sampled with `np.linspace(0, n-1, min(n, 8))`), one image part each, whose features follow one another as in
training. Each `<image>` of the rendered text is then expanded to the checkpoint's `image_seq_length` ids.

Writes Tests/Fixtures/tiny-m4/{front,interleaved}/ (data.json + media) and Tests/Fixtures/tiny-m4/reference.json +
reference.safetensors: cases {name, format, record, input_ids, image_token_count, greedy_ids}, tensors `logits.<name>`
(every row).
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from transformers import AutoProcessor, LlavaForConditionalGeneration

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_fixtures_common import FIXTURES, REPO, write_json  # noqa: E402

MODEL = Path(os.environ.get("TINY_MODEL", REPO / "models" / "tiny-m4"))
OUT = FIXTURES / "tiny-m4"
LOOM = os.environ.get("LOOM", str(REPO / ".build" / "release" / "loom"))
TASKS = "color,shape,digit,spot-difference,odd-one-out,count-frames,motion,which-view"
VIDEO_FRAMES = 8
MAX_NEW_TOKENS = 12


def synth(folder: Path, tasks: str, seed: int, fmt: str) -> list[dict]:
    shutil.rmtree(folder, ignore_errors=True)
    subprocess.run([LOOM, "data", "synth", "--task", tasks, "--count", "1", "--seed", str(seed), "--format", fmt,
                    "--out", str(folder)], check=True)
    return json.loads((folder / "data.json").read_text())


def media(folder: Path, record: dict) -> list[list[Image.Image]]:
    """The images each `<image>` marker stands for, in order: one image, or a video's sampled frames."""
    if "video" in record:
        names = sorted(p for p in (folder / record["video"]).iterdir() if p.suffix == ".png")
        indices = np.linspace(0, len(names) - 1, min(len(names), VIDEO_FRAMES)).astype(int).tolist()
        return [[Image.open(names[i]).convert("RGB") for i in indices]]
    images = record["image"] if isinstance(record["image"], list) else [record["image"]]
    return [[Image.open(folder / p).convert("RGB")] for p in images]


def main():
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration.from_pretrained(MODEL, dtype=torch.float32, attn_implementation="eager").eval()
    processor = AutoProcessor.from_pretrained(MODEL)  # LlavaProcessor: the tokenizer, SigLIP pixels, chat_template.json
    tokenizer = processor.tokenizer
    for name in ("<|im_start|>", "<|im_end|>", "<image>"):
        assert tokenizer.convert_tokens_to_ids(name) is not None, name
    config = json.loads((MODEL / "config.json").read_text())
    image_token, tokens = config["image_token_index"], config["image_seq_length"]
    eos = tokenizer.convert_tokens_to_ids("<|im_end|>")

    samples = [("front", r) for r in synth(OUT / "front", TASKS, 3_000_000, "front")]
    samples += [("interleaved", r) for r in synth(OUT / "interleaved", "spot-difference,which-view", 3_000_100, "interleaved")]
    cases, tensors = [], {}
    for fmt, record in samples:
        groups = media(OUT / fmt, record)
        question = record["conversations"][0]["value"]
        pieces = question.split("<image>")
        assert len(pieces) == len(groups) + 1
        content = []
        for i, piece in enumerate(pieces):
            if piece:
                content.append({"type": "text", "text": piece})
            if i < len(groups):
                content += [{"type": "image"}] * len(groups[i])
        text = processor.apply_chat_template([{"role": "user", "content": content}], tokenize=False, add_generation_prompt=True)
        images = [image for group in groups for image in group]
        ids = [t for i in tokenizer(text).input_ids for t in ([image_token] * tokens if i == image_token else [i])]
        assert ids.count(image_token) == len(images) * tokens
        pixels = processor.image_processor(images=images, return_tensors="pt")["pixel_values"]
        inp = torch.tensor([ids])
        with torch.no_grad():
            logits = model(input_ids=inp, pixel_values=pixels).logits[0].float()
            out = model.generate(input_ids=inp, attention_mask=torch.ones_like(inp), pixel_values=pixels, do_sample=False,
                                 max_new_tokens=MAX_NEW_TOKENS, eos_token_id=eos, pad_token_id=eos)
        greedy = out[0, len(ids):].tolist()
        name = f"{fmt}-{record['id']}"
        cases.append({"name": name, "format": fmt, "record": record["id"], "rendered": text, "input_ids": ids,
                      "image_token_count": len(images) * tokens, "greedy_ids": greedy,
                      "greedy_text": tokenizer.decode(greedy, skip_special_tokens=True),
                      "answer": record["conversations"][1]["value"]})
        tensors[f"logits.{name}"] = logits.contiguous()
        print(f"{name}: L={len(ids)} greedy {tokenizer.decode(greedy, skip_special_tokens=True)!r} "
              f"true {record['conversations'][1]['value']!r}")
    write_json(OUT / "reference.json", {"checkpoint": "models/tiny-m4", "template": "checkpoint", "video_frames": VIDEO_FRAMES,
                                        "cases": cases})
    save_file(tensors, str(OUT / "reference.safetensors"))


if __name__ == "__main__":
    main()
