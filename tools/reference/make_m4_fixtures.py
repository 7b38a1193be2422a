#!/usr/bin/env python3
"""Reference fixtures for the other M4 shapes on the tiny-84 llava checkpoint (made by make_model_fixtures.py):
a 6-view 3D scene, a 16-frame video, a video and an image interleaved in one message, and the same weights in the
original lmms-lab `llava_qwen` layout with `image_aspect_ratio: pad`.

Run on demand (not by CI):  python tools/reference/make_m4_fixtures.py

Writes
- Tests/Fixtures/m4/views/scene/view_01.png … view_06.png   six views (crops of a photo), in name order;
- Tests/Fixtures/m4/video/pan.mov                            24 frames 96×72 at 8 fps, PNG codec (rgb24, lossless,
  so the decoded frames are exact and the logits can be compared at 1e-4; lossy codecs are tested for ±1 pixels
  against PyAV in the LoomVideo tests);
- Tests/Fixtures/m4/reference.json + reference.safetensors   cases {name, template, prompt, media, frame_indices,
  input_ids, image_token_count, greedy_ids, logits_rows?}, tensors `logits.<case>` (rows listed in logits_rows when
  subsampled);
- Tests/Fixtures/llava_qwen/tiny-84-lmms/                    the tiny-84 weights renamed to the lmms-lab layout
  (`model.*`, `model.vision_tower.vision_tower.vision_model.*`, `model.mm_projector.0/2`, no lm_head: tied), a
  `llava_qwen` config (Qwen2 fields at top level, `mm_*` keys, `image_aspect_ratio: pad`; `vision_config` gives the
  tiny tower's geometry — real lmms-lab checkpoints name `google/siglip-so400m-patch14-384` instead), the tiny
  tokenizer WITHOUT `<image>` (the original tokenizer has none), and its own reference.json/.safetensors: the
  original `qwen_1_5` evaluation tokenisation (−200 sentinel, a `\\n` after every image) with each image padded to
  a square with the mean colour (127,127,127) before the SigLIP squash resize (LLaVA-NeXT `expand2square`).
Frames are decoded with PyAV `to_ndarray(format="rgb24")` at `np.linspace(0, total-1, min(total, n)).astype(int)`.
"""
import json
import shutil
import sys
from pathlib import Path

import av
import numpy as np
import torch
from PIL import Image
from safetensors.torch import load_file, save_file
from transformers import AutoProcessor, LlavaForConditionalGeneration

sys.path.insert(0, str(Path(__file__).resolve().parent))
from model_fixtures_common import FIXTURES, IMAGE_TOKEN_ID, IM_END_ID, ENDOFTEXT_ID, MAX_NEW_TOKENS, write_json  # noqa: E402
from model_fixtures_llava import IMAGE_TOKEN_INDEX, preprocess_qwen  # noqa: E402

TINY = FIXTURES / "llava" / "tiny-84"
IMAGES = FIXTURES / "llava" / "images"
M4 = FIXTURES / "m4"
LMMS = FIXTURES / "llava_qwen" / "tiny-84-lmms"
TOKENS = 36


def make_media():
    views = M4 / "views" / "scene"
    views.mkdir(parents=True, exist_ok=True)
    photo = Image.open(IMAGES / "astronaut.jpg").convert("RGB")
    for i in range(6):
        x, y = 20 * i, 10 * (i % 3)
        photo.crop((x, y, x + 128, y + 96)).save(views / f"view_{i + 1:02d}.png", optimize=True)
    video = M4 / "video"
    video.mkdir(parents=True, exist_ok=True)
    source = Image.open(IMAGES / "coffee.jpg").convert("RGB")
    with av.open(str(video / "pan.mov"), "w") as out:
        stream = out.add_stream("png", rate=8)
        stream.width, stream.height, stream.pix_fmt = 96, 72, "rgb24"
        for i in range(24):
            frame = av.VideoFrame.from_ndarray(np.asarray(source.crop((8 * i, 20, 8 * i + 96, 92))), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def video_frames(path: Path, n: int):
    with av.open(str(path)) as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    indices = np.linspace(0, len(frames) - 1, min(len(frames), n)).astype(int).tolist()
    return [Image.fromarray(frames[i]) for i in indices], indices


def logits_rows(length: int, limit: int = 400) -> list[int] | None:
    if length <= limit:
        return None
    return sorted(set(range(0, length, 8)) | set(range(length - 24, length)))


class Reference:
    def __init__(self, model, processor):
        self.model, self.processor = model, processor

    @torch.no_grad()
    def run(self, ids, images):
        pixels = self.processor.image_processor(images=images, return_tensors="pt")["pixel_values"] if images else None
        inp = torch.tensor([ids])
        extra = {} if pixels is None else {"pixel_values": pixels}
        logits = self.model(input_ids=inp, **extra).logits[0].float()
        out = self.model.generate(input_ids=inp, attention_mask=torch.ones_like(inp), **extra, do_sample=False,
                                  max_new_tokens=MAX_NEW_TOKENS, eos_token_id=IM_END_ID, pad_token_id=ENDOFTEXT_ID)
        return logits, out[0, len(ids):].tolist()


def ids_for(processor, text: str, images: int) -> list[int]:
    ids = processor.tokenizer(text).input_ids
    expanded = [t for i in ids for t in ([IMAGE_TOKEN_ID] * TOKENS if i == IMAGE_TOKEN_ID else [i])]
    assert expanded.count(IMAGE_TOKEN_ID) == images * TOKENS
    return expanded


def m4_cases(model, processor):
    ref = Reference(model, processor)
    views = [Image.open(p).convert("RGB") for p in sorted((M4 / "views" / "scene").glob("*.png"))]
    frames16, idx16 = video_frames(M4 / "video" / "pan.mov", 16)
    frames8, idx8 = video_frames(M4 / "video" / "pan.mov", 8)
    chelsea = Image.open(IMAGES / "chelsea.jpg").convert("RGB")
    cases, tensors = [], {}

    def add(name, template, prompt, media, text, images, frame_indices=None):
        ids = ids_for(processor, text, len(images))
        logits, greedy = ref.run(ids, images)
        rows = logits_rows(len(ids))
        entry = {"name": name, "template": template, "prompt": prompt, "media": media, "rendered": text,
                 "input_ids": ids, "image_token_count": len(images) * TOKENS, "greedy_ids": greedy}
        if frame_indices is not None:
            entry["frame_indices"] = frame_indices
        if rows is not None:
            entry["logits_rows"] = rows
            logits = logits[rows]
        cases.append(entry)
        tensors[f"logits.{name}"] = logits.contiguous()
        print(f"m4/{name}: L={len(ids)} greedy {greedy[:8]}…")

    add("views-6", "interleaved", "Scene: <views>\nWhere is the helmet?", {"views": "views/scene"},
        "<|im_start|>user\nScene: " + "<image>" * 6 + "\nWhere is the helmet?<|im_end|>\n<|im_start|>assistant\n", views)
    messages = [{"role": "user", "content": [{"type": "image"}] * 16 + [{"type": "text", "text": "Describe the video."}]}]
    add("video-16", "hf", "Describe the video.", {"video": "video/pan.mov", "frames": 16},
        processor.apply_chat_template(messages, add_generation_prompt=True), frames16, idx16)
    add("video-image", "interleaved", "Watch <video> and compare it with <image>.",
        {"video": "video/pan.mov", "frames": 8, "image": "../llava/images/chelsea.jpg"},
        "<|im_start|>user\nWatch " + "<image>" * 8 + " and compare it with <image>.<|im_end|>\n<|im_start|>assistant\n",
        frames8 + [chelsea], idx8)
    write_json(M4 / "reference.json", {"checkpoint": "llava/tiny-84", "cases": cases,
                                       "frame_decoder": f"PyAV {av.__version__} to_ndarray(rgb24)"})
    save_file(tensors, str(M4 / "reference.safetensors"))


def expand2square(img: Image.Image, background=(127, 127, 127)) -> Image.Image:
    w, h = img.size
    if w == h:
        return img
    side = max(w, h)
    out = Image.new(img.mode, (side, side), background)
    out.paste(img, ((side - w) // 2, (side - h) // 2))
    return out


def lmms_layout(model, processor):
    if LMMS.exists():
        shutil.rmtree(LMMS)
    LMMS.mkdir(parents=True)
    weights = load_file(str(TINY / "model.safetensors"))
    renamed = {}
    for key, value in weights.items():
        if key.startswith("language_model.lm_head"):
            continue
        key = key.replace("language_model.model.", "model.")
        key = key.replace("vision_tower.vision_model.", "model.vision_tower.vision_tower.vision_model.")
        key = key.replace("multi_modal_projector.linear_1", "model.mm_projector.0")
        key = key.replace("multi_modal_projector.linear_2", "model.mm_projector.2")
        renamed[key] = value
    save_file(renamed, str(LMMS / "model.safetensors"), metadata={"format": "pt"})
    tiny = json.loads((TINY / "config.json").read_text())
    text, vision = tiny["text_config"], tiny["vision_config"]
    config = {
        "architectures": ["LlavaQwenForCausalLM"], "model_type": "llava_qwen",
        **{k: text[k] for k in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                                "num_key_value_heads", "max_position_embeddings", "rope_theta", "vocab_size",
                                "bos_token_id", "eos_token_id", "tie_word_embeddings")},
        "rms_norm_eps": 1e-6, "hidden_act": "silu", "use_sliding_window": False, "torch_dtype": "float32",
        "mm_vision_tower": "tiny-siglip-84", "mm_projector_type": "mlp2x_gelu", "mm_hidden_size": vision["hidden_size"],
        "mm_vision_select_layer": -2, "mm_vision_select_feature": "patch", "mm_patch_merge_type": "flat",
        "image_aspect_ratio": "pad", "image_grid_pinpoints": [[84, 84], [84, 168], [168, 84], [168, 168]],
        "mm_use_im_start_end": False, "mm_use_im_patch_token": False, "tokenizer_padding_side": "right",
        "vision_config": vision,
    }
    write_json(LMMS / "config.json", config)
    write_json(LMMS / "generation_config.json", {"bos_token_id": ENDOFTEXT_ID, "eos_token_id": IM_END_ID})
    tok = json.loads((TINY / "tokenizer.json").read_text())
    tok["added_tokens"] = [t for t in tok["added_tokens"] if t["content"] != "<image>"]
    (LMMS / "tokenizer.json").write_text(json.dumps(tok, ensure_ascii=False))
    tok_config = json.loads((TINY / "tokenizer_config.json").read_text())
    tok_config["added_tokens_decoder"] = {k: v for k, v in tok_config["added_tokens_decoder"].items() if v["content"] != "<image>"}
    tok_config.pop("extra_special_tokens", None)
    write_json(LMMS / "tokenizer_config.json", tok_config)

    ref = Reference(model, processor)
    cases, tensors = [], {}
    for name, question, files in [("llava-pad-1img", "<image>\nWhat is shown in this image?", ["coffee.jpg"]),
                                  ("llava-pad-2img", "Compare <image> and <image>.", ["astronaut.jpg", "rocket.jpg"])]:
        sentinel_ids = preprocess_qwen(question, processor.tokenizer)
        images = [expand2square(Image.open(IMAGES / f).convert("RGB")) for f in files]
        hf_ids = [t for i in sentinel_ids for t in ([IMAGE_TOKEN_ID] * TOKENS if i == IMAGE_TOKEN_INDEX else [i])]
        logits, greedy = ref.run(hf_ids, images)
        loom_ids = [t for i in sentinel_ids for t in ([IMAGE_TOKEN_INDEX] * TOKENS if i == IMAGE_TOKEN_INDEX else [i])]
        cases.append({"name": name, "template": "llava", "prompt": question, "images": files, "input_ids": loom_ids,
                      "image_token_count": len(files) * TOKENS, "greedy_ids": greedy})
        tensors[f"logits.{name}"] = logits.contiguous()
        print(f"llava_qwen/{name}: L={len(loom_ids)} greedy {greedy[:8]}…")
    write_json(LMMS / "reference.json", {"same_weights_as": "llava/tiny-84", "image_aspect_ratio": "pad",
                                         "cases": cases})
    save_file(tensors, str(LMMS / "reference.safetensors"))


def main():
    torch.manual_seed(0)
    model = LlavaForConditionalGeneration.from_pretrained(TINY, dtype=torch.float32).eval()
    processor = AutoProcessor.from_pretrained(TINY, backend="pil")
    make_media()
    m4_cases(model, processor)
    lmms_layout(model, processor)


if __name__ == "__main__":
    main()
