#!/usr/bin/env python3
"""Whole-model training-step fixtures for Loom's trainer (train.md §4, §6, §7): PyTorch + PEFT on the tiny llava.

    python tools/reference/make_train_fixtures.py     # torch 2.13.0+cpu, transformers 5.24.0, peft 0.21.2

Writes (deleting and rewriting only these; other scripts write elsewhere under `Tests/Fixtures/train/`):
- `Tests/Fixtures/train/steps/<case>.json` + `<case>.safetensors` for the cases of `CASES`, and the initial PEFT
  adapters `lora-interleaved-adapter/`, `lora-video-adapter/`, `accum-adapter/` (PEFT's own `save_pretrained`);
- `Tests/Fixtures/train/schedules.json`: the learning rates of transformers' warmup schedules.

Every case starts from `Tests/Fixtures/llava/tiny-84` (`from_pretrained(..., dtype=float32, attn_implementation=
"eager")`), runs 3 `torch.optim.AdamW` steps on one fixed batch with `clip_grad_norm_` before each step, and records
the loss of each step, the pre-clip global gradient norms, the step-1 gradients and the parameters after steps 1
and 3 (whole tensors for LoRA cases; strided samples + whole-tensor norms for full cases, see SAMPLE_MAX).
pixel_values are not stored: they are the tiny-84 `reference.safetensors` tensors `pixel_values.<file>`. The loss is `sum(CE over supervised targets) / N` (N = number of targets `labels[1:] != -100` of the whole
batch), so gradient accumulation = sum of per-sample CE sums / total N. Deterministic: fixed seeds, one CPU thread,
f32; safetensors keys sorted. See tools/reference/README.md (## Training fixtures) for the format.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from safetensors.torch import load_file  # noqa: E402

from model_fixtures_common import (  # noqa: E402
    FIXTURES, IM_END_ID, IM_START_ID, IMAGE_TOKEN_ID, REPO, reset_dir, save_tensors, torch_info, write_json,
)

BASE_REL = "Tests/Fixtures/llava/tiny-84"  # relative, so that adapter_config.json's base_model_name_or_path is too
IMAGES = FIXTURES / "llava" / "images"
TRAIN = FIXTURES / "train"
STEPS = TRAIN / "steps"
TOKENS_PER_IMAGE = 36  # (84 / 14)^2
IGNORE = -100
N_STEPS = 3
BETAS = (0.9, 0.999)
# Adam's eps is raised from PyTorch's 1e-8: with 1e-8 an element whose gradient is ~1e-7 of the tensor's largest (a
# cancellation, at f32 rounding level in any implementation) gets an update anywhere in ±lr, so parameters after a step
# cannot agree to 1e-5 between two correct f32 implementations (gradients agree to ~1e-5 of their largest element). At
# 1e-2 an update moves at most 25× the gradient's error, and 3 steps stay within 1e-5.
EPS = 1e-2
LORA_TARGETS = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
LORA_SEED = 3100  # torch.manual_seed before get_peft_model (lora_A: PEFT's kaiming-uniform init)
LORA_B_SEED = 3101  # generator for lora_B ~ N(0, LORA_B_STD), in sorted parameter-name order
LORA_B_STD = 0.02
# Full cases store large tensors subsampled (the whole model x 3 tensor families would be ~2 MB per case):
# a tensor with more than SAMPLE_MAX elements is stored flattened at flat indices 0, s, 2s, ... < numel, with
# s = the smallest integer >= ceil(numel / SAMPLE_MAX) coprime with the last dimension (also in the json). Per-tensor L2 norms of the whole tensors are in the json (`full_norms`).
SAMPLE_MAX = 256
# pixel_values of each sample = stack of these tensors of the tiny-84 references (checked equal to the processor's)
REF_PIXELS_FILE = "Tests/Fixtures/llava/tiny-84/reference.safetensors"
REF_PIXELS = {k: v for k, v in load_file(str(REPO / REF_PIXELS_FILE)).items() if k.startswith("pixel_values.")}


# ---------------------------------------------------------------------------------------------------------------------
# Samples


@dataclass(frozen=True)
class Sample:
    name: str
    images: tuple[str, ...]
    turns: tuple[tuple[str, str], ...]  # (user content with "<image>" placeholders, assistant answer)


INTERLEAVED = Sample(
    "interleaved", ("coffee.jpg", "chelsea.jpg"),
    (("Image 1: <image>\nImage 2: <image>\nWhat differs?", "The first is a cup of coffee, the second a cat."),
     ("Which one is warmer?", "The coffee.")),
)
VIDEO = Sample(
    "video", ("rocket.jpg", "astronaut.jpg", "camera.png", "coffee.jpg"),
    (("<image><image><image><image>\nWhat happens in this video?", "A rocket launches, then a crew poses."),),
)


class Tok:
    def __init__(self, path: Path):
        from tokenizers import Tokenizer

        self.t = Tokenizer.from_file(str(path / "tokenizer.json"))

    def __call__(self, text: str) -> list[int]:
        return self.t.encode(text, add_special_tokens=False).ids


def build_ids(sample: Sample, tok: Tok) -> tuple[list[int], list[int], str]:
    """ChatML without a system prompt; each <image> -> 36 ids 515; labels = answer tokens + their <|im_end|>."""
    ids: list[int] = []
    labels: list[int] = []
    rendered = ""

    def add(piece: list[int], supervised: bool) -> None:
        ids.extend(piece)
        labels.extend(piece if supervised else [IGNORE] * len(piece))

    n_images = 0
    for user, answer in sample.turns:
        rendered += f"<|im_start|>user\n{user}<|im_end|>\n<|im_start|>assistant\n{answer}<|im_end|>\n"
        add([IM_START_ID] + tok("user\n"), False)
        parts = user.split("<image>")
        for i, part in enumerate(parts):
            if part:
                add(tok(part), False)
            if i + 1 < len(parts):
                add([IMAGE_TOKEN_ID] * TOKENS_PER_IMAGE, False)
                n_images += 1
        add([IM_END_ID] + tok("\n") + [IM_START_ID] + tok("assistant\n"), False)
        add(tok(answer) + [IM_END_ID], True)
        add(tok("\n"), False)
    assert n_images == len(sample.images)
    # the piecewise ids equal the tokenization of the whole rendered text (specials split first), images expanded
    whole = []
    for i in tok(rendered):
        whole.extend([IMAGE_TOKEN_ID] * TOKENS_PER_IMAGE if i == IMAGE_TOKEN_ID else [i])
    assert whole == ids, "piecewise tokenization differs from the whole text"
    return ids, labels, rendered


def pixel_values(sample: Sample, processor) -> torch.Tensor:
    from PIL import Image

    images = []
    for f in sample.images:
        img = Image.open(IMAGES / f)
        img.load()
        images.append(img)
    pv = processor.image_processor(images, return_tensors="pt")["pixel_values"]
    assert pv.dtype == torch.float32 and tuple(pv.shape) == (len(images), 3, 84, 84), pv.shape
    return pv


@dataclass
class Batch:
    samples: list[Sample]
    ids: list[torch.Tensor]
    labels: list[torch.Tensor]
    pixels: list[torch.Tensor]
    rendered: list[str]

    @property
    def n_targets(self) -> int:
        return sum(int((lab[1:] != IGNORE).sum()) for lab in self.labels)


def make_batch(samples: list[Sample], tok: Tok, processor) -> Batch:
    b = Batch(samples, [], [], [], [])
    for s in samples:
        ids, labels, rendered = build_ids(s, tok)
        b.ids.append(torch.tensor(ids, dtype=torch.long))
        b.labels.append(torch.tensor(labels, dtype=torch.long))
        b.pixels.append(pixel_values(s, processor))
        b.rendered.append(rendered)
    return b


# ---------------------------------------------------------------------------------------------------------------------
# Model, loss, names


def load_base():
    from transformers import LlavaForConditionalGeneration

    model = LlavaForConditionalGeneration.from_pretrained(BASE_REL, dtype=torch.float32, attn_implementation="eager")
    assert model.lm_head.weight is model.model.language_model.embed_tokens.weight, "tiny-84 must be tied"
    return model


def ce_sum(model, ids: torch.Tensor, labels: torch.Tensor, pv: torch.Tensor) -> torch.Tensor:
    logits = model(input_ids=ids[None], pixel_values=pv).logits[0]
    assert logits.dtype == torch.float32 and logits.shape == (len(ids), 516)
    return F.cross_entropy(logits[:-1], labels[1:], ignore_index=IGNORE, reduction="sum")


def batch_loss(model, batch: Batch, backward: bool) -> tuple[float, list[float]]:
    """Returns (loss, per-sample CE sums); with backward, accumulates d loss into .grad sample by sample."""
    n = batch.n_targets
    total = 0.0
    sums = []
    for ids, labels, pv in zip(batch.ids, batch.labels, batch.pixels):
        s = ce_sum(model, ids, labels, pv)
        if backward:
            (s / n).backward()
        sums.append(float(s.detach()))
        total = total + s.detach()
    return float(total / n), sums


def hub_name(name: str) -> str:
    """transformers 5.24 in-memory name -> llava-hf hub (legacy) name."""
    for new, old in (("model.language_model.", "language_model.model."),
                     ("model.vision_tower.vision_model.", "vision_tower.vision_model."),
                     ("model.vision_tower.", "vision_tower.vision_model."),
                     ("model.multi_modal_projector.", "multi_modal_projector.")):
        if name.startswith(new):
            return old + name[len(new):]
    raise KeyError(name)  # lm_head.weight is tied to embed_tokens and never a separate parameter here


# vision_feature_layer -1 takes hidden_states[-1] of the SigLIP encoder, *before* post_layernorm: these parameters
# get no gradient (.grad stays None, so AdamW leaves them untouched, decay included); they are kept frozen and
# listed under "unused" in full-all.
UNUSED = ("model.vision_tower.post_layernorm.weight", "model.vision_tower.post_layernorm.bias")


def decays(name: str) -> bool:
    return "bias" not in name and "norm" not in name


# ---------------------------------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    name: str
    mode: str  # "lora" | "full-lm" (projector + language model) | "full-all"
    samples: tuple[Sample, ...]
    lr: float
    weight_decay: float
    max_grad_norm: float
    modules_to_save: bool = True
    about: str = ""


CASES = [
    Case("lora-interleaved", "lora", (INTERLEAVED,), lr=2e-3, weight_decay=0.1, max_grad_norm=0.5,
         about="PEFT LoRA r=4 alpha=8 on the LM linears + trainable projector copy (modules_to_save), interleaved "
               "2-image 2-turn sample"),
    Case("full-interleaved", "full-lm", (INTERLEAVED,), lr=1e-3, weight_decay=0.1, max_grad_norm=100.0,
         about="full fine-tune of projector + language model (tied embed_tokens/lm_head, norms); vision tower frozen"),
    Case("lora-video", "lora", (VIDEO,), lr=2e-3, weight_decay=0.1, max_grad_norm=100.0, modules_to_save=False,
         about="PEFT LoRA without modules_to_save (projector frozen), 4 frames in front, one turn"),
    Case("full-all", "full-all", (INTERLEAVED,), lr=1e-3, weight_decay=0.1, max_grad_norm=25.0,
         about="every parameter trainable incl. the SigLIP tower (patch/position embeddings, LayerNorm, GELU-tanh)"),
    Case("accum", "lora", (INTERLEAVED, VIDEO), lr=2e-3, weight_decay=0.1, max_grad_norm=0.5,
         about="LoRA as lora-interleaved; each optimizer step accumulates [interleaved, video]: "
               "loss = (CE_sum_0 + CE_sum_1) / (N_0 + N_1)"),
]


def make_lora(case: Case):
    from peft import LoraConfig, get_peft_model

    base = load_base()
    cfg = LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=LORA_TARGETS, bias="none",
                     modules_to_save=["multi_modal_projector"] if case.modules_to_save else None,
                     task_type="CAUSAL_LM")
    torch.manual_seed(LORA_SEED)
    model = get_peft_model(base, cfg)
    gen = torch.Generator().manual_seed(LORA_B_SEED)
    with torch.no_grad():
        for n, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            if ".lora_B." in n:
                p.copy_(torch.randn(p.shape, generator=gen) * LORA_B_STD)
    for n, p in model.named_parameters():  # only LoRA (+ the projector copy) train
        is_lora = ".lora_A." in n or ".lora_B." in n
        is_copy = ".modules_to_save." in n
        assert p.requires_grad == (is_lora or is_copy), (n, p.requires_grad)
        if is_lora:
            assert "language_model" in n and "vision_tower" not in n, n
    model.train()
    return model


def peft_names(model) -> dict[str, str]:
    """in-memory parameter name -> key of adapter_model.safetensors, matched by storage."""
    from peft import get_peft_model_state_dict

    saved = get_peft_model_state_dict(model)
    by_ptr = {t.data_ptr(): k for k, t in saved.items()}
    out = {}
    for n, p in model.named_parameters():
        if p.requires_grad:
            out[n] = by_ptr.pop(p.data_ptr())
    assert not by_ptr, f"saved keys without a trainable parameter: {sorted(by_ptr.values())}"
    return out


def make_full(case: Case):
    model = load_base()
    for n, p in model.named_parameters():
        p.requires_grad_((case.mode == "full-all" or not n.startswith("model.vision_tower."))
                         and n not in UNUSED)
    model.train()
    names = {n: hub_name(n) for n, p in model.named_parameters() if p.requires_grad}
    assert "lm_head.weight" not in names and "language_model.model.embed_tokens.weight" in names.values()
    return model, names


def save_adapter(model, case: Case, batch: Batch, loss0: float) -> tuple[str, float]:
    """PEFT save_pretrained of the initial adapter; reload it onto a fresh base and check the loss."""
    from peft import PeftModel

    out = STEPS / f"{case.name}-adapter"
    reset_dir(out)
    model.save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)  # PEFT's model-card stub
    assert sorted(p.name for p in out.iterdir()) == ["adapter_config.json", "adapter_model.safetensors"]
    saved = load_file(str(out / "adapter_model.safetensors"))
    names = peft_names(model)
    assert set(saved) == set(names.values()), set(saved) ^ set(names.values())
    params = dict(model.named_parameters())
    for n, k in names.items():
        assert torch.equal(saved[k], params[n].detach()), k
    reloaded = PeftModel.from_pretrained(load_base(), str(out)).eval()
    with torch.no_grad():
        loss_r, _ = batch_loss(reloaded, batch, backward=False)
    diff = abs(loss_r - loss0)
    assert diff <= 1e-6 * abs(loss0), (loss_r, loss0)
    return out.name, diff


def sampled(t: torch.Tensor) -> tuple[torch.Tensor, int]:
    if t.numel() <= SAMPLE_MAX:
        return t, 1
    s = math.ceil(t.numel() / SAMPLE_MAX)
    while math.gcd(s, t.shape[-1]) != 1:  # so the samples visit every column, not a few
        s += 1
    return t.reshape(-1)[::s], s


def run_case(case: Case, batches: dict[str, Batch]) -> dict:
    batch = Batch([], [], [], [], [])
    for s in case.samples:
        b = batches[s.name]
        batch.samples += b.samples
        batch.ids += b.ids
        batch.labels += b.labels
        batch.pixels += b.pixels
        batch.rendered += b.rendered

    if case.mode == "lora":
        model = make_lora(case)
        names = peft_names(model)
        naming = "peft"
    else:
        model, names = make_full(case)
        naming = "hub"
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert set(params) == set(names)
    print(f"\n[{case.name}] {len(params)} trainable tensors, {sum(p.numel() for p in params.values())} values")
    for n in list(params)[:3] + list(params)[-2:]:
        print(f"  {n}  ->  {names[n]}")
    init = {n: p.detach().clone() for n, p in params.items()}

    decay = sorted(n for n in params if decays(names[n]))
    no_decay = sorted(n for n in params if not decays(names[n]))
    opt = torch.optim.AdamW([{"params": [params[n] for n in decay], "weight_decay": case.weight_decay},
                             {"params": [params[n] for n in no_decay], "weight_decay": 0.0}],
                            lr=case.lr, betas=BETAS, eps=EPS)

    losses, norms, clipped, ce_sums = [], [], [], []
    tensors: dict[str, torch.Tensor] = {}
    full_norms: dict[str, dict[str, float]] = {}
    strides: dict[str, int] = {}
    store_full = case.mode == "lora"
    adapter = None
    for step in range(1, N_STEPS + 1):
        opt.zero_grad(set_to_none=True)
        loss, sums = batch_loss(model, batch, backward=True)
        if step == 1 and case.mode == "lora":
            adapter, reload_diff = save_adapter(model, case, batch, loss)
            print(f"  adapter {adapter}: reloaded loss differs by {reload_diff:.3g}")
        if step == 1:
            for n, p in params.items():
                assert p.grad is not None, n
                g = p.grad.detach().clone()
                tensors[f"grad1.{names[n]}"] = g if store_full else sampled(g)[0]
                if not store_full:
                    strides[names[n]] = sampled(g)[1]
                    full_norms[names[n]] = {"grad1": float(g.double().norm())}
        norm = torch.nn.utils.clip_grad_norm_(list(params.values()), case.max_grad_norm)
        coef = float(torch.clamp(case.max_grad_norm / (norm + 1e-6), max=1.0))
        # keep clear of the threshold, so a re-implementation with a different summation order agrees
        assert abs(float(norm) - case.max_grad_norm) > 1e-3 * case.max_grad_norm, (case.name, float(norm))
        opt.step()
        losses.append(loss)
        ce_sums.append(sums)
        norms.append(float(norm))
        clipped.append(coef < 1.0)
        print(f"  step {step}: loss {loss:.6f}  grad norm {float(norm):.6f}  {'clipped' if coef < 1 else 'not clipped'}")
        if step in (1, N_STEPS):
            for n, p in params.items():
                v = p.detach().clone()
                tensors[f"step{step}.{names[n]}"] = v if store_full else sampled(v)[0]
                if not store_full:
                    full_norms[names[n]][f"delta{step}"] = float((v.double() - init[n].double()).norm())
    with torch.no_grad():
        final_loss, _ = batch_loss(model.eval(), batch, backward=False)
    print(f"  loss after step {N_STEPS}: {final_loss:.6f}")
    if case.mode != "lora":
        assert losses[0] > losses[1] > losses[2] > final_loss, (case.name, losses, final_loss)
    assert losses[0] > final_loss

    # pixel_values are not stored again (they would be 85 KB per image): they are the tiny-84 reference tensors
    for s, pv in zip(batch.samples, batch.pixels):
        assert torch.equal(pv, torch.stack([REF_PIXELS[f"pixel_values.{f}"] for f in s.images]))
    save_tensors(STEPS / f"{case.name}.safetensors", tensors, metadata={"format": "pt"})

    samples = []
    for s, ids, labels, rendered in zip(batch.samples, batch.ids, batch.labels, batch.rendered):
        samples.append({"name": s.name, "images": len(s.images), "image_files": list(s.images),
                        "pixel_values": [f"pixel_values.{f}" for f in s.images],
                        "rendered": rendered, "n_targets": int((labels[1:] != IGNORE).sum()),
                        "input_ids": ids.tolist(), "labels": labels.tolist()})
    out = {
        "case": case.name,
        "about": case.about,
        "base": BASE_REL,
        "mode": case.mode,
        "names": naming,
        "adapter": adapter,
        "pixel_values_file": REF_PIXELS_FILE,
        "samples": samples,
        "n_targets": batch.n_targets,
        "lr": case.lr, "betas": list(BETAS), "eps": EPS, "weight_decay": case.weight_decay,
        "max_grad_norm": case.max_grad_norm,
        "steps": N_STEPS,
        "losses": losses,
        "ce_sums": ce_sums,
        "final_loss": final_loss,
        "grad_norms": norms,
        "clipped": clipped,
        "trainable": sorted(names.values()),
        "decay": sorted(names[n] for n in decay),
    }
    if case.mode == "full-all":
        out["unused"] = sorted(hub_name(n) for n in UNUSED)
    if case.mode == "lora":
        out["lora"] = {"r": 4, "lora_alpha": 8, "scaling": 2.0, "lora_dropout": 0.0, "target_modules": LORA_TARGETS,
                       "modules_to_save": ["multi_modal_projector"] if case.modules_to_save else None,
                       "init": f"lora_A: PEFT kaiming-uniform after torch.manual_seed({LORA_SEED}); lora_B ~ "
                               f"N(0, {LORA_B_STD}) (seed {LORA_B_SEED}); both are in the adapter dir"}
    else:
        out["sampled"] = {"max_elements": SAMPLE_MAX,
                          "rule": "a tensor with numel > max_elements is stored flattened (row-major) at flat "
                                  "indices 0, s, 2s, ... < numel, s = the smallest integer >= "
                                  "ceil(numel / max_elements) coprime with the last dimension (listed in stride)",
                          "stride": {k: v for k, v in sorted(strides.items()) if v > 1}}
        out["full_norms"] = {k: full_norms[k] for k in sorted(full_norms)}
    write_json(STEPS / f"{case.name}.json", out)
    return out


# ---------------------------------------------------------------------------------------------------------------------
# Schedules


def schedules() -> None:
    from transformers import (
        get_constant_schedule_with_warmup, get_cosine_schedule_with_warmup, get_linear_schedule_with_warmup,
    )

    total, warmup, base_lr = 20, 3, 1e-3

    def lrs(make) -> list[float]:
        p = torch.nn.Parameter(torch.zeros(1))
        opt = torch.optim.AdamW([p], lr=base_lr)
        sched = make(opt)
        out = []
        for _ in range(total):
            out.append(float(sched.get_last_lr()[0]))
            p.grad = torch.zeros(1)
            opt.step()
            sched.step()
        return out

    write_json(TRAIN / "schedules.json", {
        "about": "lr used at optimizer steps 1..total (scheduler.get_last_lr() before each step), base lr "
                 f"{base_lr}, {total} training steps; transformers {torch_info()['transformers_version']} "
                 "optimization.py. cosine: num_cycles 0.5 (lr = base * step/warmup during warmup, then "
                 "base * 0.5 * (1 + cos(pi * progress)), progress = (step - warmup) / (total - warmup), step 0-based).",
        "base_lr": base_lr, "total_steps": total,
        "schedules": [
            {"name": "cosine", "warmup_steps": warmup, "lrs": lrs(
                lambda o: get_cosine_schedule_with_warmup(o, num_warmup_steps=warmup, num_training_steps=total))},
            {"name": "linear", "warmup_steps": warmup, "lrs": lrs(
                lambda o: get_linear_schedule_with_warmup(o, num_warmup_steps=warmup, num_training_steps=total))},
            {"name": "constant", "warmup_steps": warmup, "lrs": lrs(
                lambda o: get_constant_schedule_with_warmup(o, num_warmup_steps=warmup))},
            {"name": "cosine", "warmup_steps": 0, "lrs": lrs(
                lambda o: get_cosine_schedule_with_warmup(o, num_warmup_steps=0, num_training_steps=total))},
        ],
    })


def optimizer_steps() -> None:
    """torch.optim.AdamW with its default eps (1e-8) and clip_grad_norm_ on given gradients: the optimizer alone,
    where the gradients are exact inputs, so parameters must agree to f32 rounding."""
    g = torch.Generator().manual_seed(4242)
    shapes = [(3, 5), (7,)]
    params = [torch.nn.Parameter(torch.randn(s, generator=g)) for s in shapes]
    initial = [p.detach().clone() for p in params]
    opt = torch.optim.AdamW([{"params": [params[0]], "weight_decay": 0.01}, {"params": [params[1]], "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
    steps = []
    for step in range(4):
        grads = [torch.randn(s, generator=g) * (10.0 if step == 1 else 0.1) for s in shapes]
        grads[0][0, 0] = 0.0  # a zero gradient: only decay moves the element
        for p, gr in zip(params, grads):
            p.grad = gr.clone()
        norm = float(torch.nn.utils.clip_grad_norm_(params, 1.0))
        opt.step()
        steps.append({"grads": [gr.flatten().tolist() for gr in grads], "norm": norm,
                      "params": [p.detach().flatten().tolist() for p in params]})
    write_json(TRAIN / "optimizer.json", {
        "about": "torch.optim.AdamW(lr 1e-3, betas (0.9, 0.999), eps 1e-8; weight decay 0.01 on tensor 0, 0 on tensor 1) "
                 "after clip_grad_norm_(max 1.0) on the given gradients (step 2's are large, so it clips); params after "
                 "each step",
        "shapes": [list(s) for s in shapes], "lr": 1e-3, "weight_decay": [0.01, 0.0], "max_grad_norm": 1.0,
        "initial": [p.flatten().tolist() for p in initial], "steps": steps,
    })


# ---------------------------------------------------------------------------------------------------------------------


def main() -> None:
    import peft
    from transformers import AutoProcessor

    os.chdir(REPO)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    info = torch_info() | {"peft_version": peft.__version__}
    print(info)
    # only this script's outputs: Tests/Fixtures/train/ also holds other scripts' fixtures (ops/, peft-adapter/)
    reset_dir(STEPS)
    (TRAIN / "schedules.json").unlink(missing_ok=True)
    (TRAIN / "optimizer.json").unlink(missing_ok=True)
    processor = AutoProcessor.from_pretrained(BASE_REL, backend="pil")
    tok = Tok(REPO / BASE_REL)
    batches = {s.name: make_batch([s], tok, processor) for s in (INTERLEAVED, VIDEO)}
    for b in batches.values():  # the processor's tokenizer agrees with tokenizers.Tokenizer on the rendered text
        assert processor.tokenizer(b.rendered[0]).input_ids == tok(b.rendered[0])

    # in-memory vs hub names, once
    base = load_base()
    print("transformers 5.24 in-memory -> hub names (state_dict also has the tied lm_head.weight: "
          f"{'lm_head.weight' in base.state_dict()}; named_parameters: {'lm_head.weight' in dict(base.named_parameters())})")
    for n, _ in list(base.named_parameters())[:2] + [kv for kv in base.named_parameters() if "projector" in kv[0]][:1] \
            + [kv for kv in base.named_parameters() if "embed_tokens" in kv[0]]:
        print(f"  {n}  ->  {hub_name(n)}")
    del base

    results = [run_case(c, batches) for c in CASES]
    assert any(any(r["clipped"]) for r in results) and any(not any(r["clipped"]) for r in results)
    schedules()
    optimizer_steps()

    print("\nFiles:")
    files = [TRAIN / "schedules.json"] + sorted(p for p in STEPS.rglob("*") if p.is_file())
    for p in files:
        print(f"  {p.relative_to(REPO)}  {p.stat().st_size / 1024:.1f} KB")
    print(f"  total {sum(p.stat().st_size for p in files) / 1024:.1f} KB")


if __name__ == "__main__":
    main()
