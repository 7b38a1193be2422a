#!/usr/bin/env python3
"""Side-by-side speed of transformers (PyTorch, CPU) and `loom bench` on the same random checkpoint.

Run on demand (not by CI), after `make release`:
    pip install -r tools/reference/requirements.txt
    python bench/compare_transformers.py                                    # llava-interleave-qwen-0.5b
    python bench/compare_transformers.py --scenarios 1-image 4-images 16-frames decode
    python bench/compare_transformers.py --config qwen1.5-0.5b             # text model: prefill and decode

The random checkpoint (bf16, transformers' initialisation) is written once with `save_pretrained` under
bench/out/random-<config> and reused; then each engine runs in its own process, one after the other, in bf16 and
in f32 (Loom also on the checkpoint's `loom quantize --weights bf16` copy, 1 image + decode, and with int8 / int4
weights for decode), with the same prompt and thread count, so the ratios are comparable on a noisy machine.
With `--repeat N` the pair runs N times in turn; each figure is the median of its runs and each ratio the median
of the N back-to-back ratios, with their range. Figures: load time, vision tower per image, time to first token
per scenario, prefill tokens/s, decode tokens/s, peak RSS.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

QWEN15_05B = dict(vocab_size=151936, hidden_size=1024, intermediate_size=2816, num_hidden_layers=24,
                  num_attention_heads=16, num_key_value_heads=16, max_position_embeddings=32768, rope_theta=1e6,
                  rms_norm_eps=1e-6, tie_word_embeddings=True, bos_token_id=151643, eos_token_id=151645)
QWEN15_7B = dict(QWEN15_05B, hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                 num_key_value_heads=32, tie_word_embeddings=False)
SIGLIP = dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=26, num_attention_heads=16, image_size=384,
              patch_size=14, hidden_act="gelu_pytorch_tanh", layer_norm_eps=1e-6, vision_use_head=False)
TEXT = {"qwen1.5-0.5b": QWEN15_05B, "qwen1.5-7b": QWEN15_7B}
LLAVA = {"llava-interleave-qwen-0.5b": QWEN15_05B, "llava-interleave-qwen-7b": QWEN15_7B}
IMAGES = {"1-image": 1, "4-images": 4, "16-frames": 16, "decode": 1}


def peak_rss_mib():
    """This process's own high-water mark (VmHWM): ru_maxrss would also count the parent's memory at fork."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def ms(start):
    return (time.perf_counter() - start) * 1000


def write_checkpoint(name, directory):
    """The architecture with transformers' random initialisation, saved in bf16 (once)."""
    import torch
    from transformers import LlavaConfig, LlavaForConditionalGeneration, Qwen2Config, Qwen2ForCausalLM, SiglipVisionConfig
    if os.path.exists(os.path.join(directory, "config.json")):
        return
    torch.manual_seed(0)
    if name in TEXT:
        model = Qwen2ForCausalLM(Qwen2Config(**TEXT[name]))
    else:
        text = dict(LLAVA[name], vocab_size=152000)
        config = LlavaConfig(vision_config=SiglipVisionConfig(**SIGLIP), text_config=Qwen2Config(**text),
                             image_token_index=151646, vision_feature_select_strategy="full", vision_feature_layer=-1,
                             projector_hidden_act="gelu", tie_word_embeddings=text["tie_word_embeddings"])
        model = LlavaForConditionalGeneration(config)
    model.to(torch.bfloat16).save_pretrained(directory)


def decode(model, cache, logits, tokens):
    start = time.perf_counter()
    for _ in range(tokens):
        nxt = logits[:, -1:].argmax(-1)
        out = model(input_ids=nxt, past_key_values=cache, use_cache=True)
        cache, logits = out.past_key_values, out.logits
    return tokens / (ms(start) / 1000)


def transformers_text(args, dtype):
    import torch
    from transformers import Qwen2ForCausalLM
    start = time.perf_counter()
    model = Qwen2ForCausalLM.from_pretrained(args.checkpoint, dtype=dtype).eval()
    report = {"load_ms": ms(start), "prefill": []}
    with torch.inference_mode():
        for i, length in enumerate(args.prefill):
            ids = torch.tensor([[(j * 7919 + 13) % 151936 for j in range(length)]])
            start = time.perf_counter()
            out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
            took = ms(start)
            report["prefill"].append({"tokens": length, "ms": took, "tokens_per_s": length / (took / 1000)})
            if i == 0:
                report["decode_tokens_per_s"] = decode(model, out.past_key_values, out.logits, args.decode_tokens)
    return report


def transformers_llava(args, dtype):
    import numpy as np
    import torch
    from PIL import Image
    from transformers import LlavaForConditionalGeneration
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil as SiglipImageProcessor
    start = time.perf_counter()
    model = LlavaForConditionalGeneration.from_pretrained(args.checkpoint, dtype=dtype).eval()
    report = {"load_ms": ms(start), "time_to_first_token": [], "prefill": []}
    processor = SiglipImageProcessor(size={"height": 384, "width": 384}, image_mean=[0.5] * 3, image_std=[0.5] * 3)
    x, y = np.meshgrid(np.arange(640), np.arange(480))
    photo = Image.fromarray(np.stack([(x * 255) // 640, (y * 255) // 480, ((x ^ y) & 0x3F) * 3], -1).astype(np.uint8))
    with torch.inference_mode():
        pixels = processor(images=[photo], return_tensors="pt")["pixel_values"].to(dtype)
        model.get_image_features(pixel_values=pixels, vision_feature_layer=-1, vision_feature_select_strategy="full")
        start = time.perf_counter()
        model.get_image_features(pixel_values=pixels, vision_feature_layer=-1, vision_feature_select_strategy="full")
        report["vision_ms_per_image"] = ms(start)
        counts = sorted({IMAGES[s] for s in args.scenarios})
        for count in counts:
            ids = torch.tensor([[151646] * (729 * count) + [(j * 7919 + 13) % 151000 for j in range(args.text_tokens)]])
            start = time.perf_counter()
            batch = processor(images=[photo] * count, return_tensors="pt")["pixel_values"].to(dtype)
            out = model(input_ids=ids, pixel_values=batch, use_cache=True, logits_to_keep=1)
            report["time_to_first_token"].append({"images": count, "tokens": ids.shape[1], "ms": ms(start)})
            if count == 1 and "decode" in args.scenarios:
                report["decode_tokens_per_s"] = decode(model, out.past_key_values, out.logits, args.decode_tokens)
    return report


def run_transformers(args):
    import torch
    torch.set_num_threads(args.threads)
    dtype = {"f32": torch.float32, "bf16": torch.bfloat16}[args.dtype]
    report = transformers_text(args, dtype) if args.config in TEXT else transformers_llava(args, dtype)
    report["peak_rss_mib"] = peak_rss_mib()
    print(json.dumps(report))


def packed_copy(args):
    """`loom quantize --weights bf16` of the checkpoint (written once): matrices stored packed, mapped at load."""
    directory = args.checkpoint.rstrip("/") + "-packed-bf16"
    if not os.path.exists(os.path.join(directory, "model.safetensors")):
        subprocess.run([args.loom, "quantize", "--model", args.checkpoint, "--weights", "bf16", "--out", directory],
                       check=True)
    return directory


def run_loom(args, dtype, weights=None, scenarios=None, model=None):
    command = [args.loom, "bench", "--model", model or args.checkpoint, "--dtype", dtype,
               "--prefill", ",".join(map(str, args.prefill)), "--text-tokens", str(args.text_tokens),
               "--decode-tokens", str(args.decode_tokens)]
    if args.config in LLAVA:
        command += ["--scenario", ",".join(scenarios or args.scenarios)]
    if weights:
        command += ["--weights", weights]
    env = dict(os.environ, LOOM_THREADS=str(args.threads), OPENBLAS_NUM_THREADS=str(args.threads))
    return json.loads(subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout)


def run_reference(dtype):
    command = [sys.executable, __file__, "--engine", "transformers", "--dtype", dtype] + sys.argv[1:]
    result = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def figures(report):
    out = {"load ms": report.get("load_ms")}
    if "vision_ms_per_image" in report:
        out["vision ms/image"] = report["vision_ms_per_image"]
    for t in report.get("time_to_first_token", []):
        out[f"TTFT {t['images']} image(s), {t['tokens']} tokens, ms"] = t["ms"]
    for p in report.get("prefill", []):
        out[f"prefill {p['tokens']} tok/s"] = p["tokens_per_s"]
    out["decode tok/s"] = report.get("decode_tokens_per_s")
    out["peak RSS MiB"] = report.get("peak_rss_mib")
    return out


def print_table(title, runs):
    """One line per figure: the median of each engine's runs, the median ratio and (over several runs) its range."""
    print(title)
    print(f"{'figure':48} {'transformers':>14} {'loom':>14} {'loom/tf':>9}  {'range of ratios':>15}")
    for key in runs[0][1]:
        theirs = [t[key] for t, _ in runs if t.get(key)]
        ours = [o[key] for _, o in runs if o.get(key)]
        ratios = [o[key] / t[key] for t, o in runs if t.get(key) and o.get(key)]
        a = f"{statistics.median(theirs):14.1f}" if theirs else ""
        b = f"{statistics.median(ours):14.1f}" if ours else ""
        ratio = f"{statistics.median(ratios):.2f}" if ratios else ""
        spread = f"{min(ratios):.2f}–{max(ratios):.2f}" if len(ratios) > 1 else ""
        print(f"{key:48} {a:>14} {b:>14} {ratio:>9}  {spread:>15}")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="llava-interleave-qwen-0.5b", choices=sorted(TEXT) + sorted(LLAVA))
    parser.add_argument("--dtypes", nargs="+", default=["bf16", "f32"], choices=["f32", "bf16"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--scenarios", nargs="+", default=["1-image", "4-images", "decode"], choices=sorted(IMAGES))
    parser.add_argument("--prefill", type=int, nargs="+", default=[512, 2048], help="text-model prompt lengths")
    parser.add_argument("--text-tokens", type=int, default=46)
    parser.add_argument("--decode-tokens", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1, help="run each pair of engines this many times in turn")
    parser.add_argument("--checkpoint", help="random checkpoint directory (default bench/out/random-CONFIG)")
    parser.add_argument("--loom", default=os.path.join(ROOT, ".build/release/loom"), help="the loom binary")
    parser.add_argument("--engine", choices=["both", "transformers"], default="both", help=argparse.SUPPRESS)
    parser.add_argument("--dtype", default="bf16", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.checkpoint = args.checkpoint or os.path.join(ROOT, "bench", "out", f"random-{args.config}")
    if args.engine == "transformers":
        run_transformers(args)
        return
    write_checkpoint(args.config, args.checkpoint)
    print(f"{args.config}, {args.threads} threads, random bf16 checkpoint {args.checkpoint}")
    print(f"machine load before: {os.getloadavg()}\n")
    for dtype in args.dtypes:
        runs, quantized, packed = [], {"int8": [], "int4": []}, []
        for _ in range(args.repeat):
            runs.append((figures(run_reference(dtype)), figures(run_loom(args, dtype))))
            if dtype == "bf16":
                packed.append((runs[-1][0], figures(run_loom(args, "bf16", scenarios=["decode"], model=packed_copy(args)))))
            if dtype == "bf16" and runs[-1][0].get("decode tok/s"):
                for weights in quantized:
                    quantized[weights].append(figures(run_loom(args, "bf16", weights, ["decode"])))
        print_table(f"{dtype}: transformers {dtype} vs loom --dtype {dtype}, {args.repeat} run(s)", runs)
        if packed:
            print_table(f"bf16: transformers bf16 vs loom on its `loom quantize --weights bf16` copy, {args.repeat} run(s)",
                        packed)
        for weights, reports in quantized.items():
            if not reports:
                continue
            rates = [r["decode tok/s"] for r in reports]
            reference = statistics.median(t["decode tok/s"] for t, _ in runs)
            print(f"loom --weights {weights}: decode {statistics.median(rates):.1f} tok/s "
                  f"(runs {', '.join(f'{x:.1f}' for x in rates)}; {statistics.median(rates) / reference:.2f}× "
                  f"transformers bf16), peak RSS {statistics.median(r['peak RSS MiB'] for r in reports):.0f} MiB")
        print()
    print(f"machine load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
