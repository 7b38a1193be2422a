"""What `loom train` writes loads in PyTorch: a LoRA adapter through `PeftModel.from_pretrained` and a full checkpoint
through `LlavaForConditionalGeneration.from_pretrained` give the log-probabilities Loom gives for the same prompt
(≤ 1e-4), and `loom merge` of the adapter equals the adapter applied unmerged."""
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from PIL import Image
from transformers import AutoProcessor, LlavaForConditionalGeneration

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "Tests/Fixtures/llava/tiny-84"
IMAGES = ROOT / "Tests/Fixtures/llava/images"
LOOM = os.environ.get("LOOM_BINARY") or str(ROOT / ".build/release/loom")


def loom(*arguments: str) -> subprocess.CompletedProcess:
    result = subprocess.run([LOOM, *arguments], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def trained():
    folder = Path(tempfile.mkdtemp(prefix="loom-roundtrip-"))
    for name in ["coffee.jpg", "chelsea.jpg", "rocket.jpg"]:
        shutil.copy(IMAGES / name, folder / name)
    records = [{"id": f"s{i}", "image": [a, b], "conversations": [
        {"from": "human", "value": "Image 1: <image>\nImage 2: <image>\nWhich one is warmer?"},
        {"from": "gpt", "value": answer}]} for i, (a, b, answer) in
        enumerate([("coffee.jpg", "chelsea.jpg", "The first."), ("rocket.jpg", "coffee.jpg", "The second."),
                   ("chelsea.jpg", "rocket.jpg", "The first.")])]
    (folder / "train.json").write_text(json.dumps(records))
    common = ["train", "--model", str(BASE), "--data", str(folder / "train.json"), "--max-steps", "3", "--batch-size", "3",
              "--schedule", "constant"]
    loom(*common, "--lora-rank", "4", "--lora-alpha", "8", "--lora-dropout", "0.1", "--tune", "projector", "--lr", "3e-2",
         "--out", str(folder / "adapter"))
    loom(*common, "--tune", "projector,language_model", "--lr", "1e-2", "--out", str(folder / "full"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def loom_logprobs(folder: Path, model: Path, *extra: str) -> dict:
    out = loom("generate", "--model", str(model), *extra, "--prompt", "Which one is warmer?", "--image", str(folder / "coffee.jpg"),
               "--image", str(folder / "rocket.jpg"), "--template", "hf", "--max-tokens", "6", "--temperature", "0",
               "--output", "json", "--logprobs", "5")
    return json.loads(out.stdout)


def torch_logprobs(model, processor, folder: Path, result: dict) -> torch.Tensor:
    images = [Image.open(folder / name).convert("RGB") for name in ["coffee.jpg", "rocket.jpg"]]
    pixels = processor.image_processor(images, return_tensors="pt")["pixel_values"]
    ids = torch.tensor([result["prompt_token_ids"] + result["token_ids"]])
    with torch.no_grad():
        logits = model(input_ids=ids, pixel_values=pixels).logits[0].float()
    return torch.log_softmax(logits, dim=-1)


def assert_same(result: dict, logprobs: torch.Tensor):
    start = len(result["prompt_token_ids"]) - 1
    worst = 0.0
    for position, token in enumerate(result["logprobs"]):
        for alternative in token["top"]:
            theirs = float(logprobs[start + position, alternative["token_id"]])
            worst = max(worst, abs(theirs - alternative["logprob"]))
    assert worst <= 1e-4, f"largest log-probability difference {worst}"


def test_adapter_loads_in_peft(trained):
    config = json.loads((trained / "adapter/adapter_config.json").read_text())
    assert config["peft_type"] == "LORA" and config["r"] == 4 and config["modules_to_save"] == ["multi_modal_projector"]
    base = LlavaForConditionalGeneration.from_pretrained(BASE, dtype=torch.float32)
    model = PeftModel.from_pretrained(base, trained / "adapter").eval()
    processor = AutoProcessor.from_pretrained(BASE, backend="pil")
    result = loom_logprobs(trained, BASE, "--adapter", str(trained / "adapter"))
    assert_same(result, torch_logprobs(model, processor, trained, result))


def test_full_checkpoint_loads_in_transformers(trained):
    model = LlavaForConditionalGeneration.from_pretrained(trained / "full", dtype=torch.float32).eval()
    processor = AutoProcessor.from_pretrained(trained / "full", backend="pil")
    result = loom_logprobs(trained, trained / "full")
    assert_same(result, torch_logprobs(model, processor, trained, result))


def test_merged_equals_unmerged(trained):
    merged = trained / "merged"
    loom("merge", "--model", str(BASE), "--adapter", str(trained / "adapter"), "--out", str(merged))
    unmerged = loom_logprobs(trained, BASE, "--adapter", str(trained / "adapter"))
    direct = loom_logprobs(trained, merged)
    assert direct["token_ids"] == unmerged["token_ids"]
    for a, b in zip(direct["logprobs"], unmerged["logprobs"]):
        for x, y in zip(a["top"], b["top"]):
            assert x["token_id"] == y["token_id"] and abs(x["logprob"] - y["logprob"]) <= 1e-5
