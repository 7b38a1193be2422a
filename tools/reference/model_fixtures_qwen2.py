"""Phase 1: tiny random-weight `Qwen2ForCausalLM` checkpoints + reference outputs in `Tests/Fixtures/qwen2/<name>/`."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

from model_fixtures_common import (
    ENDOFTEXT_ID, FIXTURES, IM_END_ID, MAX_NEW_TOKENS, TINY_MAX_RANK, VOCAB_SIZE, describe_greedy,
    greedy_by_recompute, greedy_is_lively, init_params, is_degenerate, legacy_qwen2_config, min_top2_margin, read_json, reset_dir,
    save_tensors, torch_info, write_generation_config, write_json,
)
from qwen_vocab import write_tokenizer_dir

PROMPT_TEXT = "A loom weaves threads into cloth, row by row."
CHAT_SYSTEM = "You are a helpful assistant."
CHAT_PROMPT = "Write a haiku about looms."
# greedy paths whose best/second-best logit gap falls below this are re-seeded (f32 Loom must reproduce argmax)
MIN_MARGIN = 1e-3


@dataclass(frozen=True)
class Qwen2Fixture:
    name: str
    heads: int
    kv_heads: int
    tie: bool
    rope_theta: float
    dtype: torch.dtype
    config_style: str  # "legacy" (v4 hub-style diff, rewritten) | "transformers-5.24" (save_pretrained verbatim)
    seed: int
    max_shard_size: str | None = None
    chat_stops_at_eos: bool = False  # seed search also requires the chat greedy run to end with <|im_end|>


FIXTURES_QWEN2 = [
    Qwen2Fixture("mha-f32", heads=4, kv_heads=4, tie=False, rope_theta=1e6, dtype=torch.float32,
                 config_style="legacy", seed=1100, chat_stops_at_eos=True),
    Qwen2Fixture("gqa-f32", heads=4, kv_heads=2, tie=True, rope_theta=10000.0, dtype=torch.float32,
                 config_style="transformers-5.24", seed=1200),
    Qwen2Fixture("gqa-bf16", heads=8, kv_heads=2, tie=False, rope_theta=1e6, dtype=torch.bfloat16,
                 config_style="legacy", seed=1300),
    Qwen2Fixture("mqa-sharded", heads=4, kv_heads=1, tie=False, rope_theta=10000.0, dtype=torch.float32,
                 config_style="legacy", seed=1400, max_shard_size="200KB"),
]


def qwen2_config(fx: Qwen2Fixture) -> Qwen2Config:
    return Qwen2Config(
        vocab_size=VOCAB_SIZE, hidden_size=64, intermediate_size=160, num_hidden_layers=2,
        num_attention_heads=fx.heads, num_key_value_heads=fx.kv_heads, max_position_embeddings=512,
        rms_norm_eps=1e-6, tie_word_embeddings=fx.tie,
        rope_parameters={"rope_type": "default", "rope_theta": float(fx.rope_theta)},
        bos_token_id=ENDOFTEXT_ID, eos_token_id=IM_END_ID,
    )


def _logits_fn(model):
    @torch.no_grad()
    def run(ids: list[int]) -> torch.Tensor:
        return model(input_ids=torch.tensor([ids])).logits[0].float()
    return run


@torch.no_grad()
def _generate(model, ids: list[int]) -> list[int]:
    inp = torch.tensor([ids])
    out = model.generate(input_ids=inp, attention_mask=torch.ones_like(inp), do_sample=False,
                         max_new_tokens=MAX_NEW_TOKENS, eos_token_id=IM_END_ID, pad_token_id=ENDOFTEXT_ID)
    return out[0, len(ids):].tolist()


def _candidate(fx: Qwen2Fixture, seed: int, prompts: list[list[int]], eos_prompt: list[int] | None):
    """Builds the model for one seed; returns (model, score-info) for the greedy-quality check."""
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(qwen2_config(fx)).eval()
    init_params(model, seed)
    if fx.dtype != torch.float32:
        model = model.to(fx.dtype)
    # judge on the f32-widened weights (what references are computed from)
    probe = Qwen2ForCausalLM(qwen2_config(fx)).eval()
    probe.load_state_dict({k: v.float() for k, v in model.state_dict().items()})
    fwd = _logits_fn(probe)
    ok = True
    margins = []
    for ids in prompts:
        g = greedy_by_recompute(fwd, ids)
        full = fwd(ids + g)
        margins.append(min_top2_margin(full[len(ids) - 1: len(ids) + len(g) - 1]))
        if ids is eos_prompt:
            ok &= len(g) >= 8 and g[-1] == IM_END_ID and greedy_is_lively(g[:-1])
        else:
            ok &= greedy_is_lively(g)
    return model, ok and min(margins) >= MIN_MARGIN, min(margins)


def build(fx: Qwen2Fixture) -> dict:
    out = reset_dir(FIXTURES / "qwen2" / fx.name)
    tok_hf = write_tokenizer_dir(out, max_rank=TINY_MAX_RANK)
    tokenizer = AutoTokenizer.from_pretrained(out)

    prompt_ids = tokenizer(PROMPT_TEXT).input_ids
    assert prompt_ids == tok_hf.encode(PROMPT_TEXT).ids
    messages = [{"role": "system", "content": CHAT_SYSTEM}, {"role": "user", "content": CHAT_PROMPT}]
    chat_text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    chat_ids = tokenizer(chat_text, add_special_tokens=False).input_ids
    assert chat_ids == list(tokenizer.apply_chat_template(messages, add_generation_prompt=True)["input_ids"])

    # deterministic seed search: the first seed (from fx.seed) whose greedy paths are non-degenerate with margin
    for seed in range(fx.seed, fx.seed + 100):
        model, good, margin = _candidate(fx, seed, [prompt_ids, chat_ids], chat_ids if fx.chat_stops_at_eos else None)
        if good:
            break
    else:
        raise RuntimeError(f"{fx.name}: no good seed")

    model.save_pretrained(out, max_shard_size=fx.max_shard_size) if fx.max_shard_size else model.save_pretrained(out)
    written_config = read_json(out / "config.json")
    if fx.config_style == "legacy":
        write_json(out / "config.json", legacy_qwen2_config(written_config))
    write_generation_config(out)

    # ---- references, from the files as transformers reads them back
    ref32 = AutoModelForCausalLM.from_pretrained(out, dtype=torch.float32, attn_implementation="eager").eval()
    expect = {k: v.float() for k, v in model.state_dict().items()}
    got = ref32.state_dict()
    for k, v in expect.items():
        assert torch.equal(got[k], v), f"{fx.name}: reloaded {k} differs"
    c = ref32.config
    assert (c.num_attention_heads, c.num_key_value_heads, c.tie_word_embeddings) == (fx.heads, fx.kv_heads, fx.tie)
    assert c.rope_parameters["rope_theta"] == fx.rope_theta and c.rms_norm_eps == 1e-6

    fwd = _logits_fn(ref32)
    logits = fwd(prompt_ids)
    greedy = _generate(ref32, prompt_ids)
    assert greedy == greedy_by_recompute(fwd, prompt_ids), f"{fx.name}: generate != recompute"
    greedy_logits = fwd(prompt_ids + greedy)
    chat_greedy = _generate(ref32, chat_ids)
    assert chat_greedy == greedy_by_recompute(fwd, chat_ids)
    chat_logits = fwd(chat_ids)

    tensors = {"logits": logits, "greedy_logits": greedy_logits, "chat_logits_last": chat_logits[-1]}
    reference = {
        "prompt_text": PROMPT_TEXT,
        "prompt_ids": prompt_ids,
        "greedy_ids": greedy,
        "chat": {
            "prompt": CHAT_PROMPT,
            "system": CHAT_SYSTEM,
            "rendered": chat_text,
            "prompt_ids": chat_ids,
            "greedy_ids": chat_greedy,
            "greedy_text": tokenizer.decode(chat_greedy, skip_special_tokens=True),
            "greedy_text_with_special": tokenizer.decode(chat_greedy, skip_special_tokens=False),
        },
        **torch_info(),
        "checkpoint": {
            "dtype": str(fx.dtype).removeprefix("torch."),
            "heads": fx.heads, "kv_heads": fx.kv_heads, "head_dim": 64 // fx.heads,
            "tie_word_embeddings": fx.tie, "rope_theta": fx.rope_theta,
            "config_style": fx.config_style,
            "sharded": fx.max_shard_size is not None,
            "seed": seed,
        },
        "generation": {"do_sample": False, "max_new_tokens": MAX_NEW_TOKENS, "eos_token_id": IM_END_ID,
                       "greedy_ids_include_eos": True},
        "reference_dtype": "float32",
        "attn_implementation": "eager",
        "greedy_min_top2_margin": margin,
        "tensors": {
            "logits": "f32 [len(prompt_ids), 516], full forward of prompt_ids",
            "greedy_logits": "f32 [len(prompt_ids)+len(greedy_ids), 516], teacher-forced prompt_ids+greedy_ids",
            "chat_logits_last": "f32 [516], last-position logits of chat.prompt_ids",
        },
    }
    if fx.dtype == torch.bfloat16:
        ref16 = AutoModelForCausalLM.from_pretrained(out, dtype=torch.bfloat16, attn_implementation="eager").eval()
        tensors["logits_bf16"] = _logits_fn(ref16)(prompt_ids)
        reference["greedy_ids_bf16"] = _generate(ref16, prompt_ids)
        reference["tensors"]["logits_bf16"] = ("f32 [len(prompt_ids), 516]: logits of transformers computing in "
                                               "bfloat16 (dtype=torch.bfloat16), widened to f32")
        reference["tensors"]["note"] = "logits/greedy_logits/greedy_ids: bf16 weights widened to f32, computed in f32"
    save_tensors(out / "reference.safetensors", tensors)
    write_json(out / "reference.json", reference)

    for name, ids in (("prompt", greedy), ("chat", chat_greedy)):
        if is_degenerate(ids):
            raise RuntimeError(f"{fx.name}: degenerate greedy for {name}: {ids}")
    print(f"qwen2/{fx.name}: seed {seed}, greedy {describe_greedy(greedy)}, chat {describe_greedy(chat_greedy)}, "
          f"min margin {margin:.4f}, logits std {float(logits.std()):.2f}")
    return reference


def build_all() -> None:
    for fx in FIXTURES_QWEN2:
        build(fx)
