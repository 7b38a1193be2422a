#!/usr/bin/env python3
"""Mean next-token KL(f32 || quantised) of the Qwen2 fixtures under Loom's weight-only group quantisation,
simulated in PyTorch: every 2-D weight in groups of 32 along its rows (zero-padded), symmetric, scale = max|w| / L
stored as f16 (L = 127 for int8, 7 for int4), q = round(w / scale). The bounds in
Tests/LoomModelsTests/ComputeModeParityTests.swift sit just above these values.

    python tools/reference/quantized_kl.py
"""
import json
import os

import torch
from transformers import AutoModelForCausalLM

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures", "qwen2")


def quantised(w, levels):
    n, k = w.shape
    kp = (k + 31) // 32 * 32
    padded = torch.zeros(n, kp)
    padded[:, :k] = w
    groups = padded.view(n, kp // 32, 32)
    scale = (groups.abs().amax(-1, keepdim=True) / levels).half().float()
    q = torch.where(scale > 0, (groups / scale).round().clamp(-levels, levels), torch.zeros_like(groups))
    return (q * scale).view(n, kp)[:, :k]


def main():
    for name in ["gqa-f32", "mha-f32"]:
        directory = os.path.join(ROOT, name)
        ids = torch.tensor([json.load(open(os.path.join(directory, "reference.json")))["prompt_ids"]])
        reference = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
        with torch.no_grad():
            log_p = reference(ids).logits[0].log_softmax(-1)
        for label, levels in [("int8", 127), ("int4", 7)]:
            model = AutoModelForCausalLM.from_pretrained(directory, dtype=torch.float32).eval()
            with torch.no_grad():
                for parameter in model.parameters():
                    if parameter.dim() == 2:
                        parameter.copy_(quantised(parameter.data, levels))
                log_q = model(ids).logits[0].log_softmax(-1)
            print(name, label, float((log_p.exp() * (log_p - log_q)).sum(-1).mean()))


if __name__ == "__main__":
    main()
