"""Phase 2: tiny random-weight `LlavaForConditionalGeneration` (SigLIP + 2-layer GELU projector + Qwen2) checkpoints,
their `LlavaProcessor` files, real test photos, and reference outputs in `Tests/Fixtures/llava/`.

Layouts written (all with the same tokenizer / processor files):
- `legacy`  : the llava-hf hub layout (reference.md §2.3): `language_model.model.*`, `language_model.lm_head.weight`
              (untied only), `vision_tower.vision_model.*`, `multi_modal_projector.*`; v4-style config.json
              (`rope_theta` in text_config, `torch_dtype`, class defaults omitted).
- `v5-names`: transformers-5 in-memory names `model.language_model.*`, `model.vision_tower.{embeddings,encoder,
              post_layernorm}.*`, `model.multi_modal_projector.*`, `lm_head.weight`; config with `rope_parameters`.
- `tf5.24-save_pretrained`: exactly what `save_pretrained` of transformers 5.24 writes: `language_model.model.*`
              but `vision_tower.embeddings.*` (no `vision_model.`), config with `rope_parameters` / `dtype`.
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from transformers import (
    AutoProcessor, LlavaConfig, LlavaForConditionalGeneration, LlavaProcessor, Qwen2Config, SiglipVisionConfig,
)
from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

from model_fixtures_common import (
    ENDOFTEXT_ID, FIXTURES, IM_END_ID, IMAGE_TOKEN_ID, MAX_NEW_TOKENS, SIGLIP_VISION_V4_DEFAULTS, TINY_MAX_RANK,
    VOCAB_SIZE, describe_greedy, dir_size, init_params, is_degenerate, legacy_qwen2_config,
    min_top2_margin, read_json, reset_dir, save_tensors, sha256_bytes, torch_info, write_generation_config,
    write_json,
)
from qwen_vocab import write_tokenizer_dir

LLAVA = FIXTURES / "llava"
IMAGES = LLAVA / "images"

# reference.md §4.5, verbatim (hf7b-copy/chat_template.json)
LLAVA_INTERLEAVE_CHAT_TEMPLATE = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n'}}{# Render all images first #}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'image') %}{{ '<image>' }}{% endfor %}"
    "{# Render all text next #}{% if message['role'] != 'assistant' %}"
    "{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}{{ '\\n' + content['text'] }}"
    "{% endfor %}{% else %}{% for content in message['content'] | selectattr('type', 'equalto', 'text') %}"
    "{% generation %}{{ '\\n' + content['text'] }}{% endgeneration %}{% endfor %}{% endif %}"
    "{{'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
IMAGE_TOKEN_INDEX = -200  # LLaVA-NeXT llava/constants.py sentinel

# ---------------------------------------------------------------------------------------------------------------------
# Test photos (skimage.data), different aspect ratios; one grayscale PNG (mode L) and one RGBA PNG (alpha ramp).


@dataclass(frozen=True)
class TestImage:
    file: str
    source: str  # skimage.data function
    crop: tuple[int, int, int, int] | None  # (left, top, right, bottom) in the source image
    size: tuple[int, int]  # (width, height) written
    alpha_ramp: bool = False  # add an alpha channel ramping 0 -> 255 left to right (RGBA PNG)


TEST_IMAGES = [
    TestImage("astronaut.jpg", "astronaut", None, (256, 256)),
    TestImage("coffee.jpg", "coffee", None, (320, 213)),
    TestImage("chelsea.jpg", "chelsea", (0, 23, 451, 277), (320, 180)),
    TestImage("rocket.jpg", "rocket", (213, 0, 427, 427), (160, 320)),
    TestImage("camera.png", "camera", (0, 64, 512, 448), (160, 120)),
    TestImage("chelsea-alpha.png", "chelsea", (80, 20, 330, 270), (96, 96), alpha_ramp=True),
]


def make_images() -> dict:
    import PIL
    import skimage
    import skimage.data

    IMAGES.mkdir(parents=True, exist_ok=True)
    for old in IMAGES.iterdir():
        old.unlink()
    manifest = {}
    for im in TEST_IMAGES:
        arr = getattr(skimage.data, im.source)()
        pil = Image.fromarray(arr)
        if im.crop:
            pil = pil.crop(im.crop)
        pil = pil.resize(im.size, Image.Resampling.LANCZOS)
        if im.alpha_ramp:
            ramp = np.tile(np.linspace(0, 255, im.size[0]).round().astype(np.uint8), (im.size[1], 1))
            pil.putalpha(Image.fromarray(ramp))
        buf = io.BytesIO()
        if im.file.endswith(".jpg"):
            pil.save(buf, format="JPEG", quality=85, optimize=False, progressive=False, subsampling="4:2:0")
        else:
            pil.save(buf, format="PNG", optimize=True)
        data = buf.getvalue()
        assert len(data) < 40 * 1024, (im.file, len(data))
        (IMAGES / im.file).write_bytes(data)
        decoded = Image.open(IMAGES / im.file)
        manifest[im.file] = {
            "source": f"skimage.data.{im.source}()",
            "crop_ltrb": list(im.crop) if im.crop else None,
            "width": decoded.width, "height": decoded.height, "mode": decoded.mode,
            "bytes": len(data),
            "file_sha256": sha256_bytes(data),
            "decoded_sha256": sha256_bytes(np.asarray(decoded).tobytes()),
        }
    write_json(IMAGES / "images.json", {
        "about": "Test photos for the llava fixtures. decoded_sha256 = sha256 of the pixel bytes PIL decodes "
                 "(row-major, channels interleaved, in the file's own mode), to check a decoder bit-exactly.",
        "pillow_version": PIL.__version__, "scikit_image_version": skimage.__version__,
        "images": manifest,
    })
    return manifest


def load_image(name: str) -> Image.Image:
    img = Image.open(IMAGES / name)
    img.load()
    return img


# ---------------------------------------------------------------------------------------------------------------------
# Checkpoints


@dataclass(frozen=True)
class LlavaFixture:
    name: str
    image_size: int
    vision_layers: int
    vision_heads: int
    tie: bool
    dtype: torch.dtype
    seed: int
    cases: tuple[str, ...]
    max_position_embeddings: int = 512
    subsample_logits: bool = False
    bf16_logits_cases: tuple[str, ...] = ()
    pixels_from: str | None = None  # pixel_values identical to another fixture's (same processor): not stored again
    image_refs_only_for: tuple[str, ...] | None = None  # store per-image tensors only for these (None: all)
    store_vision_hidden: bool = True


ALL_CASES = ("hf-0img", "hf-1img", "hf-2img", "hf-3img", "hf-16img", "interleaved-1", "interleaved-2",
             "interleaved-3", "llava-1img", "llava-2img", "two-turn")

TINY_84 = LlavaFixture("tiny-84", 84, vision_layers=2, vision_heads=4, tie=True, dtype=torch.float32, seed=2100,
                       cases=ALL_CASES, max_position_embeddings=2048)
GEOMETRY_384 = LlavaFixture("geometry-384", 384, vision_layers=1, vision_heads=2, tie=False, dtype=torch.float32,
                            seed=2200, cases=("hf-1img", "interleaved-2"), max_position_embeddings=4096,
                            subsample_logits=True, image_refs_only_for=("astronaut.jpg",), store_vision_hidden=False)
TINY_84_BF16 = LlavaFixture("tiny-84-bf16", 84, vision_layers=2, vision_heads=4, tie=True, dtype=torch.bfloat16,
                            seed=2100, cases=("hf-1img", "interleaved-2"), max_position_embeddings=2048,
                            bf16_logits_cases=("hf-1img",), pixels_from="tiny-84")


def llava_config(fx: LlavaFixture) -> LlavaConfig:
    text = Qwen2Config(
        vocab_size=VOCAB_SIZE, hidden_size=64, intermediate_size=160, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=2, max_position_embeddings=fx.max_position_embeddings, rms_norm_eps=1e-6,
        tie_word_embeddings=fx.tie, rope_parameters={"rope_type": "default", "rope_theta": 1e6},
        bos_token_id=ENDOFTEXT_ID, eos_token_id=IM_END_ID,
    )
    vision = SiglipVisionConfig(
        hidden_size=32, intermediate_size=48, num_hidden_layers=fx.vision_layers, num_attention_heads=fx.vision_heads,
        image_size=fx.image_size, patch_size=14, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6,
        vision_use_head=False,
    )
    return LlavaConfig(vision_config=vision, text_config=text, image_token_index=IMAGE_TOKEN_ID,
                       projector_hidden_act="gelu", vision_feature_layer=-1, vision_feature_select_strategy="full",
                       tie_word_embeddings=fx.tie)


def make_model(fx: LlavaFixture) -> LlavaForConditionalGeneration:
    torch.manual_seed(fx.seed)
    model = LlavaForConditionalGeneration(llava_config(fx)).eval()
    init_params(model, fx.seed, vision_gain=1.2)
    return model.to(fx.dtype) if fx.dtype != torch.float32 else model


def legacy_name(key: str) -> str:
    """transformers-5 in-memory name -> llava-hf hub (v4) name (reference.md §2.3/§2.4)."""
    for new, old in (("model.language_model.", "language_model.model."),
                     ("model.vision_tower.", "vision_tower.vision_model."),
                     ("model.multi_modal_projector.", "multi_modal_projector."),
                     ("lm_head.", "language_model.lm_head.")):
        if key.startswith(new):
            return old + key[len(new):]
    raise KeyError(key)


def saved_by_transformers(model) -> tuple[dict, dict[str, torch.Tensor]]:
    """(config.json dict, tensors) as transformers 5.24 `save_pretrained` writes them."""
    from safetensors.torch import load_file

    with tempfile.TemporaryDirectory() as tmp:
        model.save_pretrained(tmp)
        return read_json(Path(tmp) / "config.json"), load_file(str(Path(tmp) / "model.safetensors"))


def legacy_llava_config(cfg: dict) -> dict:
    """5.24 config dict -> hub-style v4 diff (like llava-interleave-qwen-7b-hf/config.json, reference.md §1.1)."""
    out = dict(cfg)
    dtype = out.pop("dtype", "float32")
    out["torch_dtype"] = dtype
    for key, default in (("image_seq_length", 576), ("multimodal_projector_bias", True)):
        if out.get(key) == default:
            del out[key]
    out.pop("tie_word_embeddings", None)  # v4 LlavaConfig had none; the text_config one decides
    text = legacy_qwen2_config(out["text_config"], keep=("tie_word_embeddings",))
    text["architectures"] = ["Qwen2ForCausalLM"]
    text["torch_dtype"] = dtype
    out["text_config"] = dict(sorted(text.items()))
    vision = {k: v for k, v in out["vision_config"].items() if SIGLIP_VISION_V4_DEFAULTS.get(k, object()) != v}
    out["vision_config"] = dict(sorted(vision.items()))
    return dict(sorted(out.items()))


def write_processor_files(out: Path, image_size: int) -> None:
    """Hub-style processor files: preprocessor_config.json (SiglipImageProcessor), processor_config.json,
    chat_template.json, and the tiny tokenizer (tokenizer.json, tokenizer_config.json)."""
    write_tokenizer_dir(out, max_rank=TINY_MAX_RANK)
    write_json(out / "preprocessor_config.json", {
        "do_convert_rgb": True,
        "do_normalize": True,
        "do_rescale": True,
        "do_resize": True,
        "image_mean": [0.5, 0.5, 0.5],
        "image_processor_type": "SiglipImageProcessor",
        "image_std": [0.5, 0.5, 0.5],
        "processor_class": "LlavaProcessor",
        "resample": 3,
        "rescale_factor": 0.00392156862745098,
        "size": {"height": image_size, "width": image_size},
    })
    write_json(out / "processor_config.json", {
        "image_token": "<image>", "num_additional_image_tokens": 0, "patch_size": 14,
        "processor_class": "LlavaProcessor", "vision_feature_select_strategy": "full",
    })
    write_json(out / "chat_template.json", {"chat_template": LLAVA_INTERLEAVE_CHAT_TEMPLATE})


def load_processor(out: Path, image_size: int) -> LlavaProcessor:
    processor = AutoProcessor.from_pretrained(out, backend="pil")
    ip = processor.image_processor
    assert isinstance(processor, LlavaProcessor) and isinstance(ip, SiglipImageProcessorPil), type(ip)
    assert (ip.size.height, ip.size.width) == (image_size, image_size) and int(ip.resample) == 3
    assert processor.chat_template == LLAVA_INTERLEAVE_CHAT_TEMPLATE
    assert processor.image_token_id == IMAGE_TOKEN_ID and processor.patch_size == 14
    return processor


# ---------------------------------------------------------------------------------------------------------------------
# Prompts


def _user(n_images: int, *texts: str) -> dict:
    return {"role": "user", "content": [{"type": "image"}] * n_images + [{"type": "text", "text": t} for t in texts]}


SIXTEEN = ["astronaut.jpg", "coffee.jpg", "chelsea.jpg", "rocket.jpg", "camera.png"] * 3 + ["astronaut.jpg"]


@dataclass
class Case:
    name: str
    template: str  # "hf" | "interleaved" | "llava" ; two-turn uses "hf"
    images: list[str]
    prompt: object  # messages (hf), raw string (interleaved), question (llava)
    ids_only: bool = False
    extra: dict = field(default_factory=dict)


def case(name: str) -> Case:
    if name == "hf-0img":
        return Case(name, "hf", [], [_user(0, "Tell me about looms.")])
    if name == "hf-1img":
        return Case(name, "hf", ["astronaut.jpg"], [_user(1, "What is shown in this image?")])
    if name == "hf-2img":  # text parts around the images: the template still renders images first
        return Case(name, "hf", ["coffee.jpg", "chelsea.jpg"], [{"role": "user", "content": [
            {"type": "text", "text": "Compare"}, {"type": "image"}, {"type": "text", "text": "with"},
            {"type": "image"}, {"type": "text", "text": "What changed?"}]}])
    if name == "hf-3img":
        return Case(name, "hf", ["rocket.jpg", "camera.png", "astronaut.jpg"], [_user(3, "Describe each picture.")])
    if name == "hf-16img":
        return Case(name, "hf", list(SIXTEEN), [_user(16, "How many images are there?")], ids_only=True)
    if name.startswith("interleaved-"):
        n = int(name.split("-")[1])
        text, images = {
            1: ("What is in <image>?", ["chelsea.jpg"]),
            2: ("Compare <image> and <image>.", ["astronaut.jpg", "rocket.jpg"]),
            3: ("Compare <image>, <image> and <image>.", ["coffee.jpg", "chelsea.jpg", "camera.png"]),
        }[n]
        return Case(name, "interleaved", images, f"<|im_start|>user\n{text}<|im_end|>\n<|im_start|>assistant\n")
    if name == "llava-1img":
        return Case(name, "llava", ["astronaut.jpg"], "<image>\nWhat is shown in this image?")
    if name == "llava-2img":
        return Case(name, "llava", ["astronaut.jpg", "rocket.jpg"], "Compare <image> and <image>.")
    if name == "two-turn":
        return Case(name, "hf", ["astronaut.jpg", "coffee.jpg"], [
            _user(1, "What is in this picture?"),
            {"role": "assistant", "content": [{"type": "text", "text": "An astronaut in a white suit."}]},
            _user(1, "And what is in this one?"),
        ])
    raise KeyError(name)


def preprocess_qwen(question: str, tokenizer, system_message: str = "You are a helpful assistant.") -> list[int]:
    """Port of LLaVA-NeXT `llava/eval/model_vqa.py::preprocess_qwen` (interleave eval, reference.md §4.7) for one
    human turn followed by an empty gpt turn (`[{"from": "human", "value": q}, {"from": "gpt", "value": None}]`,
    has_image=True). Image positions are the sentinel IMAGE_TOKEN_INDEX (-200), each followed by an inserted "\\n"."""
    def tok(text: str) -> list[int]:
        return tokenizer(text).input_ids

    im_start = tokenizer.convert_tokens_to_ids("<|im_start|>")  # tokenizer.additional_special_tokens_ids[0]
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")  # tokenizer.additional_special_tokens_ids[1]
    nl = tok("\n")
    ids = [im_start] + tok("system") + nl + tok(system_message) + [im_end] + nl
    # human turn
    texts = question.split("<image>")
    user = tok("<|im_start|>user") + nl
    for i, text in enumerate(texts):
        user += tok(text)
        if i < len(texts) - 1:
            user += [IMAGE_TOKEN_INDEX] + nl
    user += [im_end] + nl
    assert user.count(IMAGE_TOKEN_INDEX) == question.count("<image>")
    # gpt turn with value None
    return ids + user + tok("<|im_start|>assistant") + nl


def expand_sentinels(ids: list[int], tokens_per_image: int) -> list[int]:
    out: list[int] = []
    for t in ids:
        out.extend([IMAGE_TOKEN_ID] * tokens_per_image if t == IMAGE_TOKEN_INDEX else [t])
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Reference computation


class Runner:
    def __init__(self, model: LlavaForConditionalGeneration):
        self.model = model

    @torch.no_grad()
    def vision(self, pixel_values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(vision tower hidden_states[-1] [N, T, Dv] (no post_layernorm), projected features [N, T, H])."""
        out = self.model.model.vision_tower(pixel_values, output_hidden_states=True)
        hidden = out.hidden_states[-1]
        feats = torch.stack(list(self.model.get_image_features(
            pixel_values, vision_feature_layer=-1, vision_feature_select_strategy="full").pooler_output))
        assert torch.allclose(self.model.model.multi_modal_projector(hidden), feats, atol=0, rtol=0)
        return hidden, feats

    @torch.no_grad()
    def merged_embeds(self, ids: list[int], pixel_values: torch.Tensor | None) -> torch.Tensor:
        """embed_tokens(ids) with image positions replaced by the features, in image order, row-major (§3.7)."""
        t = torch.tensor(ids)
        emb = self.model.get_input_embeddings()(t).clone()
        mask = t == IMAGE_TOKEN_ID
        if pixel_values is not None:
            feats = self.vision(pixel_values)[1]
            emb[mask] = feats.reshape(-1, feats.shape[-1]).to(emb.dtype)
        else:
            assert not mask.any()
        return emb

    @torch.no_grad()
    def logits(self, ids: list[int], pixel_values: torch.Tensor | None) -> torch.Tensor:
        return self.model(input_ids=torch.tensor([ids]), pixel_values=pixel_values).logits[0].float()

    @torch.no_grad()
    def logits_from_embeds(self, emb: torch.Tensor) -> torch.Tensor:
        return self.model(inputs_embeds=emb[None]).logits[0].float()

    @torch.no_grad()
    def generate(self, ids: list[int], pixel_values: torch.Tensor | None) -> list[int]:
        inp = torch.tensor([ids])
        extra = {} if pixel_values is None else {"pixel_values": pixel_values}  # None breaks 5.24 generate
        out = self.model.generate(input_ids=inp, attention_mask=torch.ones_like(inp), **extra, do_sample=False, max_new_tokens=MAX_NEW_TOKENS, eos_token_id=IM_END_ID,
                                  pad_token_id=ENDOFTEXT_ID)
        return out[0, len(ids):].tolist()

    @torch.no_grad()
    def greedy_recompute(self, ids: list[int], pixel_values) -> tuple[list[int], float]:
        """Greedy without KV cache: merged prompt embeddings + embeddings of generated ids, full forward per step.
        Returns (ids, smallest top-1/top-2 logit gap along the path)."""
        emb = self.merged_embeds(ids, pixel_values)
        table = self.model.get_input_embeddings().weight
        out, margin = [], float("inf")
        for _ in range(MAX_NEW_TOKENS):
            last = self.logits_from_embeds(emb)[-1:]
            margin = min(margin, min_top2_margin(last))
            nxt = int(last[0].argmax())
            out.append(nxt)
            if nxt == IM_END_ID:
                break
            emb = torch.cat([emb, table[nxt][None]])
        return out, margin


def pixel_values_by_hand(img: Image.Image, size: int, drop_alpha: bool = False) -> np.ndarray:
    """Independent re-implementation of the SiglipImageProcessor PIL path (reference.md §4.1) for cross-checking:
    RGB (5.24: alpha composited over white; `drop_alpha` = v4 `convert("RGB")`), PIL bicubic squash to size²,
    x*(1/255) in float64 -> float32, (x-0.5)/0.5 in float32, HWC -> CHW."""
    if "A" in img.getbands() and not drop_alpha:
        bg = Image.new("RGBA", img.size, (255, 255, 255, 255))
        rgb = Image.alpha_composite(bg, img.convert("RGBA")).convert("RGB")
    else:
        rgb = img.convert("RGB")
    u8 = np.asarray(rgb.resize((size, size), resample=Image.Resampling.BICUBIC, reducing_gap=None))
    x = (u8.astype(np.float64) * (1 / 255)).astype(np.float32)
    x = (x - np.float32(0.5)) / np.float32(0.5)
    return np.ascontiguousarray(x.transpose(2, 0, 1))


def resized_u8(img: Image.Image, size: int) -> np.ndarray:
    rgb = img.convert("RGB") if "A" not in img.getbands() else None
    assert rgb is not None
    return np.ascontiguousarray(np.asarray(rgb.resize((size, size), Image.Resampling.BICUBIC, reducing_gap=None))
                                .transpose(2, 0, 1))


def build_case_ids(c: Case, processor: LlavaProcessor, tokens_per_image: int):
    """-> (input_ids as the model sees them, pixel_values [N,3,S,S] or None, json extras)."""
    tokenizer = processor.tokenizer
    images = [load_image(f) for f in c.images]
    extras: dict = {}
    if c.template == "llava":
        sentinel_ids = preprocess_qwen(c.prompt, tokenizer)
        ids = expand_sentinels(sentinel_ids, tokens_per_image)
        pv = processor.image_processor(images, return_tensors="pt")["pixel_values"] if images else None
        extras["sentinel_ids"] = sentinel_ids
        extras["rendered"] = ("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
                              + c.prompt.replace("<image>", "<image>\n") + "<|im_end|>\n<|im_start|>assistant\n")
        extras["rendered_note"] = ("what the ids spell (each <image> followed by the inserted \\n); the ids are NOT "
                                   "tokenizer(rendered): each piece is tokenized separately (§4.7)")
        return ids, pv, extras
    text = (processor.apply_chat_template(c.prompt, add_generation_prompt=True, tokenize=False)
            if c.template == "hf" else c.prompt)
    assert text.count("<image>") == len(images)
    enc = processor(text=text, images=images or None, return_tensors="pt")
    ids = enc["input_ids"][0].tolist()
    unexpanded = tokenizer(text).input_ids
    assert expand_sentinels([IMAGE_TOKEN_INDEX if t == IMAGE_TOKEN_ID else t for t in unexpanded],
                            tokens_per_image) == ids
    extras["rendered"] = text
    extras["unexpanded_ids"] = unexpanded
    return ids, enc.get("pixel_values"), extras


def logits_rows(ids: list[int]) -> list[int]:
    """Subsampled rows: every 16th position, every non-image position, and the last one."""
    rows = set(range(0, len(ids), 16)) | {i for i, t in enumerate(ids) if t != IMAGE_TOKEN_ID} | {len(ids) - 1}
    return sorted(rows)


def build_checkpoint(fx: LlavaFixture, model: LlavaForConditionalGeneration) -> dict:
    out = reset_dir(LLAVA / fx.name)
    cfg524, tensors524 = saved_by_transformers(model)
    write_json(out / "config.json", legacy_llava_config(cfg524))
    legacy = {legacy_name(k): v for k, v in model.state_dict().items()
              if not (fx.tie and k == "lm_head.weight")}
    assert {k.replace("vision_tower.vision_model.", "vision_tower.") for k in legacy} == set(tensors524)
    save_tensors(out / "model.safetensors", legacy, metadata={"format": "pt"})
    write_generation_config(out)
    write_processor_files(out, fx.image_size)
    return cfg524


def check_reload(out: Path, reference_model, dtype=torch.float32) -> LlavaForConditionalGeneration:
    loaded = LlavaForConditionalGeneration.from_pretrained(out, dtype=dtype, attn_implementation="eager").eval()
    want = {k: v.to(dtype) for k, v in reference_model.state_dict().items()}
    got = loaded.state_dict()
    assert set(got) == set(want), set(got) ^ set(want)
    for k in want:
        assert torch.equal(got[k], want[k]), f"{out.name}: reloaded {k} differs"
    return loaded


def build(fx: LlavaFixture, model: LlavaForConditionalGeneration) -> dict:
    out = LLAVA / fx.name
    build_checkpoint(fx, model)
    ref = check_reload(out, model)
    cfg = ref.config
    assert cfg.text_config.tie_word_embeddings == fx.tie and cfg.vision_feature_select_strategy == "full"
    assert cfg.text_config.rope_parameters["rope_theta"] == 1e6 and cfg.image_token_id == IMAGE_TOKEN_ID
    processor = load_processor(out, fx.image_size)
    runner = Runner(ref)
    grid = fx.image_size // 14
    tokens_per_image = grid * grid

    tensors: dict[str, torch.Tensor] = {}
    image_files: list[str] = []
    cases_json = []
    margins = []
    for name in fx.cases:
        c = case(name)
        ids, pv, extras = build_case_ids(c, processor, tokens_per_image)
        n_img = ids.count(IMAGE_TOKEN_ID)
        assert n_img == tokens_per_image * len(c.images)
        entry = {"name": c.name, "template": c.template, "images": c.images, "prompt": c.prompt, **extras,
                 "input_ids": ids, "image_token_count": n_img}
        for f in c.images:
            if f not in image_files:
                image_files.append(f)
        if c.ids_only:
            entry["ids_only"] = True
            cases_json.append(entry)
            continue
        if pv is not None:  # the batch equals the per-image processor outputs, stacked
            per = torch.stack([processor.image_processor(load_image(f), return_tensors="pt")["pixel_values"][0]
                               for f in c.images])
            assert torch.equal(per, pv)
        logits = runner.logits(ids, pv)
        emb_logits = runner.logits_from_embeds(runner.merged_embeds(ids, pv))
        assert torch.allclose(logits, emb_logits, atol=1e-5, rtol=0), "masked_scatter merge != manual merge"
        greedy = runner.generate(ids, pv)
        again, margin = runner.greedy_recompute(ids, pv)
        assert greedy == again, f"{fx.name}/{name}: generate {greedy} != recompute {again}"
        margins.append(margin)
        entry["greedy_ids"] = greedy
        entry["greedy_min_top2_margin"] = margin
        if fx.subsample_logits:
            rows = logits_rows(ids)
            tensors[f"logits.{name}"] = logits[rows]
            tensors[f"logits_rows.{name}"] = torch.tensor(rows, dtype=torch.int64)
            tensors[f"logits_last.{name}"] = logits[-1]
            entry["logits_rows"] = rows
        else:
            tensors[f"logits.{name}"] = logits
        cases_json.append(entry)
        if is_degenerate(greedy) or IMAGE_TOKEN_ID in greedy:
            raise RuntimeError(f"{fx.name}/{name}: degenerate greedy or image token generated: {greedy}")
        print(f"llava/{fx.name}/{name}: L={len(ids)}, greedy {describe_greedy(greedy)}, margin {margin:.4f}")

    if fx.bf16_logits_cases:
        ref16 = LlavaForConditionalGeneration.from_pretrained(out, dtype=torch.bfloat16,
                                                              attn_implementation="eager").eval()
        for name in fx.bf16_logits_cases:
            ids, pv, _ = build_case_ids(case(name), processor, tokens_per_image)
            tensors[f"logits_bf16.{name}"] = Runner(ref16).logits(ids, pv.to(torch.bfloat16))

    for f in image_files:
        if fx.image_refs_only_for is not None and f not in fx.image_refs_only_for:
            continue
        img = load_image(f)
        pv = processor.image_processor(img, return_tensors="pt")["pixel_values"]  # [1,3,S,S] f32
        assert np.array_equal(pv[0].numpy(), pixel_values_by_hand(img, fx.image_size)), f"{f}: pixel mismatch"
        hidden, feats = runner.vision(pv)
        if fx.subsample_logits:  # big geometry: uint8 resized image instead of f32 pixels (exactly equivalent)
            u8 = resized_u8(img, fx.image_size)
            x = (u8.astype(np.float64) * (1 / 255)).astype(np.float32)
            assert np.array_equal((x - np.float32(0.5)) / np.float32(0.5), pv[0].numpy())
            tensors[f"pixel_values_u8.{f}"] = torch.from_numpy(u8)
        elif fx.pixels_from is None:
            tensors[f"pixel_values.{f}"] = pv[0]
        if fx.store_vision_hidden:
            tensors[f"vision_hidden.{f}"] = hidden[0]
        tensors[f"vision_features.{f}"] = feats[0]

    tensor_doc = {
        "logits.<case>": "f32 [L, 516] logits of the full prompt (input_ids), one forward pass",
        "pixel_values.<image>": "f32 [3, S, S] from the PIL SiglipImageProcessor (bicubic squash, /255, (x-0.5)/0.5)",
        "vision_hidden.<image>": "f32 [T, 32] SigLIP encoder output (hidden_states[-1], no post_layernorm)",
        "vision_features.<image>": "f32 [T, 64] projected features (linear_2(gelu_erf(linear_1(vision_hidden))))",
    }
    if fx.subsample_logits:
        tensor_doc["logits.<case>"] = ("f32 [R, 516]: rows logits_rows.<case> of the [L, 516] logits (every 16th "
                                       "position + every non-image position + the last); R = len(logits_rows)")
        tensor_doc["logits_rows.<case>"] = "i64 [R] row indices into the prompt (also in cases[].logits_rows)"
        tensor_doc["logits_last.<case>"] = "f32 [516] logits of the last prompt position"
        del tensor_doc["pixel_values.<image>"]
        tensor_doc["pixel_values_u8.<image>"] = ("u8 [3, S, S] the bicubic-resized RGB image (CHW) before rescale; "
                                                 "pixel_values = f32(f64(u8) * (1/255)) then (x - 0.5) / 0.5 in f32, "
                                                 "bit-exact")
    if fx.pixels_from is not None:
        tensor_doc["pixel_values.<image>"] = f"not stored: identical to ../{fx.pixels_from}/reference.safetensors"
    if not fx.store_vision_hidden:
        del tensor_doc["vision_hidden.<image>"]
    if fx.image_refs_only_for is not None:
        tensor_doc["per_image_tensors_stored_for"] = list(fx.image_refs_only_for)
    if fx.bf16_logits_cases:
        tensor_doc["logits_bf16.<case>"] = ("f32 [L, 516] logits of transformers computing in bfloat16 "
                                            "(dtype=torch.bfloat16, pixel_values cast to bf16)")
    reference = {
        **torch_info(),
        "checkpoint": {
            "dtype": str(fx.dtype).removeprefix("torch."),
            "tensor_layout": "legacy", "config_style": "legacy",
            "image_size": fx.image_size, "patch_size": 14, "image_tokens_per_image": tokens_per_image,
            "vision": {"hidden": 32, "intermediate": 48, "layers": fx.vision_layers, "heads": fx.vision_heads},
            "text": {"hidden": 64, "intermediate": 160, "layers": 2, "heads": 4, "kv_heads": 2, "rope_theta": 1e6,
                     "max_position_embeddings": fx.max_position_embeddings},
            "tie_word_embeddings": fx.tie, "seed": fx.seed,
        },
        "image_token_id": IMAGE_TOKEN_ID, "eos_token_id": IM_END_ID, "llava_image_sentinel": IMAGE_TOKEN_INDEX,
        "reference_dtype": "float32", "attn_implementation": "eager",
        "generation": {"do_sample": False, "max_new_tokens": MAX_NEW_TOKENS, "eos_token_id": IM_END_ID,
                       "greedy_ids_include_eos": True},
        "logits_storage": "subsampled rows (see logits_rows)" if fx.subsample_logits else "full",
        "greedy_min_top2_margin": min(margins),
        "cases": cases_json,
        "tensors": tensor_doc,
    }
    if fx.dtype == torch.bfloat16:
        reference["note"] = "references computed in f32 from the bf16 weights widened to f32 (as Loom does)"
    if fx.name == "tiny-84":
        add_alpha_reference(tensors, reference, processor, fx.image_size)
    save_tensors(out / "reference.safetensors", tensors)
    write_json(out / "reference.json", reference)
    return reference


def add_alpha_reference(tensors, reference, processor, size: int) -> None:
    """chelsea-alpha.png is RGBA: transformers 5.24 composites it over white, v4 / LLaVA-NeXT `convert("RGB")` drops alpha."""
    img = load_image("chelsea-alpha.png")
    pv = processor.image_processor(img, return_tensors="pt")["pixel_values"][0]
    assert np.array_equal(pv.numpy(), pixel_values_by_hand(img, size))
    dropped = torch.from_numpy(pixel_values_by_hand(img, size, drop_alpha=True))
    assert not torch.equal(pv, dropped)
    tensors["pixel_values.chelsea-alpha.png"] = pv
    tensors["pixel_values_alpha_dropped.chelsea-alpha.png"] = dropped
    reference["tensors"]["pixel_values.chelsea-alpha.png"] = ("RGBA input, transformers 5.24 PIL processor: alpha composited "
                                                     "over white (image_transforms.convert_to_rgb)")
    reference["tensors"]["pixel_values_alpha_dropped.chelsea-alpha.png"] = ("same image with v4 / LLaVA-NeXT semantics: "
                                                                   "PIL convert('RGB') drops alpha (§4.1)")


# ---------------------------------------------------------------------------------------------------------------------
# Alternative layouts (same weights, no references of their own)


def build_v5_names(base: LlavaFixture, model) -> None:
    """tiny-84-v5names: transformers-5 in-memory names, config with rope_parameters."""
    out = reset_dir(LLAVA / f"{base.name}-v5names")
    cfg524, _ = saved_by_transformers(model)
    write_json(out / "config.json", cfg524)
    sd = dict(model.state_dict())
    if "lm_head.weight" not in sd:
        sd["lm_head.weight"] = model.get_input_embeddings().weight
    # tied checkpoint: lm_head.weight is stored anyway (an exact copy of embed_tokens), so the lm_head rename is tested
    sd["lm_head.weight"] = sd["lm_head.weight"].clone()
    save_tensors(out / "model.safetensors", sd, metadata={"format": "pt"})
    write_generation_config(out)
    write_processor_files(out, base.image_size)
    check_reload(out, model)
    write_json(out / "reference.json", {
        "same_as": base.name,
        "about": "Same weights, tokenizer and processor as ../" + base.name + "; use its reference.json/.safetensors.",
        "tensor_layout": "v5-names",
        "tensor_names": "model.language_model.*, model.vision_tower.{embeddings,encoder,post_layernorm}.*, "
                        "model.multi_modal_projector.*, lm_head.weight",
        "config_style": "transformers-5.24 (text_config.rope_parameters, dtype)",
        "lm_head_note": "text_config.tie_word_embeddings is true; lm_head.weight is nevertheless stored, equal to "
                        "model.language_model.embed_tokens.weight",
        **torch_info(),
    })


def build_v5_save(base: LlavaFixture, model) -> None:
    """<base>-v5save: the verbatim output of transformers 5.24 `save_pretrained` (model + config)."""
    out = reset_dir(LLAVA / f"{base.name}-v5save")
    model.save_pretrained(out)
    write_generation_config(out)
    write_processor_files(out, base.image_size)
    check_reload(out, model, dtype=base.dtype)
    write_json(out / "reference.json", {
        "same_as": base.name,
        "about": "Same weights, tokenizer and processor as ../" + base.name + "; use its reference.json/.safetensors.",
        "tensor_layout": "tf5.24-save_pretrained",
        "tensor_names": "language_model.model.*, vision_tower.{embeddings,encoder,post_layernorm}.* (no vision_model), "
                        "multi_modal_projector.*; language_model.lm_head.weight only when untied",
        "config_style": "transformers-5.24 (save_pretrained verbatim: rope_parameters, dtype, all fields)",
        **torch_info(),
    })


def build_all() -> None:
    make_images()
    tiny = make_model(TINY_84)
    build(TINY_84, tiny)
    build_v5_names(TINY_84, tiny)
    build(GEOMETRY_384, make_model(GEOMETRY_384))
    tiny_bf16 = tiny.to(torch.bfloat16)  # same weights as tiny-84, rounded to bf16
    build(TINY_84_BF16, tiny_bf16)
    build_v5_save(TINY_84_BF16, tiny_bf16)
    print(f"llava/images: {dir_size(IMAGES) / 1024:.1f} KB")
