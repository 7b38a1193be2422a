#!/usr/bin/env python3
"""Load on an OpenAI-compatible server with the real `openai` client: C concurrent clients (C = 1, 2, 4, 8, 16),
each sending one-image streaming questions, against `loom serve` and — in the same run, on the same checkpoint —
`transformers serve --continuous-batching`.

Run on demand (not by CI), after `make release` and `make venv`:
    .venv/bin/python bench/serve_load.py --model DIR                      # Loom only
    .venv/bin/python bench/serve_load.py --model DIR --transformers       # both (needs transformers + torch)

DIR is a llava-hf checkpoint directory (config, weights, tokenizer and processor files), e.g. the random
real-size one `bench/compare_transformers.py` writes under bench/out/. Each client sends `--requests` questions,
each with its own synthetic photo (no two requests share an image, so the feature cache never answers), asking for
`--max-tokens` tokens greedily. Figures per C: aggregate generated tokens/s (all tokens over the wall time of the
round), median and p99 time to first token, median and p99 inter-token latency (between content chunks). Prints one
JSON document.
"""
import argparse
import base64
import concurrent.futures
import io
import json
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time
import urllib.request
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def photo_png(seed: int, width: int = 640, height: int = 480) -> str:
    """A smooth synthetic photo as a PNG data URL (no Pillow needed); `seed` shifts its texture."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)
        for x in range(width):
            rows += bytes((x * 255 // width, y * 255 // height, (((x + seed) ^ y) & 0x3F) * 3))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(bytes(rows), 6)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def percentile(values, q):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Loom:
    name = "loom"

    def __init__(self, args):
        command = [args.loom_binary, "serve", "--model", args.model, "--port", "0", "--served-model-name", "bench",
                   "--max-num-seqs", str(max(args.concurrency)), "--prefill-chunk", str(args.prefill_chunk)]
        if args.dtype:
            command += ["--dtype", args.dtype]
        if args.weights:
            command += ["--weights", args.weights]
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        port = None
        while port is None:
            line = self.process.stderr.readline()
            if not line:
                raise SystemExit("loom serve exited")
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            port = int(match.group(1)) if match else None
        self.url, self.model = f"http://127.0.0.1:{port}", "bench"
        wait_healthy(self.url + "/health", 600)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


class Transformers:
    name = "transformers"

    def __init__(self, args):
        port = 18000 + os.getpid() % 1000
        command = [shutil.which("transformers") or "transformers", "serve", "--continuous-batching", "--port", str(port),
                   "--force-model", args.model]
        self.process = subprocess.Popen(command, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        self.url, self.model = f"http://127.0.0.1:{port}", args.model
        wait_healthy(self.url + "/health", 900)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=60)


def wait_healthy(url: str, seconds: float):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except Exception:
            time.sleep(0.5)
    raise SystemExit(f"{url} never became healthy")


def one_request(client, model: str, image: str, max_tokens: int):
    start = time.perf_counter()
    first, stamps, tokens = None, [], 0
    stream = client.chat.completions.create(
        model=model, max_tokens=max_tokens, temperature=0, stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": [{"type": "image_url", "image_url": {"url": image}},
                                                {"type": "text", "text": "Describe the picture in detail."}]}])
    for chunk in stream:
        if chunk.usage:
            tokens = chunk.usage.completion_tokens
        if chunk.choices and chunk.choices[0].delta.content:
            now = time.perf_counter()
            first = first or now
            stamps.append(now)
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    return (first - start) if first else None, gaps, tokens


def load_round(server, concurrency: int, requests: int, max_tokens: int, images: list[str]):
    import openai
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="bench", max_retries=0, timeout=3600)
    jobs = [(c, r) for c in range(concurrency) for r in range(requests)]
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        def client_loop(c):
            return [one_request(client, server.model, images[(c * requests + r) % len(images)], max_tokens) for r in range(requests)]
        results = [item for future in [pool.submit(client_loop, c) for c in range(concurrency)] for item in future.result()]
    wall = time.perf_counter() - start
    first = [r[0] for r in results if r[0] is not None]
    gaps = [g for r in results for g in r[1]]
    tokens = sum(r[2] for r in results)
    return {"concurrency": concurrency, "requests": len(jobs), "generated_tokens": tokens, "wall_s": wall,
            "aggregate_tokens_per_s": tokens / wall, "ttft_median_s": statistics.median(first) if first else None,
            "ttft_p99_s": percentile(first, 0.99), "itl_median_s": statistics.median(gaps) if gaps else None,
            "itl_p99_s": percentile(gaps, 0.99)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="llava-hf checkpoint directory")
    parser.add_argument("--loom-binary", default=os.path.join(ROOT, ".build/release/loom"))
    parser.add_argument("--concurrency", default="1,2,4,8,16", type=lambda s: [int(x) for x in s.split(",")])
    parser.add_argument("--requests", type=int, default=2, help="questions each client sends per round")
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--dtype", default="bf16")
    parser.add_argument("--weights")
    parser.add_argument("--prefill-chunk", type=int, default=256, help="loom serve --prefill-chunk (steadier streams)")
    parser.add_argument("--transformers", action="store_true", help="also load transformers serve --continuous-batching")
    args = parser.parse_args()
    images = [photo_png(seed) for seed in range(max(args.concurrency) * args.requests * 2)]
    report = {"model": args.model, "max_tokens": args.max_tokens, "threads": os.cpu_count(), "servers": {}}
    for kind in [Loom] + ([Transformers] if args.transformers else []):
        try:
            server = kind(args)
        except (SystemExit, OSError) as failure:
            report["servers"][kind.name] = {"error": str(failure)}
            continue
        try:
            load_round(server, 1, 1, 4, images[-1:])  # warm-up
            report["servers"][kind.name] = [load_round(server, c, args.requests, args.max_tokens, images) for c in args.concurrency]
        finally:
            server.stop()
    json.dump(report, sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    main()
