"""`loom pull` and hub-cache interoperability against a local mock hub (`mock_hub.py`) and the real huggingface_hub.

Everything stays on loopback: the mock listens on 127.0.0.1 (port 0), `HF_ENDPOINT` points at it, the token is fake
and every subprocess has a timeout. huggingface_hub runs in a subprocess of this interpreter so that its
import-time settings (`HF_HUB_DISABLE_SYMLINKS`, ...) come from the environment each test gives it.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mock_hub import (COMMIT, FILES, MODEL_COMMIT, MODEL_DIR, MODEL_REPO_ID, OLD_COMMIT, REPO_ID, MockHub, etag_of,
                      model_files)

ROOT = Path(__file__).resolve().parents[2]
REPO_FOLDER = "models--" + REPO_ID.replace("/", "--")
SHARDS = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
# What `loom pull` fetches by default from the fake repository (not README.md, .gitattributes, onnx/).
PULLED = sorted(["config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                 "chat_template.json", "model.safetensors.index.json", *SHARDS])
TIMEOUT = 90


def loom_binary() -> str:
    return os.environ.get("LOOM_BINARY") or str(ROOT / ".build/release/loom")


@pytest.fixture(scope="module")
def hub():
    mock = MockHub()
    yield mock
    mock.close()


@pytest.fixture(autouse=True)
def fresh(hub):
    hub.reset()
    yield


@pytest.fixture
def cache(tmp_path) -> Path:
    return tmp_path / "hub-cache"


def base_env(hub: MockHub, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The process environment without any HF_* setting of the machine, pointed at the mock."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("HF_", "HUGGINGFACE_", "HUGGING_FACE_")) and k not in ("TRANSFORMERS_OFFLINE", "XDG_CACHE_HOME")}
    env.update(HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path / "hf-home"), HF_HUB_DISABLE_TELEMETRY="1",
               HF_HUB_DISABLE_PROGRESS_BARS="1", HF_HUB_DISABLE_XET="1", NO_PROXY="*", no_proxy="*")
    env.update(extra)
    return env


def pull(hub: MockHub, cache: Path, tmp_path: Path, *args: str, repo: str = REPO_ID, env: dict | None = None,
         **extra: str) -> subprocess.CompletedProcess:
    command = [loom_binary(), "pull", repo, "--cache-dir", str(cache), *args]
    return subprocess.run(command, env=env or base_env(hub, tmp_path, **extra), capture_output=True, text=True,
                          timeout=TIMEOUT)


def hf(hub: MockHub, cache: Path, tmp_path: Path, code: str, **extra: str):
    """Runs `code` with huggingface_hub (HF_HUB_CACHE = cache); it prints one JSON value, returned here."""
    env = base_env(hub, tmp_path, HF_HUB_CACHE=str(cache), **extra)
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


def snapshot_files(snapshot: Path) -> list[str]:
    return sorted(str(p.relative_to(snapshot)) for p in snapshot.rglob("*") if p.is_file())


def blob_names(cache: Path) -> list[str]:
    blobs = cache / REPO_FOLDER / "blobs"
    return sorted(p.name for p in blobs.iterdir()) if blobs.exists() else []


def read_back_with_hf(hub, cache, tmp_path, files: list[str], revision: str = "main") -> dict:
    """huggingface_hub, offline: `hf_hub_download` of each file and `snapshot_download` of exactly these files."""
    code = f"""
import json
from huggingface_hub import hf_hub_download, snapshot_download
files = {files!r}
paths = {{f: hf_hub_download({REPO_ID!r}, f, revision={revision!r}, local_files_only=True) for f in files}}
snapshot = snapshot_download({REPO_ID!r}, revision={revision!r}, local_files_only=True, allow_patterns=files)
print(json.dumps({{"paths": paths, "snapshot": snapshot}}))
"""
    return hf(hub, cache, tmp_path, code)


# -- Loom writes, huggingface_hub reads ----------------------------------------------------------------------------

def test_pull_writes_a_cache_huggingface_hub_reads(hub, cache, tmp_path):
    run = pull(hub, cache, tmp_path, HF_TOKEN="hf_secret_token")
    assert run.returncode == 0, run.stderr
    snapshot = Path(run.stdout.strip())
    assert snapshot == cache / REPO_FOLDER / "snapshots" / COMMIT
    assert snapshot_files(snapshot) == PULLED
    for name in PULLED:
        assert (snapshot / name).read_bytes() == FILES[name], name
        link = os.readlink(snapshot / name)
        assert link == f"../../blobs/{etag_of(name, FILES[name])}", link
    assert (cache / REPO_FOLDER / "refs" / "main").read_bytes() == COMMIT.encode()  # no newline
    assert blob_names(cache) == sorted(etag_of(n, FILES[n]) for n in PULLED)
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")

    log = hub.log()
    assert not any("onnx" in r.path or "README" in r.path or ".gitattributes" in r.path for r in log)
    cdn = [r for r in log if r.server == "cdn"]
    assert sorted(r.path.split("file=")[1] for r in cdn) == SHARDS
    assert all("authorization" not in r.headers for r in cdn), "the token leaked to the CDN"
    assert all(r.headers.get("authorization") == "Bearer hf_secret_token" for r in log if r.server == "hub")
    assert all(r.headers.get("accept-encoding") == "identity" for r in log)

    back = read_back_with_hf(hub, cache, tmp_path, PULLED)
    assert Path(back["snapshot"]) == snapshot
    for name, path in back["paths"].items():
        assert Path(path).read_bytes() == FILES[name], name
    assert hub.log() == log, "reading back offline made requests"


def test_second_pull_fetches_no_content(hub, cache, tmp_path):
    first = pull(hub, cache, tmp_path)
    assert first.returncode == 0, first.stderr
    hub.reset()
    second = pull(hub, cache, tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert hub.content_gets() == [], [r.path for r in hub.content_gets()]
    assert "already in the cache" in second.stderr


def test_quiet_progress_lines_when_not_a_terminal(hub, cache, tmp_path):
    run = pull(hub, cache, tmp_path)
    assert run.returncode == 0, run.stderr
    assert "\r" not in run.stderr and "\x1b" not in run.stderr
    assert f"pull {REPO_ID}: 8 files to download" in run.stderr
    assert f"pull {REPO_ID}: {SHARDS[0]} (300.0 KB)" in run.stderr
    assert run.stdout.count("\n") == 1  # only the snapshot path on standard output


def test_include_exclude_and_endpoint_with_trailing_slash(hub, cache, tmp_path):
    run = pull(hub, cache, tmp_path, "--include", "onnx/*", "README.md", "--exclude", "tokenizer.json",
               HF_ENDPOINT=hub.url + "/")
    assert run.returncode == 0, run.stderr
    snapshot = Path(run.stdout.strip())
    expected = sorted([*(set(PULLED) - {"tokenizer.json"}), "onnx/model.onnx", "README.md"])
    assert snapshot_files(snapshot) == expected
    assert os.readlink(snapshot / "onnx/model.onnx") == f"../../../blobs/{etag_of('onnx/model.onnx', FILES['onnx/model.onnx'])}"
    back = read_back_with_hf(hub, cache, tmp_path, ["onnx/model.onnx", "README.md"])
    assert Path(back["paths"]["onnx/model.onnx"]).read_bytes() == FILES["onnx/model.onnx"]


def test_tag_and_commit_revisions(hub, cache, tmp_path):
    run = pull(hub, cache, tmp_path, repo=f"{REPO_ID}@v0")
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()) == cache / REPO_FOLDER / "snapshots" / OLD_COMMIT
    assert (cache / REPO_FOLDER / "refs" / "v0").read_bytes() == OLD_COMMIT.encode()
    back = read_back_with_hf(hub, cache, tmp_path, ["config.json"], revision="v0")
    assert Path(back["snapshot"]).name == OLD_COMMIT
    run = pull(hub, cache, tmp_path, repo=f"{REPO_ID}@{COMMIT}")
    assert run.returncode == 0, run.stderr
    assert not (cache / REPO_FOLDER / "refs" / COMMIT).exists()
    assert sorted(p.name for p in (cache / REPO_FOLDER / "refs").iterdir()) == ["v0"]


def test_renamed_repository_redirect(hub, cache, tmp_path):
    hub.faults.renamed = "loom-test/old-name"
    run = pull(hub, cache, tmp_path, repo="loom-test/old-name")
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()) == cache / "models--loom-test--old-name" / "snapshots" / COMMIT


# -- huggingface_hub writes, Loom reads ----------------------------------------------------------------------------

@pytest.mark.parametrize("symlinks", [True, False], ids=["symlinks", "copies"])
def test_huggingface_hub_cache_is_read_by_loom(hub, cache, tmp_path, symlinks):
    extra = {} if symlinks else {"HF_HUB_DISABLE_SYMLINKS": "1", "HF_HUB_DISABLE_SYMLINKS_WARNING": "1"}
    code = f"""
import json
from huggingface_hub import snapshot_download, hf_hub_download
from huggingface_hub.errors import EntryNotFoundError
path = snapshot_download({REPO_ID!r})
try:
    hf_hub_download({REPO_ID!r}, "chat_template.jinja")
except EntryNotFoundError:
    pass
print(json.dumps(path))
"""
    snapshot = Path(hf(hub, cache, tmp_path, code, **extra))
    assert snapshot == cache / REPO_FOLDER / "snapshots" / COMMIT
    assert (cache / REPO_FOLDER / ".no_exist" / COMMIT / "chat_template.jinja").exists()
    assert (cache / REPO_FOLDER / "trees" / f"{COMMIT}.json").exists()
    assert (snapshot / "config.json").is_symlink() == symlinks

    hub.reset()
    offline = pull(hub, cache, tmp_path, HF_HUB_OFFLINE="1")
    assert offline.returncode == 0, offline.stderr
    assert Path(offline.stdout.strip()) == snapshot
    assert hub.log() == []

    online = pull(hub, cache, tmp_path)
    assert online.returncode == 0, online.stderr
    assert Path(online.stdout.strip()) == snapshot
    assert hub.content_gets() == [], "Loom downloaded what huggingface_hub had cached"


def test_partial_huggingface_hub_cache_names_the_missing_shard(hub, cache, tmp_path):
    code = f"""
import json
from huggingface_hub import hf_hub_download
for name in ["config.json", "model.safetensors.index.json", {SHARDS[0]!r}]:
    hf_hub_download({REPO_ID!r}, name)
print(json.dumps(True))
"""
    hf(hub, cache, tmp_path, code)
    hub.reset()
    run = pull(hub, cache, tmp_path, HF_HUB_OFFLINE="1")
    assert run.returncode != 0
    assert SHARDS[1] in run.stderr and f"loom pull {REPO_ID}@main" in run.stderr, run.stderr
    assert hub.log() == []


# -- faults ---------------------------------------------------------------------------------------------------------

def test_resume_after_dropped_connection(hub, cache, tmp_path):
    hub.faults.drop_after = {SHARDS[0]: 100_000}
    run = pull(hub, cache, tmp_path)
    assert run.returncode == 0, run.stderr
    gets = [r for r in hub.log() if r.server == "cdn" and SHARDS[0] in r.path]
    assert len(gets) == 2, [(r.path, r.headers.get("range")) for r in gets]
    assert "range" not in gets[0].headers
    resumed_at = int(gets[1].headers["range"].removeprefix("bytes=").removesuffix("-"))
    assert 0 < resumed_at <= 100_000
    blob = cache / REPO_FOLDER / "blobs" / etag_of(SHARDS[0], FILES[SHARDS[0]])
    assert blob.read_bytes() == FILES[SHARDS[0]]


def test_range_answered_with_200_restarts_the_file(hub, cache, tmp_path):
    hub.faults.drop_after = {SHARDS[1]: 50_000}
    hub.faults.ignore_range = True
    run = pull(hub, cache, tmp_path)
    assert run.returncode == 0, run.stderr
    gets = [r for r in hub.log() if r.server == "cdn" and SHARDS[1] in r.path]
    assert len(gets) == 2 and "range" in gets[1].headers
    blob = cache / REPO_FOLDER / "blobs" / etag_of(SHARDS[1], FILES[SHARDS[1]])
    assert hashlib.sha256(blob.read_bytes()).hexdigest() == etag_of(SHARDS[1], FILES[SHARDS[1]])


def test_sha256_mismatch_leaves_no_blob(hub, cache, tmp_path):
    hub.faults.corrupt = {SHARDS[1]}
    run = pull(hub, cache, tmp_path)
    assert run.returncode != 0
    assert "checksum mismatch" in run.stderr and SHARDS[1] in run.stderr, run.stderr
    etag = etag_of(SHARDS[1], FILES[SHARDS[1]])
    assert etag not in blob_names(cache)
    assert not any(name.endswith(".incomplete") for name in blob_names(cache))
    assert not (cache / REPO_FOLDER / "snapshots" / COMMIT / SHARDS[1]).exists()
    assert not (cache / REPO_FOLDER / "refs" / "main").exists()
    hub.reset()
    again = pull(hub, cache, tmp_path)
    assert again.returncode == 0, again.stderr
    assert [r.path.split("file=")[1] for r in hub.log() if r.server == "cdn"] == [SHARDS[1]]


@pytest.mark.parametrize("kind,token,words", [
    ("401", None, ["not found", "HF_TOKEN"]),
    ("404", "hf_x", ["not found", "HTTP 404"]),
    ("gated", None, ["gated", "HTTP 401", "set HF_TOKEN"]),
    ("gated", "hf_x", ["gated", "HTTP 403", "granted access"]),
])
def test_repository_errors_have_clear_messages(hub, cache, tmp_path, kind, token, words):
    hub.faults.repo_error = kind
    extra = {"HF_TOKEN": token} if token else {}
    started = time.monotonic()
    run = pull(hub, cache, tmp_path, **extra)
    assert run.returncode != 0
    for word in words:
        assert word in run.stderr, run.stderr
    assert REPO_ID in run.stderr
    assert time.monotonic() - started < 30
    assert blob_names(cache) == []
    assert len(hub.log()) <= 3


def test_unknown_revision(hub, cache, tmp_path):
    run = pull(hub, cache, tmp_path, repo=f"{REPO_ID}@nope")
    assert run.returncode != 0
    assert "revision 'nope'" in run.stderr, run.stderr


def test_concurrent_pulls_write_one_valid_blob(hub, cache, tmp_path):
    hub.faults.chunk_delay = 0.01
    env = base_env(hub, tmp_path)
    command = [loom_binary(), "pull", REPO_ID, "--cache-dir", str(cache)]
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    outputs = [p.communicate(timeout=TIMEOUT) for p in processes]
    for process, (out, err) in zip(processes, outputs):
        assert process.returncode == 0, err
    assert outputs[0][0] == outputs[1][0]
    assert blob_names(cache) == sorted(etag_of(n, FILES[n]) for n in PULLED)
    for name in SHARDS:
        blob = cache / REPO_FOLDER / "blobs" / etag_of(name, FILES[name])
        assert blob.read_bytes() == FILES[name]
        gets = [r for r in hub.log() if r.server == "cdn" and name in r.path]
        assert len(gets) == 1, "the blob lock did not serialise the two downloads"
    back = read_back_with_hf(hub, cache, tmp_path, PULLED)
    assert sorted(back["paths"]) == PULLED


def test_offline_opens_no_socket(hub, cache, tmp_path):
    run = pull(hub, cache, tmp_path, HF_HUB_OFFLINE="1")
    assert run.returncode != 0
    assert "HF_HUB_OFFLINE" in run.stderr and "loom pull" in run.stderr, run.stderr
    assert hub.log() == []
    assert pull(hub, cache, tmp_path).returncode == 0
    hub.reset()
    run = pull(hub, cache, tmp_path, HF_HUB_OFFLINE="1")
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()) == cache / REPO_FOLDER / "snapshots" / COMMIT
    assert hub.log() == []


def test_unreachable_hub_uses_a_complete_cache_and_fails_fast_otherwise(hub, cache, tmp_path):
    import socket
    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}"
    started = time.monotonic()
    run = pull(hub, cache, tmp_path, HF_ENDPOINT=dead)
    assert run.returncode != 0
    assert f"could not reach {dead}" in run.stderr, run.stderr
    assert time.monotonic() - started < 5
    assert pull(hub, cache, tmp_path).returncode == 0
    run = pull(hub, cache, tmp_path, HF_ENDPOINT=dead)
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()) == cache / REPO_FOLDER / "snapshots" / COMMIT
    assert "using the cached snapshot" in run.stderr


# -- `--model ORG/NAME` in the other commands ---------------------------------------------------------------------

def loom(args: list[str], env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([loom_binary(), *args], env=env, capture_output=True, text=True, timeout=TIMEOUT)


def generate(model: str, env: dict) -> dict:
    run = loom(["generate", "--model", model, "--prompt", "What is in <image>?", "--image",
                str(ROOT / "Tests/Fixtures/llava/images/coffee.jpg"), "--max-tokens", "6", "--output", "json"], env)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    return {k: out[k] for k in ("prompt_token_ids", "token_ids", "text")}


def test_model_by_repo_id_after_loom_pull(hub, cache, tmp_path):
    env = base_env(hub, tmp_path, HF_HUB_CACHE=str(cache))
    run = loom(["pull", MODEL_REPO_ID], env)
    assert run.returncode == 0, run.stderr
    snapshot = Path(run.stdout.strip())
    assert snapshot == cache / f"models--{MODEL_REPO_ID.replace('/', '--')}" / "snapshots" / MODEL_COMMIT
    assert (snapshot / "model.safetensors").is_symlink()
    hub.reset()
    offline = dict(env, HF_HUB_OFFLINE="1")
    local = generate(str(MODEL_DIR), offline)
    assert generate(MODEL_REPO_ID, offline) == local
    assert generate(f"{MODEL_REPO_ID}@main", offline) == local
    assert generate(f"{MODEL_REPO_ID}@{MODEL_COMMIT}", offline) == local
    tokens = loom(["tokenize", "--model", MODEL_REPO_ID, "Hello <image>"], offline)
    assert tokens.returncode == 0, tokens.stderr
    assert tokens.stdout == loom(["tokenize", "--model", str(MODEL_DIR), "Hello <image>"], offline).stdout
    assert hub.log() == []


def test_model_by_repo_id_from_a_huggingface_hub_cache(hub, cache, tmp_path):
    code = f"""
import json
from huggingface_hub import snapshot_download
print(json.dumps(snapshot_download({MODEL_REPO_ID!r})))
"""
    snapshot = Path(hf(hub, cache, tmp_path, code))
    assert sorted(p.name for p in snapshot.iterdir()) == sorted(model_files())
    env = base_env(hub, tmp_path, HF_HUB_CACHE=str(cache), HF_HUB_OFFLINE="1")
    hub.reset()
    assert generate(MODEL_REPO_ID, env) == generate(str(MODEL_DIR), env)
    assert hub.log() == []


def test_model_by_repo_id_names_what_is_missing(hub, cache, tmp_path):
    code = f"""
import json
from huggingface_hub import hf_hub_download
for name in ["config.json", "tokenizer.json", "tokenizer_config.json"]:
    hf_hub_download({MODEL_REPO_ID!r}, name)
print(json.dumps(True))
"""
    hf(hub, cache, tmp_path, code)
    env = base_env(hub, tmp_path, HF_HUB_CACHE=str(cache), HF_HUB_OFFLINE="1")
    run = loom(["generate", "--model", MODEL_REPO_ID, "--prompt", "hi", "--max-tokens", "2"], env)
    assert run.returncode != 0
    assert "model.safetensors" in run.stderr and f"loom pull {MODEL_REPO_ID}@main" in run.stderr, run.stderr
    run = loom(["generate", "--model", f"{MODEL_REPO_ID}@v9", "--prompt", "hi"], env)
    assert run.returncode != 0
    assert f"loom pull {MODEL_REPO_ID}@v9" in run.stderr, run.stderr
    # HF_HUB_CACHE elsewhere: nothing there.
    elsewhere = dict(env, HF_HUB_CACHE=str(tmp_path / "empty"))
    run = loom(["generate", "--model", MODEL_REPO_ID, "--prompt", "hi"], elsewhere)
    assert run.returncode != 0 and str(tmp_path / "empty") in run.stderr, run.stderr


@pytest.mark.parametrize("variable", ["HF_HOME", "XDG_CACHE_HOME", "HUGGINGFACE_HUB_CACHE"])
def test_cache_root_from_the_environment(hub, tmp_path, variable):
    base = tmp_path / "base"
    cache = {"HF_HOME": base / "hub", "XDG_CACHE_HOME": base / "huggingface" / "hub",
             "HUGGINGFACE_HUB_CACHE": base}[variable]
    env = base_env(hub, tmp_path)
    env.pop("HF_HOME")
    env[variable] = str(base)
    run = loom(["pull", MODEL_REPO_ID], env)
    assert run.returncode == 0, run.stderr
    assert Path(run.stdout.strip()).parent.parent.parent == cache
    tokens = loom(["tokenize", "--model", MODEL_REPO_ID, "Hello"], dict(env, HF_HUB_OFFLINE="1"))
    assert tokens.returncode == 0, tokens.stderr
