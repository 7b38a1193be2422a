#!/usr/bin/env python3
"""lmms-eval 0.7.3 (`--model openai`) against `loom serve`: a small interleave-style task made here (the
LLaVA-Interleave Bench's own `doc_to_visual`, `doc_to_text` and scorer, samples over the test images), run to the
end; every prediction must equal `loom generate`'s for the same prompt, and no request may fail.

    make lmms-eval          # makes .venv-lmms (lmms-eval, torch CPU) and runs this
"""
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/Clients"))
from conftest import API_KEY, IMAGES, MODEL, Server, loom_binary  # noqa: E402

SAMPLES = [
    ("s0", "Spot-the-Diff", "open-ended", "What is the difference between <image> and <image>?", "a cat", ["coffee.jpg", "chelsea.jpg"]),
    ("s1", "NLVR2_Mantis", "multi-choice", "Is the left one <image> brighter than <image>? (A) yes (B) no", "A", ["astronaut.jpg", "rocket.jpg"]),
    ("s2", "QBench", "open-ended", "Describe <image> in a few words.", "a camera", ["camera.png"]),
    ("s3", "VISION", "multi-choice", "Which has a defect: <image> or <image>? (A) first (B) second", "B", ["chelsea.jpg", "astronaut.jpg"]),
]

TASK = """task: loom_tiny_interleave
dataset_path: json
dataset_kwargs:
  data_files:
    test: {data}
test_split: test
output_type: generate_until
doc_to_target: answer
doc_to_visual: !function lmms_eval.tasks.llava_interleave_bench.utils.doc_to_visual
doc_to_text: !function lmms_eval.tasks.llava_interleave_bench.utils.doc_to_text
process_results: !function lmms_eval.tasks.llava_interleave_bench.utils.interleave_process_results
metric_list:
  - metric: overall_score
    aggregation: !function lmms_eval.tasks.llava_interleave_bench.utils.overall_score
    higher_is_better: true
generation_kwargs:
  max_new_tokens: 8
  temperature: 0
  do_sample: false
metadata:
  version: 0.0
"""


def loom_generate(question: str, images: list[str]) -> str:
    command = [loom_binary(), "generate", "--model", str(MODEL), "--prompt", question, "--template", "interleaved",
               "--max-tokens", "8", "--output", "json"]
    for image in images:
        command += ["--image", str(IMAGES / image)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)["text"]


def main() -> int:
    lmms = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / ".venv-lmms/bin/lmms-eval"
    work = Path(tempfile.mkdtemp(prefix="loom-lmms-"))
    data = work / "samples.jsonl"
    with data.open("w") as out:
        for sample_id, sub_task, kind, question, answer, images in SAMPLES:
            row = {"sample_id": sample_id, "sub_task": sub_task, "question_type": kind, "question": question, "answer": answer}
            row.update({f"image_{i}": str(IMAGES / name) for i, name in enumerate(images)})
            out.write(json.dumps(row) + "\n")
    tasks = work / "tasks"
    tasks.mkdir()
    (tasks / "loom_tiny_interleave.yaml").write_text(TASK.format(data=data))
    server = Server("--bind-image-markers", "--template", "interleaved")
    try:
        environment = dict(os.environ, OPENAI_API_KEY=API_KEY, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
        command = [str(lmms), "--model", "openai", "--model_args",
                   f"model_version=tiny,base_url={server.url}/v1,api_key={API_KEY},num_concurrent=4,max_retries=1",
                   "--tasks", "loom_tiny_interleave", "--include_path", str(tasks), "--batch_size", "1",
                   "--log_samples", "--output_path", str(work / "out")]
        run = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=1800)
        print(run.stdout[-3000:])
        if run.returncode != 0:
            print(run.stderr[-5000:], file=sys.stderr)
            return 1
    finally:
        server.stop()
    logs = list((work / "out").rglob("*_samples_loom_tiny_interleave.jsonl"))
    assert logs, f"no sample log under {work / 'out'}"
    records = [json.loads(line) for line in logs[0].read_text().splitlines() if line.strip()]
    assert len(records) == len(SAMPLES), f"{len(records)} predictions for {len(SAMPLES)} samples"
    failures = 0
    for record in records:
        sample_id = record["overall_score"]["sample_id"]
        _, _, _, question, _, images = next(s for s in SAMPLES if s[0] == sample_id)
        predicted = record["filtered_resps"]
        predicted = predicted[0] if isinstance(predicted, list) else predicted
        expected = loom_generate(question, images)
        if "LMMS_EVAL_REQUEST_FAILED" in predicted or predicted != expected:
            failures += 1
            print(f"{sample_id}: lmms-eval got {predicted!r}, loom generate {expected!r}", file=sys.stderr)
    print(f"lmms-eval: {len(records) - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
