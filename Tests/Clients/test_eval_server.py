"""`loom eval run --server` against `loom serve`: every answer in the results file equals the answer the real
`openai` client gets for the same messages (images as data URLs where the question's markers put them)."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import openai

from conftest import API_KEY, IMAGES, loom_binary

QUESTIONS = [
    (["coffee.jpg", "chelsea.jpg"], "<image><image>\nWhat differs?", "open-ended"),
    (["rocket.jpg", "astronaut.jpg"], "Is <image> taller than <image>? Answer A or B.", "multi-choice"),
    ([], "Say hello.", "open-ended"),
]


def data_url(path: Path) -> dict:
    kind = "png" if path.suffix == ".png" else "jpeg"
    return {"type": "image_url", "image_url": {"url": f"data:image/{kind};base64," + base64.b64encode(path.read_bytes()).decode()}}


def test_server_answers_equal_the_openai_clients(server):
    folder = Path(tempfile.mkdtemp(prefix="loom-eval-"))
    try:
        records = []
        for index, (images, question, kind) in enumerate(QUESTIONS):
            for name in images:
                shutil.copy(IMAGES / name, folder / name)
            records.append({"sample_id": index, "image": images, "metadata": {"dataset": "Toy", "question_type": kind},
                            "conversations": [{"from": "human", "value": question}, {"from": "gpt", "value": "A"}]})
        (folder / "bench.json").write_text(json.dumps(records))
        run = subprocess.run([loom_binary(), "eval", "run", "--server", server.url, "--server-model", "tiny",
                              "--data", str(folder / "bench.json"), "--out", str(folder / "out.jsonl"),
                              "--max-new-tokens", "12"],
                             capture_output=True, text=True, timeout=300, env={**os.environ, "OPENAI_API_KEY": API_KEY})
        assert run.returncode == 0, run.stderr
        results = [json.loads(line) for line in (folder / "out.jsonl").read_text().splitlines()]
        assert [r["sample_id"] for r in results] == [0, 1, 2]
        assert all(r["model_id"] == "tiny" and r["dataset"] == "Toy" for r in results)

        client = openai.OpenAI(base_url=server.url + "/v1", api_key=API_KEY, max_retries=0, timeout=120)
        for (images, question, _), result in zip(QUESTIONS, results):
            pieces = question.split("<image>")
            content = [data_url(folder / name) for name in images] if len(pieces) == 1 else []
            for position, piece in enumerate(pieces):
                if position > 0:
                    content.append(data_url(folder / images[position - 1]))
                if piece:
                    content.append({"type": "text", "text": piece})
            answer = client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": content}],
                                                    temperature=0, max_tokens=12)
            assert result["pred_response"] == answer.choices[0].message.content.strip()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
