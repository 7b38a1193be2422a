#!/usr/bin/env python3
"""Per-op gradient fixtures for LoomTrain's `TrainOps` (train.md §3, §7.1): PyTorch autograd in float32 on the CPU.

    python tools/reference/make_grad_fixtures.py     # torch 2.13.0+cpu, transformers 5.24.0 (RMSNorm, RoPE)

Writes `Tests/Fixtures/train/ops/<case>.safetensors` (deleting the directory first), one file per case of `CASES`,
and `cases.json`: each case's dimensions (and eps, scale, causal as 0/1) under `cases`, plus the library versions.
Each safetensors file holds the op's inputs, a random upstream gradient (`dy`, `dO`, `dh`), the forward outputs and
the input and parameter gradients from `torch.autograd.grad`. Tensor names:

| op | inputs | upstream | outputs | gradients |
|---|---|---|---|---|
| linear | x [rows, inp], w [out, inp], b [out] | dy | y | dx, dw, db |
| rmsnorm | x [rows, cols], weight | dy | y, rstd [rows] | dx, dweight |
| layernorm | x, weight, bias | dy | y, mean, rstd [rows] | dx, dweight, dbias |
| rope | x [rows, heads*headDim], cos, sin [rows, headDim/2] | dy | y | dx |
| attention | q [T, heads*d], k, v [T, kvHeads*d] | dO | o, lse [heads, T] | dq, dk, dv |
| swiglu | gate, up | dh | h | dgate, dup |
| gelu_erf, gelu_tanh | x | dy | y | dx |
| cross_entropy | logits [rows, vocab], targets (I64) | 1 (sum) | loss [1] | dlogits |

Deterministic (two runs give byte-identical files): one torch generator seeded per case, one thread, float32
throughout (float64 is never used), keys sorted.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from transformers.models.qwen2.modeling_qwen2 import Qwen2RMSNorm, apply_rotary_pos_emb  # noqa: E402

from model_fixtures_common import FIXTURES, dir_size, reset_dir, save_tensors, torch_info, write_json  # noqa: E402

OUT = FIXTURES / "train" / "ops"


def randn(gen: torch.Generator, *shape: int, std: float = 1.0) -> torch.Tensor:
    return torch.randn(*shape, generator=gen, dtype=torch.float32) * std


def grads(outputs: torch.Tensor, inputs: list[torch.Tensor], upstream: torch.Tensor) -> list[torch.Tensor]:
    return list(torch.autograd.grad(outputs, inputs, upstream))


def linear(gen: torch.Generator) -> tuple[dict, dict]:
    rows, inp, out = 5, 7, 6
    x, w, b = randn(gen, rows, inp), randn(gen, out, inp, std=0.5), randn(gen, out, std=0.1)
    for t in (x, w, b):
        t.requires_grad_(True)
    y = F.linear(x, w, b)
    dy = randn(gen, rows, out)
    dx, dw, db = grads(y, [x, w, b], dy)
    return {"x": x, "w": w, "b": b, "dy": dy, "y": y, "dx": dx, "dw": dw, "db": db}, {"rows": rows, "inp": inp, "out": out}


def rmsnorm(gen: torch.Generator) -> tuple[dict, dict]:
    rows, cols, eps = 5, 24, 1e-6
    norm = Qwen2RMSNorm(cols, eps=eps)
    with torch.no_grad():
        norm.weight.copy_(1 + randn(gen, cols, std=0.1))
    x = randn(gen, rows, cols, std=2.0).requires_grad_(True)
    y = norm(x)
    rstd = torch.rsqrt(x.detach().pow(2).mean(-1) + eps)
    dy = randn(gen, rows, cols)
    dx, dweight = grads(y, [x, norm.weight], dy)
    return ({"x": x, "weight": norm.weight, "dy": dy, "y": y, "rstd": rstd, "dx": dx, "dweight": dweight},
            {"rows": rows, "cols": cols, "eps": eps})


def layernorm(gen: torch.Generator) -> tuple[dict, dict]:
    rows, cols, eps = 5, 24, 1e-6
    x = (randn(gen, rows, cols, std=2.0) + 0.5).requires_grad_(True)
    weight = (1 + randn(gen, cols, std=0.1)).requires_grad_(True)
    bias = randn(gen, cols, std=0.1).requires_grad_(True)
    y = F.layer_norm(x, (cols,), weight, bias, eps)
    var, mean = torch.var_mean(x.detach(), dim=-1, unbiased=False)
    dy = randn(gen, rows, cols)
    dx, dweight, dbias = grads(y, [x, weight, bias], dy)
    return ({"x": x, "weight": weight, "bias": bias, "dy": dy, "y": y, "mean": mean, "rstd": torch.rsqrt(var + eps),
             "dx": dx, "dweight": dweight, "dbias": dbias}, {"rows": rows, "cols": cols, "eps": eps})


def rope(gen: torch.Generator) -> tuple[dict, dict]:
    rows, heads, head_dim, theta, first = 7, 3, 8, 1e6, 5
    # Qwen2RotaryEmbedding's default tables: inv_freq over even dims, cat(freqs, freqs), positions first...first+rows-1.
    inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.int64).to(torch.float32) / head_dim))
    positions = torch.arange(first, first + rows, dtype=torch.float32)
    freqs = positions[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos(), emb.sin()
    x = randn(gen, rows, heads * head_dim).requires_grad_(True)
    q = x.view(1, rows, heads, head_dim).transpose(1, 2)  # [1, heads, rows, d] as in the attention modules
    y, _ = apply_rotary_pos_emb(q, q, cos[None], sin[None])
    y = y.transpose(1, 2).reshape(rows, heads * head_dim)
    dy = randn(gen, rows, heads * head_dim)
    (dx,) = grads(y, [x], dy)
    half = head_dim // 2
    return ({"x": x, "cos": cos[:, :half], "sin": sin[:, :half], "dy": dy, "y": y, "dx": dx},
            {"rows": rows, "heads": heads, "headDim": head_dim})


def attention(rows: int, heads: int, kv_heads: int, head_dim: int, causal: bool):
    def make(gen: torch.Generator) -> tuple[dict, dict]:
        scale = head_dim ** -0.5
        q = randn(gen, rows, heads * head_dim, std=1.5).requires_grad_(True)
        k = randn(gen, rows, kv_heads * head_dim, std=1.5).requires_grad_(True)
        v = randn(gen, rows, kv_heads * head_dim).requires_grad_(True)
        group = heads // kv_heads
        qh = q.view(rows, heads, head_dim).transpose(0, 1)
        kh = k.view(rows, kv_heads, head_dim).transpose(0, 1).repeat_interleave(group, dim=0)
        vh = v.view(rows, kv_heads, head_dim).transpose(0, 1).repeat_interleave(group, dim=0)
        scores = torch.matmul(qh, kh.transpose(-1, -2)) * scale
        if causal:
            mask = torch.ones(rows, rows, dtype=torch.bool).triu(1)
            scores = scores.masked_fill(mask, float("-inf"))
        probs = torch.softmax(scores, dim=-1)
        o = torch.matmul(probs, vh).transpose(0, 1).reshape(rows, heads * head_dim)
        lse = torch.logsumexp(scores.detach(), dim=-1)
        d_o = randn(gen, rows, heads * head_dim)
        dq, dk, dv = grads(o, [q, k, v], d_o)
        return ({"q": q, "k": k, "v": v, "dO": d_o, "o": o, "lse": lse, "dq": dq, "dk": dk, "dv": dv},
                {"rows": rows, "heads": heads, "kvHeads": kv_heads, "headDim": head_dim, "scale": scale,
                 "causal": int(causal)})
    return make


def swiglu(gen: torch.Generator) -> tuple[dict, dict]:
    count = 60
    gate, up = randn(gen, count, std=3.0).requires_grad_(True), randn(gen, count).requires_grad_(True)
    h = F.silu(gate) * up
    dh = randn(gen, count)
    dgate, dup = grads(h, [gate, up], dh)
    return {"gate": gate, "up": up, "dh": dh, "h": h, "dgate": dgate, "dup": dup}, {"count": count}


def gelu(approximate: str):
    def make(gen: torch.Generator) -> tuple[dict, dict]:
        count = 80
        x = randn(gen, count, std=3.0).requires_grad_(True)
        y = F.gelu(x, approximate=approximate)
        dy = randn(gen, count)
        (dx,) = grads(y, [x], dy)
        return {"x": x, "dy": dy, "y": y, "dx": dx}, {"count": count}
    return make


def cross_entropy(gen: torch.Generator) -> tuple[dict, dict]:
    rows, vocab = 6, 50
    logits = randn(gen, rows, vocab, std=3.0).requires_grad_(True)
    targets = torch.randint(0, vocab, (rows,), generator=gen, dtype=torch.int64)
    loss = F.cross_entropy(logits, targets, reduction="sum")
    (dlogits,) = grads(loss, [logits], torch.ones((), dtype=torch.float32))
    return ({"logits": logits, "targets": targets, "loss": loss.reshape(1), "dlogits": dlogits},
            {"rows": rows, "vocab": vocab})


CASES = {
    "linear": linear,
    "rmsnorm": rmsnorm,
    "layernorm": layernorm,
    "rope": rope,
    "attention_causal_gqa": attention(rows=9, heads=4, kv_heads=2, head_dim=8, causal=True),
    "attention_full": attention(rows=7, heads=3, kv_heads=1, head_dim=8, causal=False),
    "attention_single_row": attention(rows=1, heads=4, kv_heads=2, head_dim=8, causal=True),
    "attention_row_blocks": attention(rows=150, heads=2, kv_heads=1, head_dim=8, causal=True),
    "swiglu": swiglu,
    "gelu_erf": gelu("none"),
    "gelu_tanh": gelu("tanh"),
    "cross_entropy": cross_entropy,
}


def main() -> None:
    torch.set_num_threads(1)
    reset_dir(OUT)
    cases = {}
    for index, (name, make) in enumerate(CASES.items()):
        gen = torch.Generator().manual_seed(1000 + index)
        tensors, cases[name] = make(gen)
        for key, tensor in tensors.items():
            assert tensor.dtype in (torch.float32, torch.int64), f"{name}.{key} is {tensor.dtype}"
        save_tensors(OUT / f"{name}.safetensors", tensors, {"format": "pt"})
    write_json(OUT / "cases.json", torch_info() | {"cases": cases})
    print(f"{OUT.relative_to(FIXTURES.parent.parent)}: {dir_size(OUT)} bytes in {len(list(OUT.iterdir()))} files")


if __name__ == "__main__":
    main()
