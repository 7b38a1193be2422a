"""The model Loom trained itself (models/tiny-m4) served by `loom serve` and asked through the real `openai` client:
one held-out sample of each task (and two in the interleaved format), sent as the content parts of the record (its
text split at the `<image>` markers, a video as its frames), answered as transformers answers them
(`Tests/Fixtures/tiny-m4/reference.json`, made by tools/reference/make_tiny_m4_fixtures.py)."""
import base64
import json

import openai
import pytest

from conftest import API_KEY, ROOT, Server

FIXTURE = ROOT / "Tests/Fixtures/tiny-m4"
REFERENCE = json.loads((FIXTURE / "reference.json").read_text())
RECORDS = {(fmt, r["id"]): r for fmt in ("front", "interleaved") for r in json.loads((FIXTURE / fmt / "data.json").read_text())}


@pytest.fixture(scope="module")
def tiny_server():
    running = Server(model=ROOT / "models/tiny-m4")  # the default template: the checkpoint's own
    yield running
    running.stop()


def image_part(path) -> dict:
    return {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode()}}


def content(fmt: str, record: dict) -> list[dict]:
    """The record's question as content parts: text pieces and images in order; a video's marker is all its frames."""
    folder = FIXTURE / fmt
    if "video" in record:
        groups = [[image_part(p) for p in sorted((folder / record["video"]).glob("*.png"))]]
    else:
        images = record["image"] if isinstance(record["image"], list) else [record["image"]]
        groups = [[image_part(folder / p)] for p in images]
    assert all(len(g) <= REFERENCE["video_frames"] for g in groups)
    pieces = record["conversations"][0]["value"].split("<image>")
    parts = []
    for i, piece in enumerate(pieces):
        if piece:
            parts.append({"type": "text", "text": piece})
        if i < len(groups):
            parts += groups[i]
    return parts


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: c["name"])
def test_served_answers_equal_transformers(tiny_server, case):
    record = RECORDS[(case["format"], case["record"])]
    client = openai.OpenAI(base_url=tiny_server.url + "/v1", api_key=API_KEY, max_retries=0, timeout=120)
    reply = client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": content(case["format"], record)}],
                                           max_tokens=12, temperature=0)
    answer = reply.choices[0].message.content.strip()
    assert answer == case["greedy_text"].strip(), f"{case['name']}: served {answer!r}, transformers {case['greedy_text']!r}"
    assert reply.usage.prompt_tokens == len(case["input_ids"])
