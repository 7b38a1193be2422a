"""Shared helpers for `make_model_fixtures.py`: deterministic init, config styles, file writing, greedy checks.

Numerics conventions used by every fixture (see reference.md §3):
- references are computed by transformers with `attn_implementation="eager"` (softmax in float32) on CPU;
- "f32 references" of a bf16 checkpoint are computed from the bf16 weights widened to float32
  (`from_pretrained(dir, dtype=torch.float32)`), which is what Loom does.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sys
from pathlib import Path

import torch
from safetensors.torch import save_file

REPO = Path(__file__).resolve().parents[2]
TOOLS_REFERENCE = Path(__file__).resolve().parent
FIXTURES = REPO / "Tests" / "Fixtures"

if str(TOOLS_REFERENCE) not in sys.path:
    sys.path.insert(0, str(TOOLS_REFERENCE))

# The tiny tokenizer (qwen_vocab.write_tokenizer_dir(dir, max_rank=512)): 512 BPE ranks + 4 specials.
TINY_MAX_RANK = 512
VOCAB_SIZE = 516
ENDOFTEXT_ID = 512  # <|endoftext|>: bos_token_id / pad in config, pad_token of the tokenizer
IM_START_ID = 513  # <|im_start|>
IM_END_ID = 514  # <|im_end|>: eos
IMAGE_TOKEN_ID = 515  # <image>
MAX_NEW_TOKENS = 32

# Qwen2Config defaults as a v4 (<= 4.57) `config.json` diff omits them (tf-4.57.6 configuration_qwen2.py).
QWEN2_V4_DEFAULTS = {
    "vocab_size": 151936,
    "hidden_size": 4096,
    "intermediate_size": 22016,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "hidden_act": "silu",
    "max_position_embeddings": 32768,
    "initializer_range": 0.02,
    "rms_norm_eps": 1e-6,
    "use_cache": True,
    "tie_word_embeddings": False,
    "rope_theta": 10000.0,
    "attention_dropout": 0.0,
}
SIGLIP_VISION_V4_DEFAULTS = {"num_channels": 3, "attention_dropout": 0.0}


def torch_info() -> dict:
    import transformers

    return {"transformers_version": transformers.__version__, "torch_version": torch.__version__}


# --------------------------------------------------------------------------------------------------------------------
# Deterministic random init (independent of transformers' `_init_weights`, which zeroes biases and sets norms to 1).


def init_params(model: torch.nn.Module, seed: int, *, embed_std: float = 0.4, linear_gain: float = 2.0,
                bias_std: float = 0.1, norm_jitter: float = 0.1, pos_std: float = 0.5, vision_gain: float | None = None) -> None:
    """Overwrites every parameter from a seeded generator, in sorted name order.

    - norm weights 1 + N(0, norm_jitter), every bias N(0, bias_std) (so missing-bias bugs show up);
    - token embeddings / lm_head N(0, embed_std): with a unit-RMS final hidden state the logits have std
      ~ embed_std * sqrt(hidden) (~3 for hidden 64), so greedy decoding is not near-uniform;
    - Linear / Conv weights N(0, linear_gain / sqrt(fan_in)); gain 2 (rather than ~1) keeps the residual stream
      from being dominated by the input token's embedding, which otherwise (esp. with tied embeddings) makes
      greedy decoding repeat one token;
    - SigLIP position embeddings N(0, pos_std);
    - with `vision_gain`, the vision tower's and projector's matrices use that gain instead, so image features stay
      O(1-10) like real SigLIP + projector outputs (large features amplify float32 rounding noise past 1e-4 in the logits).
    Tied parameters appear once in `named_parameters()` and are written once.
    """
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            noise = torch.randn(param.shape, generator=gen, dtype=torch.float32)
            leaf = name.rsplit(".", 1)[-1]
            is_norm = "norm" in name  # input_layernorm, post_attention_layernorm, norm, layer_norm1/2, post_layernorm
            if is_norm and leaf == "weight":
                value = 1.0 + norm_jitter * noise
            elif leaf == "bias":
                value = bias_std * noise
            elif "embed_tokens" in name or name.endswith("lm_head.weight"):
                value = embed_std * noise
            elif "position_embedding" in name:
                value = pos_std * noise
            elif param.dim() >= 2:
                fan_in = math.prod(param.shape[1:])
                visual = "vision_tower" in name or "multi_modal_projector" in name
                gain = vision_gain if (visual and vision_gain is not None) else linear_gain
                value = gain * noise / math.sqrt(fan_in)
            else:
                raise ValueError(f"no init rule for {name} {tuple(param.shape)}")
            param.copy_(value.to(param.dtype))


# --------------------------------------------------------------------------------------------------------------------
# Config styles


def legacy_qwen2_config(cfg: dict, *, keep: tuple[str, ...] = ()) -> dict:
    """Rewrites a transformers-5.24 Qwen2 config dict into the v4 hub style of llava-hf / Qwen repos:
    `rope_theta` at top level (omitted when it is the default 10000), `torch_dtype` instead of `dtype`,
    no `layer_types` / `rope_parameters`, and fields equal to the v4 class defaults omitted (except `keep`).
    A loader must therefore apply the transformers defaults (notably num_key_value_heads -> 32, not n_heads)."""
    out = dict(cfg)
    rope = out.pop("rope_parameters", None)
    if rope is not None:
        if rope.get("rope_type", "default") != "default":
            raise ValueError("only default RoPE is rewritten")
        out["rope_theta"] = float(rope["rope_theta"])
    if "dtype" in out:
        out["torch_dtype"] = out.pop("dtype")
    out.pop("layer_types", None)
    out.pop("pad_token_id", None)
    for key, default in QWEN2_V4_DEFAULTS.items():
        if key in out and key not in keep and out[key] == default:
            del out[key]
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------------------------------------------------
# Files


def reset_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def _dumps(obj, level: int = 0) -> str:
    """json.dumps(indent=2) except that lists of scalars stay on one line (long id lists stay readable)."""
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(str(k), ensure_ascii=False)}: {_dumps(v, level + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, (list, tuple)):
        if all(not isinstance(v, (dict, list, tuple)) for v in obj):
            return json.dumps(list(obj), ensure_ascii=False)
        return "[\n" + ",\n".join(inner + _dumps(v, level + 1) for v in obj) + "\n" + pad + "]"
    return json.dumps(obj, ensure_ascii=False)


def write_json(path: Path, obj) -> None:
    text = _dumps(obj) + "\n"
    assert json.loads(text) == json.loads(json.dumps(obj))
    path.write_text(text, encoding="utf-8")


def read_json(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


def save_tensors(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """safetensors with keys in sorted order, contiguous CPU tensors."""
    clean = {k: tensors[k].detach().cpu().contiguous() for k in sorted(tensors)}
    save_file(clean, str(path), metadata=metadata)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def write_generation_config(path: Path) -> None:
    """Mirrors the hub `generation_config.json` of llava-interleave (reference.md §1.4): greedy, eos = <|im_end|>."""
    import transformers

    write_json(path / "generation_config.json", {
        "_from_model_config": True,
        "bos_token_id": ENDOFTEXT_ID,
        "eos_token_id": IM_END_ID,
        "transformers_version": transformers.__version__,
    })


# --------------------------------------------------------------------------------------------------------------------
# Greedy decoding checks


def greedy_by_recompute(forward_logits, prompt_ids: list[int], max_new_tokens: int = MAX_NEW_TOKENS) -> list[int]:
    """Greedy decoding without a KV cache (full forward every step); `forward_logits(ids) -> [L, V]`.
    Cross-checks `model.generate`. Stops after emitting eos (the eos id is included)."""
    ids = list(prompt_ids)
    out: list[int] = []
    for _ in range(max_new_tokens):
        nxt = int(forward_logits(ids)[-1].argmax())
        out.append(nxt)
        ids.append(nxt)
        if nxt == IM_END_ID:
            break
    return out


def describe_greedy(ids: list[int]) -> str:
    return f"{len(ids)} ids, {len(set(ids))} distinct{', ends with eos' if ids and ids[-1] == IM_END_ID else ''}"


def is_degenerate(ids: list[int]) -> bool:
    """The same token repeated (or fewer than 3 distinct tokens in a long run)."""
    return len(ids) >= 8 and len(set(ids)) < 3


def max_run(ids: list[int]) -> int:
    best = cur = 1 if ids else 0
    for a, b in zip(ids, ids[1:]):
        cur = cur + 1 if a == b else 1
        best = max(best, cur)
    return best


def greedy_is_lively(ids: list[int]) -> bool:
    """Seed-search criterion: >= 8 tokens, >= 8 distinct, no token repeated more than 4 times in a row."""
    return len(ids) >= 8 and len(set(ids)) >= 8 and max_run(ids) <= 4


def min_top2_margin(logits: torch.Tensor) -> float:
    """Smallest gap between the best and second-best logit over rows: greedy-stability indicator."""
    top2 = logits.float().topk(2, dim=-1).values
    return float((top2[:, 0] - top2[:, 1]).min())
