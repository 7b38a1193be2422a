#!/usr/bin/env python3
"""`loom data validate` on a ~1 GB synthetic M4-Instruct file: peak memory and time, side by side with what a
Python user does today (`json.load` of the whole array, then a loop over the records, as LLaVA-NeXT's `train.py`
loads its data files).

    python3 bench/data_memory.py [--size-mb 1024] [--loom .build/release/loom] [--keep]

Writes the file to bench/out/m4-synthetic.json (reused when it has the requested size). Prints peak RSS (MiB) and
wall seconds per tool; each run is a fresh process, peak RSS from wait4's rusage. Target (issue 14): Loom under
200 MiB on 1 GB.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"

PYTHON_LOADER = r"""
import json, sys
records = json.load(open(sys.argv[1], encoding="utf-8"))
bad = 0
for r in records:
    turns = r.get("conversations") or []
    markers = sum(t["value"].count("<image>") for t in turns if t.get("from") == "human")
    images = r.get("image") or []
    images = [images] if isinstance(images, str) else images
    bad += markers != len(images) + (1 if "video" in r else 0)
print(len(records), bad)
"""


def write_file(path: Path, size: int) -> int:
    rng = random.Random(0)
    words = "the a cup dog moved left right red blue image scene second first which shows larger detailed".split()
    count = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("[\n")
        while f.tell() < size:
            n = rng.randint(1, 6)
            record = {
                "sample_id": count,
                "conversations": [
                    {"from": "human", "value": "<image>" * n + "\n" + " ".join(rng.choices(words, k=rng.randint(5, 60)))},
                    {"from": "gpt", "value": " ".join(rng.choices(words, k=rng.randint(5, 200)))},
                ],
                "image": [f"HQ-Edit/images/{count}_{k}.jpg" for k in range(n)],
                "choice_list": None,
                "metadata": {"dataset": "HQ-Edit-Diff", "split": "train", "num_sample": 98675,
                             "task_instruction": "What's the difference between 2 images?", "question_type": "open-ended"},
            }
            f.write(("" if count == 0 else ",\n") + json.dumps(record))
            count += 1
        f.write("\n]\n")
    return count


def measure(command):
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    stderr = process.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"{command[0]} failed: {stderr}")
    return usage.ru_maxrss / 1024, seconds, stderr.strip().splitlines()[-1:] if stderr else []


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--loom", default=str(REPO / ".build" / "release" / "loom"))
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--skip-python", action="store_true")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / "m4-synthetic.json"
    size = args.size_mb * 1024 * 1024
    if not path.exists() or abs(path.stat().st_size - size) > 1024 * 1024:
        print(f"writing {path} ({args.size_mb} MiB)…", flush=True)
        print(f"  {write_file(path, size)} records", flush=True)
    tools = [("loom data validate", [args.loom, "data", "validate", str(path)])]
    if not args.skip_python:
        tools.append(("python json.load + loop", [sys.executable, "-c", PYTHON_LOADER, str(path)]))
    results = {name: [] for name, _ in tools}
    for _ in range(args.rounds):
        for name, command in tools:
            results[name].append(measure(command))
    print(f"file: {path.stat().st_size / 2**20:.0f} MiB")
    print(f"{'tool':<28} {'peak RSS (MiB)':>15} {'seconds':>9}")
    for name, runs in results.items():
        runs.sort(key=lambda r: r[1])
        rss, seconds, tail = runs[len(runs) // 2]
        print(f"{name:<28} {rss:>15.0f} {seconds:>9.1f}   {' '.join(tail)}")


if __name__ == "__main__":
    main()
