"""Seconds per LoRA training step and peak memory: `loom train` beside transformers + PEFT, in the same run.

The workload of train.md §8: the random real-size llava-interleave-qwen-0.5b (`loom bench --write-random`), one
1-image sample of ~800 positions (729 image rows + text) with ~40 labelled tokens, LoRA r=8 (alpha 16, dropout 0) on
q/k/v/o/gate/up/down of every decoder layer, AdamW, batch 1. PyTorch gets the most favourable form of the same step:
the frozen tower and projector run once and the decoder takes `inputs_embeds` (Loom caches the tower's output per
image the same way), so both time decoder forward + backward + optimizer. Runs alternate (Loom, PyTorch, Loom, …);
medians of the steady-state steps (every step after the first of a run) and the peak RSS of each process.

    python bench/train_step.py --loom .build/release/loom --model /tmp/random-0.5b --dtype f32 --runs 3 --steps 4
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TORCH_STEP = r'''
import json, resource, sys, time
import torch
from peft import LoraConfig, get_peft_model
from transformers import LlavaForConditionalGeneration
model_dir, ids_file, pixels_file, steps, dtype, threads = sys.argv[1:7]
torch.set_num_threads(int(threads))
dt = torch.float32 if dtype == "f32" else torch.bfloat16
sample = json.load(open(ids_file))
ids = torch.tensor([sample["input_ids"]]); labels = torch.tensor([sample["labels"]])
model = LlavaForConditionalGeneration.from_pretrained(model_dir, dtype=dt)
pixels = torch.load(pixels_file).to(dt)
with torch.no_grad():
    embeds = model.get_input_embeddings()(ids)
    features = model.get_image_features(pixel_values=pixels, vision_feature_layer=-1, vision_feature_select_strategy="full")
    features = getattr(features, "pooler_output", features)  # transformers 5 returns an output object
    features = torch.cat(list(features), 0) if isinstance(features, (list, tuple)) else features.reshape(-1, embeds.shape[-1])
    mask = (ids == model.config.image_token_index)
    embeds[mask] = features.to(embeds.dtype)
config = LoraConfig(r=8, lora_alpha=16, lora_dropout=0.0,
                    target_modules=r".*language_model.*\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)")
model = get_peft_model(model, config)
model.train()
optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-4)
times = []
for _ in range(int(steps)):
    start = time.perf_counter()
    out = model(inputs_embeds=embeds, labels=labels)
    out.loss.backward()
    optimizer.step(); optimizer.zero_grad()
    times.append(time.perf_counter() - start)
print(json.dumps({"seconds": times, "loss": float(out.loss), "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
'''


def run_loom(loom: str, model: str, data: Path, steps: int, dtype: str, out: Path) -> dict:
    if out.exists():
        shutil.rmtree(out)
    command = [loom, "train", "--model", model, "--data", str(data), "--lora-rank", "8", "--lora-alpha", "16",
               "--lora-dropout", "0", "--lr", "1e-4", "--preset", "llava-next", "--schedule", "constant", "--max-steps", str(steps), "--out", str(out)]
    if dtype != "f32":
        command += ["--dtype", dtype]
    # A fresh Python parent whose only child is loom: its children's peak RSS is loom's.
    wrapper = ("import json, resource, subprocess, sys\n"
               "subprocess.run(json.loads(sys.argv[1]), check=True, stdout=subprocess.DEVNULL)\n"
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    result = subprocess.run([sys.executable, "-c", wrapper, json.dumps(command)], check=True, capture_output=True, text=True)
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines() if "loss" in line and "eval" not in line]
    return {"seconds": [entry["seconds"] for entry in log], "loss": log[-1]["loss"], "maxrss_kib": int(result.stdout.split()[-1])}


def run_torch(python: str, model: str, ids: Path, pixels: Path, steps: int, dtype: str, threads: int) -> dict:
    result = subprocess.run([python, "-c", TORCH_STEP, model, str(ids), str(pixels), str(steps), dtype, str(threads)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"the PyTorch step failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--loom", default=".build/release/loom")
    parser.add_argument("--model", required=True, help="a llava-hf checkpoint with tokenizer files (e.g. loom bench --write-random + the qwen tokenizer)")
    parser.add_argument("--python", default=sys.executable, help="a Python with torch, transformers and peft")
    parser.add_argument("--image", default="Tests/Fixtures/llava/images/coffee.jpg")
    parser.add_argument("--dtype", default="f32", choices=["f32", "bf16"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="loom-train-bench-"))
    shutil.copy(args.image, work / "image.jpg")
    question = "Describe the picture in detail, naming every object you can see and where it is. " * 4
    answer = "There is a cup of coffee on a saucer, on a wooden table, with a spoon beside it and a window behind. " * 2
    (work / "data.json").write_text(json.dumps([{"id": "bench", "image": "image.jpg", "conversations": [
        {"from": "human", "value": "<image>\n" + question.strip()}, {"from": "gpt", "value": answer.strip()}]}]))
    ids_file = work / "sample.jsonl"
    subprocess.run([args.loom, "data", "tokenize", str(work / "data.json"), "--model", args.model, "--preset", "llava-next", "--expand",
                    "--out", str(ids_file)], check=True, stderr=subprocess.DEVNULL)
    sample = json.loads(ids_file.read_text().splitlines()[0])
    (work / "sample.json").write_text(json.dumps(sample))
    pixels = work / "pixels.pt"
    subprocess.run([args.python, "-c", "import sys, torch\nfrom PIL import Image\nfrom transformers import SiglipImageProcessor\n"
                    "proc = SiglipImageProcessor(size={'height': 384, 'width': 384}, resample=3, image_mean=[0.5]*3, image_std=[0.5]*3)\n"
                    "torch.save(proc(Image.open(sys.argv[2]).convert('RGB'), return_tensors='pt')['pixel_values'], sys.argv[3])",
                    args.model, str(work / "image.jpg"), str(pixels)], check=True)
    os.environ.setdefault("LOOM_THREADS", str(args.threads))
    positions = len(sample["input_ids"]); labelled = sum(1 for label in sample["labels"][1:] if label != -100)
    print(f"workload: {positions} positions, {labelled} labelled, LoRA r=8 on 7 targets, {args.dtype}, {args.threads} threads", flush=True)
    loom_steps, torch_steps, loom_rss, torch_rss = [], [], [], []
    for run in range(args.runs):
        started = time.time()
        loom = run_loom(args.loom, args.model, work / "data.json", args.steps, args.dtype, work / "out")
        loom_steps += loom["seconds"][1:]
        loom_rss.append(loom["maxrss_kib"])
        torch_result = run_torch(args.python, args.model, work / "sample.json", pixels, args.steps, args.dtype, args.threads)
        torch_steps += torch_result["seconds"][1:]
        torch_rss.append(torch_result["maxrss_kib"])
        print(f"run {run + 1}: loom {statistics.median(loom['seconds'][1:]):.2f} s/step (loss {loom['loss']:.4f}), "
              f"torch {statistics.median(torch_result['seconds'][1:]):.2f} s/step (loss {torch_result['loss']:.4f}), "
              f"{time.time() - started:.0f} s", flush=True)
    loom_median, torch_median = statistics.median(loom_steps), statistics.median(torch_steps)
    print(json.dumps({"positions": positions, "labelled": labelled, "dtype": args.dtype, "threads": args.threads,
                      "loom_s_per_step": round(loom_median, 3), "torch_peft_s_per_step": round(torch_median, 3),
                      "ratio": round(loom_median / torch_median, 3),
                      "loom_peak_rss_gib": round(max(loom_rss) / 2**20, 2), "torch_peak_rss_gib": round(max(torch_rss) / 2**20, 2),
                      "rss_ratio": round(max(loom_rss) / max(torch_rss), 3)}, indent=1))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
