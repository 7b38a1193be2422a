#!/usr/bin/env python3
"""Regenerates the tiny random-weight checkpoints and reference outputs that Loom's Swift tests compare against.

    pip install -r tools/reference/requirements.txt   # torch==2.13.0+cpu from the PyTorch CPU index
    python tools/reference/make_model_fixtures.py      # all fixtures
    python tools/reference/make_model_fixtures.py qwen2 # or: llava

Writes `Tests/Fixtures/qwen2/<name>/` and `Tests/Fixtures/llava/<name>/` (+ `Tests/Fixtures/llava/images/`).
Deterministic (fixed seeds, CPU); run on demand, not in CI. See tools/reference/README.md for the layout.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch  # noqa: E402

from model_fixtures_common import FIXTURES, dir_size  # noqa: E402


def summary(roots: list[str]) -> None:
    print("\nFixture sizes:")
    for root in roots:
        base = FIXTURES / root
        if not base.exists():
            continue
        for sub in sorted(p for p in base.iterdir() if p.is_dir()):
            files = sorted(p for p in sub.rglob("*") if p.is_file())
            print(f"  {root}/{sub.name:<24} {dir_size(sub) / 1024:8.1f} KB  ({len(files)} files)")
        print(f"  {root}/ total{'':<20} {dir_size(base) / 1024:8.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("which", nargs="*", help="fixture families: qwen2, llava (default: both)")
    args = parser.parse_args()
    which = args.which or ["qwen2", "llava"]
    if unknown := set(which) - {"qwen2", "llava"}:
        parser.error(f"unknown fixture family: {sorted(unknown)}")
    torch.manual_seed(0)
    torch.set_grad_enabled(False)
    if "qwen2" in which:
        import model_fixtures_qwen2

        model_fixtures_qwen2.build_all()
    if "llava" in which:
        import model_fixtures_llava

        model_fixtures_llava.build_all()
    summary(which)


if __name__ == "__main__":
    main()
