"""A `loom serve` process on the tiny LLaVA fixture, shared by the client tests (loopback only, bounded)."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "Tests/Fixtures/llava/tiny-84"
IMAGES = ROOT / "Tests/Fixtures/llava/images"
API_KEY = "sk-test"


def loom_binary() -> str:
    return os.environ.get("LOOM_BINARY") or str(ROOT / ".build/release/loom")


class Server:
    """A running `loom serve`: its base URL, its process and the media folder it allows."""

    def __init__(self, *extra: str, api_key: str | None = API_KEY, model: Path = MODEL):
        self.media = Path(tempfile.mkdtemp(prefix="loom-media-"))
        for name in ["coffee.jpg", "chelsea.jpg", "astronaut.jpg", "rocket.jpg", "camera.png"]:
            shutil.copy(IMAGES / name, self.media / name)
        outside = Path(tempfile.mkdtemp(prefix="loom-outside-"))
        shutil.copy(IMAGES / "coffee.jpg", outside / "secret.jpg")
        (self.media / "escape.jpg").symlink_to(outside / "secret.jpg")
        self.outside = outside
        command = [loom_binary(), "serve", "--model", str(model), "--port", "0", "--served-model-name", "tiny",
                   "--allowed-local-media-path", str(self.media), *extra]
        if api_key:
            command += ["--api-key", api_key]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        port = None
        while port is None and time.time() < deadline:
            line = self.process.stderr.readline()
            if not line:
                break
            match = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if match:
                port = int(match.group(1))
        assert port, "loom serve did not start"
        self.url = f"http://127.0.0.1:{port}"
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except Exception:
                time.sleep(0.1)
        # Keep the log (and never let the server block on a full pipe).
        self.log: list[str] = []
        threading.Thread(target=lambda: [self.log.append(line) for line in self.process.stderr], daemon=True).start()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.media, ignore_errors=True)
        shutil.rmtree(self.outside, ignore_errors=True)

    def metric(self, name: str) -> float:
        request = urllib.request.Request(self.url + "/metrics", headers={"Authorization": f"Bearer {API_KEY}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            for line in response.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
        raise KeyError(name)


@pytest.fixture(scope="session")
def server():
    running = Server()
    yield running
    running.stop()


def loom_generate(prompt: str, images: list[str], max_tokens: int, logprobs: int | None = None) -> dict:
    """`loom generate --output json` for the same conversation (hf template: the images first, then the text)."""
    command = [loom_binary(), "generate", "--model", str(MODEL), "--prompt", prompt, "--template", "hf",
               "--max-tokens", str(max_tokens), "--output", "json"]
    for image in images:
        command += ["--image", str(IMAGES / image)]
    if logprobs is not None:
        command += ["--logprobs", str(logprobs)]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)
