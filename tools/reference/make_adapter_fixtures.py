#!/usr/bin/env python3
"""A PEFT LoRA adapter for the tiny-84 LLaVA checkpoint, written by PEFT itself, and the logits PEFT computes with it.

    python tools/reference/make_adapter_fixtures.py    # torch 2.13.0+cpu, transformers 5.24.0, peft 0.21.2

Writes `Tests/Fixtures/train/peft-adapter/`:
- `adapter_config.json`, `adapter_model.safetensors`: `save_pretrained` of a `get_peft_model` wrap of
  `Tests/Fixtures/llava/tiny-84` with `LoraConfig(r=4, lora_alpha=8, lora_dropout=0, target_modules=<the language-model
  regex of train.md §6>, modules_to_save=["multi_modal_projector"], task_type="CAUSAL_LM")`. lora_A keeps PEFT's
  kaiming init; lora_B ~ N(0, 0.3) (non-zero, so the A path matters); the saved projector copy is the base projector
  + N(0, 0.05), so a model that ignores `modules_to_save` gets different logits.
- `reference.safetensors`: `logits` f32 [L, 516] of the reloaded adapter (`PeftModel.from_pretrained`, eval mode) on
  the tiny-84 case `interleaved-1` (its `input_ids`; pixel values = `pixel_values.chelsea.jpg` of
  `../../llava/tiny-84/reference.safetensors`, not stored again).
- `reference.json`: the case, its ids, the LoRA settings, and checks made while writing.

Deterministic: fixed seeds, CPU, sorted safetensors keys (PEFT's own writer).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
from peft import LoraConfig, PeftModel, get_peft_model  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import LlavaForConditionalGeneration  # noqa: E402

from model_fixtures_common import FIXTURES, REPO, dir_size, read_json, reset_dir, save_tensors, torch_info, write_json  # noqa: E402
from model_fixtures_llava import build_case_ids, case, load_processor  # noqa: E402

BASE = Path("Tests/Fixtures/llava/tiny-84")  # relative, so base_model_name_or_path names no machine's path
OUT = FIXTURES / "train" / "peft-adapter"
CASE = "interleaved-1"
IMAGE = "chelsea.jpg"
SEED = 3100
TARGET_REGEX = r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)"
RANK, ALPHA = 4, 8
B_STD, PROJECTOR_NOISE = 0.3, 0.05


def load_base() -> LlavaForConditionalGeneration:
    return LlavaForConditionalGeneration.from_pretrained(BASE, dtype=torch.float32, attn_implementation="eager").eval()


@torch.no_grad()
def logits(model, ids: list[int], pixel_values: torch.Tensor) -> torch.Tensor:
    return model(input_ids=torch.tensor([ids]), pixel_values=pixel_values).logits[0].float()


def main() -> None:
    os.chdir(REPO)
    torch.manual_seed(SEED)
    config = LoraConfig(r=RANK, lora_alpha=ALPHA, lora_dropout=0.0, target_modules=TARGET_REGEX,
                        modules_to_save=["multi_modal_projector"], task_type="CAUSAL_LM")
    model = get_peft_model(load_base(), config)
    generator = torch.Generator().manual_seed(SEED)
    with torch.no_grad():
        for name, parameter in sorted(model.named_parameters()):
            if ".lora_B." in name:
                parameter.copy_(torch.randn(parameter.shape, generator=generator) * B_STD)
            elif ".modules_to_save." in name:
                parameter.add_(torch.randn(parameter.shape, generator=generator) * PROJECTOR_NOISE)
    model.eval()  # PEFT's dropout modules start in training mode (train.md §6)

    out = reset_dir(OUT)
    model.save_pretrained(out)
    (out / "README.md").unlink()  # PEFT's blank model-card template: nothing a test reads
    saved = load_file(str(out / "adapter_model.safetensors"))
    assert all(t.dtype == torch.float32 for t in saved.values())
    assert len([k for k in saved if ".lora_" in k]) == 2 * 7 * 2, sorted(saved)
    assert all(k.startswith("base_model.model.model.") for k in saved), sorted(saved)

    processor = load_processor(REPO / BASE, 84)
    ids, pixel_values, _ = build_case_ids(case(CASE), processor, 36)
    tiny = read_json(REPO / BASE / "reference.json")
    assert ids == next(c for c in tiny["cases"] if c["name"] == CASE)["input_ids"]
    stored_pixels = load_file(str(REPO / BASE / "reference.safetensors"))[f"pixel_values.{IMAGE}"]
    assert torch.equal(pixel_values[0], stored_pixels)

    in_memory = logits(model, ids, pixel_values)
    reloaded = PeftModel.from_pretrained(load_base(), out).eval()
    reference = logits(reloaded, ids, pixel_values)
    assert torch.equal(reference, in_memory), "reloaded adapter differs from the in-memory one"
    base_difference = float((reference - logits(load_base(), ids, pixel_values)).abs().max())
    assert base_difference > 0.5, f"the adapter barely changes the logits ({base_difference})"
    merged = logits(reloaded.merge_and_unload().eval(), ids, pixel_values)
    merged_difference = float((merged - reference).abs().max())
    assert merged_difference < 1e-4, merged_difference

    save_tensors(out / "reference.safetensors", {"logits": reference})
    write_json(out / "reference.json", {
        **torch_info(),
        "peft_version": __import__("peft").__version__,
        "base": "../../llava/tiny-84",
        "case": CASE, "images": [IMAGE], "input_ids": ids,
        "pixel_values": f"pixel_values.{IMAGE} of ../../llava/tiny-84/reference.safetensors",
        "lora": {"r": RANK, "lora_alpha": ALPHA, "lora_dropout": 0.0, "target_modules": TARGET_REGEX,
                 "modules_to_save": ["multi_modal_projector"], "seed": SEED, "lora_B_std": B_STD,
                 "projector_noise_std": PROJECTOR_NOISE},
        "tensors": {"logits": "f32 [L, 516] PeftModel.from_pretrained(tiny-84, this directory).eval() on input_ids and "
                              "pixel_values (attn_implementation eager, float32, CPU)"},
        "checks": {"max_abs_logits_change_from_base": base_difference,
                   "max_abs_merge_and_unload_vs_unmerged": merged_difference},
    })
    print(f"train/peft-adapter: L={len(ids)}, |adapter - base| {base_difference:.3f}, "
          f"|merged - unmerged| {merged_difference:.2e}, {dir_size(out) / 1024:.1f} KB")


if __name__ == "__main__":
    main()
