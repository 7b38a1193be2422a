#!/usr/bin/env python3
"""Multi-patch (AnyRes) reference fixtures in `Tests/Fixtures/llava_next/`.

    python tools/reference/make_anyres_fixtures.py

Writes:
- `llava_next/images/`: small odd-sized crops of the llava test photos (PNG, lossless), smaller than a tile in one
  direction, so the upscaling path of resize-and-pad is exercised.
- `llava_next/tiny-anyres/`: a tiny random-weight `LlavaNextForConditionalGeneration` (SigLIP 42 px / 14 px patches,
  hidden 32, 2 layers; Qwen2 hidden 64, vocab 516, `<image>` = 515) in the llava-hf hub layout (`image_newline`,
  `language_model.model.*`, `vision_tower.vision_model.*`, `multi_modal_projector.*`, v4-style config), with a
  `LlavaNextImageProcessor` `preprocessor_config.json` (PIL backend), `LlavaNextProcessor` files and the llava-interleave
  chat template. `reference.json` holds, per case, the ids `LlavaNextProcessor` expanded, each image's token count,
  `image_sizes`, the tile grid and the greedy continuation; plus a table of image-token counts for 200 image sizes
  from the processor. `reference.safetensors` holds the logits at every position, each image's pixel tiles and its
  packed features.
- `llava_next/interleave-anyres/`: references for AnyRes with `flat` merging on the llava-interleave tiny checkpoint
  `llava/tiny-84` (no `image_newline`): the tiles' features concatenated, global view first — what the original
  LLaVA-NeXT code does with `mm_patch_merge_type: flat` (reference.md §5.1). transformers has no class for this, so the
  reference is `LlavaForConditionalGeneration` fed every tile as an image, with tiles cross-checked bit-exactly against
  a port of the original `process_anyres_image` (reference.md §5.2).

Deterministic (fixed seeds, CPU, sorted safetensors keys). References: transformers 5.24, eager attention, float32.
"""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from PIL import Image  # noqa: E402
from transformers import (  # noqa: E402
    AutoProcessor, LlavaForConditionalGeneration, LlavaNextConfig, LlavaNextForConditionalGeneration,
    LlavaNextProcessor, Qwen2Config, SiglipVisionConfig,
)
from transformers.models.llava_next.image_processing_pil_llava_next import LlavaNextImageProcessorPil  # noqa: E402

from model_fixtures_common import (  # noqa: E402
    ENDOFTEXT_ID, FIXTURES, IM_END_ID, IMAGE_TOKEN_ID, MAX_NEW_TOKENS, TINY_MAX_RANK, VOCAB_SIZE, describe_greedy,
    dir_size, init_params, is_degenerate, min_top2_margin, reset_dir, save_tensors, sha256_bytes, torch_info,
    write_generation_config, write_json,
)
from model_fixtures_llava import LLAVA, LLAVA_INTERLEAVE_CHAT_TEMPLATE, legacy_llava_config  # noqa: E402
from qwen_vocab import write_tokenizer_dir  # noqa: E402

NEXT = FIXTURES / "llava_next"
NEXT_IMAGES = NEXT / "images"
TINY = NEXT / "tiny-anyres"
INTERLEAVE = NEXT / "interleave-anyres"

TILE = 42
PATCH = 14
PINPOINTS = [[TILE * rows, TILE * columns] for rows in (1, 2, 3) for columns in (1, 2, 3)]  # (height, width)
SEED = 5100
NEWLINE_STD = 1.0  # image_newline ~ N(0, 1): as large as the projected features, so misplaced newlines show
INTERLEAVE_PINPOINTS = [[84, 168], [168, 84], [168, 168]]  # tiny-84's tile is 84 px; symmetric, so (h,w) = (w,h)

# Odd-sized crops (file, source photo in llava/images, crop box ltrb, written size (w, h)).
ODD_IMAGES = [
    ("chelsea-97x23.png", "chelsea.jpg", (0, 40, 320, 116), (97, 23)),
    ("rocket-19x75.png", "rocket.jpg", (40, 0, 120, 320), (19, 75)),
    ("coffee-131x87.png", "coffee.jpg", (10, 5, 310, 205), (131, 87)),
]

QUESTION = "What is shown in this image?"
# name -> (images, prompt). A list prompt is chat messages (hf template); a string is the raw interleaved prompt.
CASES = {
    "wide": (["chelsea.jpg"], None),
    "tall": (["rocket.jpg"], None),
    "square": (["astronaut.jpg"], None),
    "sliver": (["chelsea-97x23.png"], None),
    "needle": (["rocket-19x75.png"], None),
    "two-images": (["coffee.jpg", "camera.png"],
                   "<|im_start|>user\nCompare <image> and <image>.<|im_end|>\n<|im_start|>assistant\n"),
}
INTERLEAVE_CASES = {
    "wide": (["chelsea.jpg"], "<|im_start|>user\nWhat is in <image>?<|im_end|>\n<|im_start|>assistant\n"),
    "tall": (["rocket.jpg"], "<|im_start|>user\nWhat is in <image>?<|im_end|>\n<|im_start|>assistant\n"),
}


def image_path(name: str) -> Path:
    local = NEXT_IMAGES / name
    return local if local.exists() else LLAVA / "images" / name


def load_image(name: str) -> Image.Image:
    img = Image.open(image_path(name))
    img.load()
    return img


def make_images() -> None:
    NEXT_IMAGES.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for file, source, box, size in ODD_IMAGES:
        img = Image.open(LLAVA / "images" / source).convert("RGB").crop(box)
        img = img.resize(size, Image.Resampling.LANCZOS)
        path = NEXT_IMAGES / file
        img.save(path, format="PNG", optimize=True)
        data = path.read_bytes()
        manifest[file] = {"from": f"../../llava/images/{source}", "crop_ltrb": list(box), "width": size[0],
                          "height": size[1], "bytes": len(data), "file_sha256": sha256_bytes(data),
                          "decoded_sha256": sha256_bytes(np.asarray(Image.open(path)).tobytes())}
    write_json(NEXT_IMAGES / "images.json", {
        "about": "Odd-sized RGB crops of the llava test photos (LANCZOS-resized, PNG) for AnyRes fixtures.",
        "images": manifest,
    })


# ---------------------------------------------------------------------------------------------------------------------
# The tiny LLaVA-NeXT checkpoint


def next_config() -> LlavaNextConfig:
    text = Qwen2Config(
        vocab_size=VOCAB_SIZE, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=512, rms_norm_eps=1e-6, tie_word_embeddings=True,
        rope_parameters={"rope_type": "default", "rope_theta": 1e6}, bos_token_id=ENDOFTEXT_ID, eos_token_id=IM_END_ID,
    )
    vision = SiglipVisionConfig(
        hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, image_size=TILE,
        patch_size=PATCH, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6, vision_use_head=False,
    )
    return LlavaNextConfig(vision_config=vision, text_config=text, image_token_index=IMAGE_TOKEN_ID,
                           projector_hidden_act="gelu", vision_feature_layer=-1, vision_feature_select_strategy="full",
                           image_grid_pinpoints=PINPOINTS, tie_word_embeddings=True)


class _AllBut:
    """A module seen without some parameters (for `init_params`, which has no rule for `image_newline`)."""

    def __init__(self, module: torch.nn.Module, skip: set[str]):
        self.module, self.skip = module, skip

    def named_parameters(self):
        return [(n, p) for n, p in self.module.named_parameters() if n not in self.skip]


def make_model() -> LlavaNextForConditionalGeneration:
    torch.manual_seed(SEED)
    model = LlavaNextForConditionalGeneration(next_config()).eval()
    init_params(_AllBut(model, {"model.image_newline"}), SEED, vision_gain=1.2)
    gen = torch.Generator().manual_seed(SEED + 1)
    with torch.no_grad():
        model.model.image_newline.copy_(NEWLINE_STD * torch.randn(64, generator=gen))
    return model


def legacy_name(key: str) -> str:
    """transformers-5 in-memory name -> llava-hf hub (v4) name of llava-v1.6 checkpoints."""
    for new, old in (("model.language_model.", "language_model.model."),
                     ("model.vision_tower.", "vision_tower.vision_model."),
                     ("model.multi_modal_projector.", "multi_modal_projector."),
                     ("model.image_newline", "image_newline"),
                     ("lm_head.", "language_model.lm_head.")):
        if key.startswith(new):
            return old + key[len(new):]
    raise KeyError(key)


def write_processor_files(out: Path) -> None:
    write_tokenizer_dir(out, max_rank=TINY_MAX_RANK)
    write_json(out / "preprocessor_config.json", {
        "crop_size": {"height": TILE, "width": TILE},
        "do_center_crop": True,
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_pad": True,
        "do_rescale": True,
        "do_resize": True,
        "image_grid_pinpoints": PINPOINTS,
        "image_mean": [0.5, 0.5, 0.5],
        "image_processor_type": "LlavaNextImageProcessor",
        "image_std": [0.5, 0.5, 0.5],
        "processor_class": "LlavaNextProcessor",
        "resample": 3,
        "rescale_factor": 0.00392156862745098,
        "size": {"height": TILE, "width": TILE},
    })
    write_json(out / "processor_config.json", {
        "image_token": "<image>", "num_additional_image_tokens": 0, "patch_size": PATCH,
        "processor_class": "LlavaNextProcessor", "vision_feature_select_strategy": "full",
    })
    write_json(out / "chat_template.json", {"chat_template": LLAVA_INTERLEAVE_CHAT_TEMPLATE})


def build_checkpoint(model) -> LlavaNextForConditionalGeneration:
    out = reset_dir(TINY)
    import tempfile
    from model_fixtures_common import read_json

    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        cfg524 = read_json(Path(tmp) / "config.json")
    config = legacy_llava_config(cfg524)
    config["tie_word_embeddings"] = True  # LlavaNextConfig ties by its own flag (LlavaConfig by the text config's)
    write_json(out / "config.json", dict(sorted(config.items())))
    legacy = {legacy_name(k): v for k, v in model.state_dict().items() if k != "lm_head.weight"}
    save_tensors(out / "model.safetensors", legacy, metadata={"format": "pt"})
    write_generation_config(out)
    write_processor_files(out)
    loaded = LlavaNextForConditionalGeneration.from_pretrained(out, dtype=torch.float32,
                                                               attn_implementation="eager").eval()
    want, got = model.state_dict(), loaded.state_dict()
    assert set(got) == set(want), set(got) ^ set(want)
    for k in want:
        assert torch.equal(got[k], want[k]), f"reloaded {k} differs"
    assert loaded.config.image_grid_pinpoints == PINPOINTS
    return loaded


def load_processor(out: Path) -> LlavaNextProcessor:
    processor = AutoProcessor.from_pretrained(out, backend="pil")
    assert isinstance(processor, LlavaNextProcessor), type(processor)
    assert isinstance(processor.image_processor, LlavaNextImageProcessorPil), type(processor.image_processor)
    assert processor.image_processor.image_grid_pinpoints == PINPOINTS
    assert processor.image_token_id == IMAGE_TOKEN_ID and processor.patch_size == PATCH
    return processor


# ---------------------------------------------------------------------------------------------------------------------
# Reference computation


class NextRunner:
    def __init__(self, model: LlavaNextForConditionalGeneration):
        self.model = model

    @torch.no_grad()
    def features(self, pixel_values, image_sizes) -> list[torch.Tensor]:
        """Packed (spatial_unpad + image_newline) features of each image."""
        out = self.model.model.get_image_features(pixel_values, image_sizes, vision_feature_layer=-1,
                                                  vision_feature_select_strategy="full")
        return list(out.pooler_output)

    @torch.no_grad()
    def merged_embeds(self, ids, pixel_values, image_sizes) -> torch.Tensor:
        t = torch.tensor(ids)
        emb = self.model.get_input_embeddings()(t).clone()
        emb[t == IMAGE_TOKEN_ID] = torch.cat(self.features(pixel_values, image_sizes))
        return emb

    @torch.no_grad()
    def logits(self, ids, pixel_values, image_sizes) -> torch.Tensor:
        return self.model(input_ids=torch.tensor([ids]), pixel_values=pixel_values,
                          image_sizes=image_sizes).logits[0].float()

    @torch.no_grad()
    def generate(self, ids, pixel_values, image_sizes) -> list[int]:
        inp = torch.tensor([ids])
        out = self.model.generate(input_ids=inp, attention_mask=torch.ones_like(inp), pixel_values=pixel_values,
                                  image_sizes=image_sizes, do_sample=False, max_new_tokens=MAX_NEW_TOKENS,
                                  eos_token_id=IM_END_ID, pad_token_id=ENDOFTEXT_ID)
        return out[0, len(ids):].tolist()

    @torch.no_grad()
    def greedy_recompute(self, emb: torch.Tensor) -> tuple[list[int], float]:
        table = self.model.get_input_embeddings().weight
        out, margin = [], float("inf")
        for _ in range(MAX_NEW_TOKENS):
            last = self.model(inputs_embeds=emb[None]).logits[0, -1:].float()
            margin = min(margin, min_top2_margin(last))
            nxt = int(last[0].argmax())
            out.append(nxt)
            if nxt == IM_END_ID:
                break
            emb = torch.cat([emb, table[nxt][None]])
        return out, margin


def case_text(processor, images: list[str], prompt) -> str:
    if prompt is None:
        messages = [{"role": "user", "content": [{"type": "image"}] * len(images) + [{"type": "text", "text": QUESTION}]}]
        return processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return prompt


def grid_of(image_size: tuple[int, int]) -> list[int]:
    from transformers.image_processing_utils import select_best_resolution

    h, w = select_best_resolution(list(image_size), PINPOINTS)
    return [h // TILE, w // TILE]


def build_tiny(model) -> dict:
    ref_model = build_checkpoint(model)
    processor = load_processor(TINY)
    runner = NextRunner(ref_model)
    tensors: dict[str, torch.Tensor] = {}
    cases, margins, seen = [], [], set()
    for name, (files, prompt) in CASES.items():
        images = [load_image(f) for f in files]
        text = case_text(processor, files, prompt)
        enc = processor(text=text, images=images, return_tensors="pt")
        ids, pv, sizes = enc["input_ids"][0].tolist(), enc["pixel_values"], enc["image_sizes"]
        counts = [processor._get_num_multimodal_tokens(image_sizes=[(im.height, im.width)])["num_image_tokens"][0]
                  for im in images]
        assert ids.count(IMAGE_TOKEN_ID) == sum(counts)
        feats = runner.features(pv, sizes)
        assert [f.shape[0] for f in feats] == counts
        logits = runner.logits(ids, pv, sizes)
        emb = runner.merged_embeds(ids, pv, sizes)
        manual = ref_model(inputs_embeds=emb[None]).logits[0].float()
        assert torch.allclose(logits, manual, atol=1e-5, rtol=0), "masked_scatter merge != manual merge"
        greedy = runner.generate(ids, pv, sizes)
        again, margin = runner.greedy_recompute(emb)
        assert greedy == again, f"{name}: generate {greedy} != recompute {again}"
        if is_degenerate(greedy) or IMAGE_TOKEN_ID in greedy:
            raise RuntimeError(f"{name}: degenerate greedy or image token generated: {greedy}")
        margins.append(margin)
        tensors[f"logits.{name}"] = logits
        for i, f in enumerate(files):
            if f in seen:
                continue
            seen.add(f)
            single = processor.image_processor(images[i], return_tensors="pt")
            tiles = single["pixel_values"][0]
            assert torch.equal(tiles, pv[i][: tiles.shape[0]])
            tensors[f"pixel_values_u8.{f}"] = exact_u8(tiles)
            tensors[f"image_features.{f}"] = feats[i]
        cases.append({
            "name": name, "template": "hf" if prompt is None else "interleaved", "images": files,
            "prompt": [{"role": "user", "content": [{"type": "image"}] * len(files) + [{"type": "text", "text": QUESTION}]}]
            if prompt is None else prompt,
            "rendered": text, "input_ids": ids, "image_token_counts": counts,
            "image_sizes": [list(map(int, s)) for s in sizes.tolist()],
            "tile_grids": [grid_of((im.height, im.width)) for im in images],
            "greedy_ids": greedy, "greedy_min_top2_margin": margin,
        })
        print(f"llava_next/tiny-anyres/{name}: L={len(ids)}, counts {counts}, grids {cases[-1]['tile_grids']}, "
              f"greedy {describe_greedy(greedy)}, margin {margin:.4f}")
    table = token_count_table(processor)
    reference = {
        **torch_info(),
        "checkpoint": {
            "class": "LlavaNextForConditionalGeneration", "tensor_layout": "legacy (llava-hf llava-v1.6 hub)",
            "image_size": TILE, "patch_size": PATCH, "image_grid_pinpoints": PINPOINTS,
            "image_newline_std": NEWLINE_STD, "vision": {"hidden": 32, "intermediate": 48, "layers": 2, "heads": 4},
            "text": {"hidden": 64, "intermediate": 160, "layers": 2, "heads": 4, "kv_heads": 2, "rope_theta": 1e6},
            "tie_word_embeddings": True, "seed": SEED,
        },
        "image_token_id": IMAGE_TOKEN_ID, "eos_token_id": IM_END_ID, "reference_dtype": "float32",
        "attn_implementation": "eager", "image_processor": "LlavaNextImageProcessorPil (backend='pil')",
        "generation": {"do_sample": False, "max_new_tokens": MAX_NEW_TOKENS, "eos_token_id": IM_END_ID,
                       "greedy_ids_include_eos": True},
        "greedy_min_top2_margin": min(margins),
        "cases": cases,
        "token_count_table": table,
        "tensors": {
            "logits.<case>": "f32 [L, 516] logits at every prompt position (input_ids), one forward pass",
            "pixel_values_u8.<image>": "u8 [1 + tiles, 3, 42, 42]: the resized (and padded) 8-bit views before "
                                       "rescaling, the squashed global view first, then the tiles row-major; the "
                                       "processor's pixel_values = f32(f64(u8) * (1/255)) then (x - 0.5) / 0.5 in f32, "
                                       "bit-exact",
            "image_features.<image>": "f32 [count, 64] packed features (base, then spatial_unpad rows each ending "
                                      "with image_newline)",
        },
    }
    save_tensors(TINY / "reference.safetensors", tensors)
    write_json(TINY / "reference.json", reference)
    return reference


def exact_u8(pixel_values: torch.Tensor) -> torch.Tensor:
    """The 8-bit views behind SigLIP-normalised `pixel_values`, checked to give them back bit for bit."""
    u8 = np.rint((pixel_values.numpy().astype(np.float64) * 0.5 + 0.5) * 255).astype(np.uint8)
    x = (u8.astype(np.float64) * (1 / 255)).astype(np.float32)
    assert np.array_equal((x - np.float32(0.5)) / np.float32(0.5), pixel_values.numpy())
    return torch.from_numpy(u8)


def token_count_table(processor) -> dict:
    """Image-token counts of 200 sizes: each from a full processor run on a noise image of that size (the number of
    `<image>` ids `LlavaNextProcessor` expands to), cross-checked against `_get_num_multimodal_tokens`."""
    rng = random.Random(SEED)
    sizes = [(1, 1), (42, 42), (84, 42), (42, 84), (126, 126), (1, 500), (500, 1), (41, 43), (43, 41), (127, 85),
             (1000, 3), (3, 1000), (2, 3), (300, 299), (640, 480), (480, 640), (1920, 1080), (1080, 1920)]
    while len(sizes) < 200:
        w = int(math.exp(rng.uniform(0, math.log(1600))))
        h = int(math.exp(rng.uniform(0, math.log(1600))))
        if (w, h) not in sizes:
            sizes.append((w, h))
    noise = np.random.default_rng(SEED)
    rows = []
    for w, h in sizes:
        img = Image.fromarray(noise.integers(0, 256, (h, w, 3), dtype=np.uint8))
        enc = processor(text="<image>", images=[img], return_tensors="pt")
        count = enc["input_ids"][0].tolist().count(IMAGE_TOKEN_ID)
        assert count == processor._get_num_multimodal_tokens(image_sizes=[(h, w)])["num_image_tokens"][0], (w, h)
        assert enc["pixel_values"].shape[1] == 1 + math.prod(grid_of((h, w)))
        rows.append([w, h, count, *grid_of((h, w))])
    return {"columns": ["width", "height", "image_tokens", "tile_rows", "tile_columns"], "rows": rows}


# ---------------------------------------------------------------------------------------------------------------------
# AnyRes with flat merging on the interleave tiny checkpoint


def original_process_anyres_image(image: Image.Image, tile: int, pinpoints: list[list[int]]) -> np.ndarray:
    """Port of LLaVA-NeXT `llava/mm_utils.py` (reference.md §5.2): select_best_resolution on (W, H) with (w, h)
    candidates, resize_and_pad_image (PIL default resample = bicubic, centred on black), divide_to_patches, the global
    view as a squash resize; each view through the SigLIP processor (squash to tile², /255, (x - 0.5) / 0.5)."""
    W, H = image.size
    best, best_eff, best_waste = None, 0, float("inf")
    for w, h in pinpoints:
        scale = min(w / W, h / H)
        eff = min(int(W * scale) * int(H * scale), W * H)
        waste = w * h - eff
        if eff > best_eff or (eff == best_eff and waste < best_waste):
            best, best_eff, best_waste = (w, h), eff, waste
    tw, th = best
    if tw / W < th / H:
        nw, nh = tw, min(math.ceil(H * tw / W), th)
    else:
        nh, nw = th, min(math.ceil(W * th / H), tw)
    canvas = Image.new("RGB", (tw, th), (0, 0, 0))
    canvas.paste(image.convert("RGB").resize((nw, nh)), ((tw - nw) // 2, (th - nh) // 2))
    patches = [canvas.crop((j, i, j + tile, i + tile)) for i in range(0, th, tile) for j in range(0, tw, tile)]
    views = [image.convert("RGB").resize((tile, tile))] + patches

    def siglip(view: Image.Image) -> np.ndarray:
        u8 = np.asarray(view.resize((tile, tile), Image.Resampling.BICUBIC))
        x = (u8.astype(np.float64) * (1 / 255)).astype(np.float32)
        return ((x - np.float32(0.5)) / np.float32(0.5)).transpose(2, 0, 1)

    return np.stack([siglip(v) for v in views])


def build_interleave() -> dict:
    out = reset_dir(INTERLEAVE)
    base = LLAVA / "tiny-84"
    model = LlavaForConditionalGeneration.from_pretrained(base, dtype=torch.float32, attn_implementation="eager").eval()
    tokenizer = AutoProcessor.from_pretrained(base, backend="pil").tokenizer
    tile = model.config.vision_config.image_size
    per_tile = (tile // PATCH) ** 2
    tiler = LlavaNextImageProcessorPil(size={"height": tile, "width": tile}, crop_size={"height": tile, "width": tile},
                                       image_mean=[0.5, 0.5, 0.5], image_std=[0.5, 0.5, 0.5], resample=3,
                                       image_grid_pinpoints=INTERLEAVE_PINPOINTS)
    tensors, cases = {}, []
    for name, (files, prompt) in INTERLEAVE_CASES.items():
        img = load_image(files[0])
        tiles = tiler(img, return_tensors="pt")["pixel_values"][0]
        assert np.array_equal(tiles.numpy(), original_process_anyres_image(img, tile, INTERLEAVE_PINPOINTS)), name
        count = tiles.shape[0] * per_tile
        ids = []
        for t in tokenizer(prompt).input_ids:
            ids.extend([IMAGE_TOKEN_ID] * count if t == IMAGE_TOKEN_ID else [t])
        with torch.no_grad():
            logits = model(input_ids=torch.tensor([ids]), pixel_values=tiles).logits[0].float()
            gen = model.generate(input_ids=torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                                 pixel_values=tiles, do_sample=False, max_new_tokens=MAX_NEW_TOKENS,
                                 eos_token_id=IM_END_ID, pad_token_id=ENDOFTEXT_ID)[0, len(ids):].tolist()
        rows = sorted(set(range(0, len(ids), 16)) | {i for i, t in enumerate(ids) if t != IMAGE_TOKEN_ID}
                      | {len(ids) - 1})
        tensors[f"logits.{name}"] = logits[rows]
        tensors[f"logits_rows.{name}"] = torch.tensor(rows, dtype=torch.int64)
        cases.append({"name": name, "template": "interleaved", "images": files, "prompt": prompt,
                      "input_ids": ids, "image_token_counts": [count], "image_size": [img.height, img.width],
                      "tile_grid": grid_of_pinpoints((img.height, img.width), INTERLEAVE_PINPOINTS, tile),
                      "logits_rows": rows, "greedy_ids": gen})
        print(f"llava_next/interleave-anyres/{name}: L={len(ids)}, {tiles.shape[0]} views, greedy {describe_greedy(gen)}")
    save_tensors(out / "reference.safetensors", tensors)
    reference = {
        **torch_info(),
        "checkpoint": "../../llava/tiny-84",
        "image_grid_pinpoints": INTERLEAVE_PINPOINTS, "merge": "flat",
        "about": "AnyRes on a llava-interleave checkpoint with mm_patch_merge_type flat (original LLaVA-NeXT "
                 "llava_arch.py): every view (global squash first, then tiles row-major) gives its 36 features, "
                 "concatenated; no image_newline. Reference: LlavaForConditionalGeneration fed the views as images. "
                 "Tiles from LlavaNextImageProcessorPil, equal bit for bit to a port of the original "
                 "process_anyres_image.",
        "logits_storage": "rows logits_rows.<case>: every 16th position, every non-image position, the last",
        "generation": {"do_sample": False, "max_new_tokens": MAX_NEW_TOKENS, "eos_token_id": IM_END_ID,
                       "greedy_ids_include_eos": True},
        "cases": cases,
    }
    write_json(out / "reference.json", reference)
    return reference


def grid_of_pinpoints(image_size, pinpoints, tile) -> list[int]:
    from transformers.image_processing_utils import select_best_resolution

    h, w = select_best_resolution(list(image_size), pinpoints)
    return [h // tile, w // tile]


def main() -> None:
    torch.set_grad_enabled(False)
    make_images()
    build_tiny(make_model())
    build_interleave()
    for sub in ("images", "tiny-anyres", "interleave-anyres"):
        print(f"  llava_next/{sub:<20} {dir_size(NEXT / sub) / 1024:8.1f} KB")


if __name__ == "__main__":
    main()
