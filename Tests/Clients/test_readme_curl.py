"""The README's curl examples run as written against `loom serve` (the address, key, model and media folder swapped
for the test server's)."""
import json
import re
import subprocess

from conftest import API_KEY, ROOT


def readme_curl_blocks() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## Serving"):text.index("## Many conversations")]
    return [block for block in re.findall(r"```sh\n(.*?)```", section, re.S) if block.lstrip().startswith("curl")]


def test_readme_curl_examples(server):
    blocks = readme_curl_blocks()
    assert len(blocks) == 3
    outputs = []
    for block in blocks:
        script = (block.replace("http://127.0.0.1:8080", server.url).replace("sk-local", API_KEY)
                  .replace("llava-interleave-qwen-0.5b-hf", "tiny").replace("/srv/media", str(server.media)))
        run = subprocess.run(["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        outputs.append(run.stdout)
    answer = json.loads(outputs[0])
    assert answer["object"] == "chat.completion" and isinstance(answer["choices"][0]["message"]["content"], str)
    events = [line[6:] for line in outputs[1].splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]" and json.loads(events[-2])["usage"]["completion_tokens"] > 0
    models, end = json.JSONDecoder().raw_decode(outputs[2])
    assert models["data"][0]["id"] == "tiny" and json.loads(outputs[2][end:]) == {"status": "ok"}
