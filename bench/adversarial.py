#!/usr/bin/env python3
"""Adversarial inputs, measured (issue 18's benchmarks; not timed tests): what hostile files cost Loom.

- tokenising 1 MiB of one repeated character (letters, spaces, a digit) against 100 KiB: seconds and the ratio
  (linear time means ≈ 10×), the tokenizer's load time (an empty file) subtracted;
- a PNG whose header claims 40,000 × 40,000 pixels: refused before any pixel allocation (time, peak RSS);
- a safetensors file whose header length claims 2^60 bytes: refused in constant time (time, peak RSS).

    python3 bench/adversarial.py [--loom .build/release/loom] [--rounds 3]
Medians of interleaved rounds; peak RSS from wait4.
"""
import argparse
import os
import shutil
import statistics
import struct
import subprocess
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKENIZER = ROOT / "Tests/Fixtures/tokenizer/qwen"
MODEL = ROOT / "Tests/Fixtures/llava/tiny-84"


def run(command: list[str]) -> tuple[float, int, int, str]:
    """Seconds, peak RSS (MiB), exit status and standard error of one run."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    return seconds, usage.ru_maxrss // 1024, os.waitstatus_to_exitcode(status), process.stderr.read().strip()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loom", default=str(ROOT / ".build/release/loom"))
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (TOKENIZER / "tokenizer.json").exists():
        subprocess.run(["make", "-C", str(ROOT), "fixtures"], check=True, stdout=subprocess.DEVNULL)
    work = Path(tempfile.mkdtemp(prefix="loom-adversarial-"))
    try:
        texts = {"empty": ""}
        for name, char in [("letter", "a"), ("space", " "), ("digit", "7")]:
            texts[f"{name} 100 KiB"] = char * (100 * 1024)
            texts[f"{name} 1 MiB"] = char * (1024 * 1024)
        for name, text in texts.items():
            (work / f"{name}.txt").write_text(text)
        png = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 40000, 40000, 8, 2, 0, 0, 0)) \
            + png_chunk(b"IDAT", zlib.compress(b"\0" * 64)) + png_chunk(b"IEND", b"")
        (work / "huge.png").write_bytes(png)
        bad = work / "bad-safetensors"
        shutil.copytree(MODEL, bad)
        with open(bad / "model.safetensors", "r+b") as f:
            f.write(struct.pack("<Q", 1 << 60))

        cases = {name: [args.loom, "tokenize", "--model", str(TOKENIZER), "--file", str(work / f"{name}.txt")] for name in texts}
        cases["png 40000×40000"] = [args.loom, "pixels", "--model", str(MODEL), "--image", str(work / "huge.png"), "--out", str(work / "x.npy")]
        cases["safetensors 2^60"] = [args.loom, "generate", "--model", str(bad), "--prompt", "hi", "--max-tokens", "1"]
        samples: dict[str, list[tuple[float, int, int, str]]] = {name: [] for name in cases}
        for _ in range(args.rounds):
            for name, command in cases.items():
                samples[name].append(run(command))

        def median(name: str) -> float:
            return statistics.median(s[0] for s in samples[name])

        load = median("empty")
        print(f"{'case':<22} {'median s':>9} {'peak MiB':>9}  result")
        for name in cases:
            seconds, rss, status, stderr = samples[name][-1]
            result = "ok" if status == 0 else f"refused: {stderr.splitlines()[-1] if stderr else status}"
            print(f"{name:<22} {median(name):>9.3f} {rss:>9}  {result[:110]}")
        print(f"\ntokenizing alone (the {load:.3f} s of an empty file subtracted), 1 MiB / 100 KiB:")
        for name in ["letter", "space", "digit"]:
            small, large = median(f"{name} 100 KiB") - load, median(f"{name} 1 MiB") - load
            print(f"  {name:<7} {small:.3f} s → {large:.3f} s  ratio {large / max(small, 1e-3):.1f} (linear: ≈ 10.2)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
