"""A local mock of the Hugging Face Hub for the `loom pull` and cache tests (loopback only, stdlib only).

Two `http.server` servers in threads, both on 127.0.0.1 with port 0:
* the hub origin (`HF_ENDPOINT`): the model API, `/resolve/` (HEAD and GET) and `/api/resolve-cache/`;
* a "CDN" origin (another port, so another origin): the "LFS" files behind signed-looking URLs.

The answers carry the headers huggingface_hub 2.4 reads (`file_download.py` `get_hf_file_metadata`,
`_get_metadata_or_catch_error`, `http_get`; `utils/_http.py` `hf_raise_for_status`,
`_httpx2_follow_hub_redirects_with_backoff`):
* small ("git") files: `HEAD/GET /{repo}/resolve/{rev}/{path}` → `307` to `/api/resolve-cache/models/{repo}/{commit}/{path}`
  on the same origin with `X-Repo-Commit`, `X-Linked-Etag: "<git-sha1>"`, `X-Linked-Size`; the target answers `200`
  with `ETag: "<git-sha1>"`, `X-Repo-Commit`, `Content-Length`, `Accept-Ranges: bytes`;
* "LFS" files: `302` to `http://127.0.0.1:<cdn port>/cdn/<sha256>?sig=…` with `X-Linked-Etag: "<sha256>"`,
  `X-Linked-Size`, `X-Repo-Commit` (huggingface_hub reads the metadata from this answer and does not follow it);
* `Range: bytes=N-` → `206` with `Content-Range`;
* errors with `X-Error-Code` (`RepoNotFound`, `GatedRepo`, `RevisionNotFound`, `EntryNotFound` + `X-Repo-Commit`).

Fault switches (attributes of `MockHub.faults`, set by a test before it runs a client):
`drop_after` (path → bytes: the first GET of that file sends that many bytes, then closes the connection, once),
`ignore_range` (answer `200` with the whole file to a `Range` request), `corrupt` (set of paths served with wrong
bytes of the right length), `repo_error` (`"401"`, `"404"` or `"gated"` for every repo request), `chunk_delay`
(seconds slept between 16 KiB chunks, to make concurrent downloads overlap), `renamed` (an old repo id answering a
bare `307` to the current one).

Every request is recorded (`MockHub.requests`: server, method, path, headers) for the tests to assert on.
"""
from __future__ import annotations

import hashlib
import json
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPO_ID = "loom-test/tiny-hub"
COMMIT = hashlib.sha1(b"loom-test/tiny-hub main").hexdigest()
OLD_COMMIT = hashlib.sha1(b"loom-test/tiny-hub v0").hexdigest()
CHUNK = 16 * 1024


def git_sha1(data: bytes) -> str:
    """The git blob id of `data` (what the hub reports as the etag of a non-LFS file)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _random_bytes(seed: int, size: int) -> bytes:
    generator = random.Random(seed)
    return generator.randbytes(size)


def _repo_files() -> dict[str, bytes]:
    shard_names = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    index = {
        "metadata": {"total_size": 300_000 + 200_000},
        "weight_map": {"lm_head.weight": shard_names[1], "model.embed_tokens.weight": shard_names[0],
                       "model.norm.weight": shard_names[1]},
    }
    return {
        ".gitattributes": b"*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.onnx filter=lfs diff=lfs merge=lfs -text\n",
        "README.md": b"# tiny-hub\n\nA fake repository for Loom's hub tests.\n",
        "config.json": json.dumps({"model_type": "llava", "architectures": ["LlavaForConditionalGeneration"],
                                   "hidden_size": 8}, indent=2).encode() + b"\n",
        "generation_config.json": b'{\n  "eos_token_id": 2,\n  "max_new_tokens": 16\n}\n',
        "tokenizer.json": json.dumps({"version": "1.0", "model": {"type": "BPE", "vocab": {"a": 0, "b": 1},
                                                                 "merges": []}}).encode(),
        "tokenizer_config.json": b'{"model_max_length": 32768}',
        "chat_template.json": json.dumps({"chat_template": "{% for m in messages %}{{ m['role'] }}{% endfor %}"}).encode(),
        "model.safetensors.index.json": json.dumps(index, indent=2).encode(),
        shard_names[0]: _random_bytes(1, 300_000),
        shard_names[1]: _random_bytes(2, 200_000),
        "onnx/model.onnx": _random_bytes(3, 50_000),
    }


FILES = _repo_files()
LFS_SUFFIXES = (".safetensors", ".onnx")
# An older commit (tag `v0`): only a config.
OLD_FILES = {"config.json": b'{"model_type": "llava", "hidden_size": 4}\n'}

# A real (tiny, random-weight) LLaVA checkpoint, to run `loom` commands on a model named by its repo id.
MODEL_REPO_ID = "loom-test/tiny-84"
MODEL_COMMIT = hashlib.sha1(b"loom-test/tiny-84 main").hexdigest()
MODEL_DIR = Path(__file__).resolve().parents[1] / "Fixtures/llava/tiny-84"
MODEL_FILES_NAMES = ["config.json", "generation_config.json", "chat_template.json", "preprocessor_config.json",
                     "processor_config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors"]


def model_files() -> dict[str, bytes]:
    files = {name: (MODEL_DIR / name).read_bytes() for name in MODEL_FILES_NAMES}
    files["README.md"] = b"# tiny-84\n"
    return files


def is_lfs(path: str) -> bool:
    return path.endswith(LFS_SUFFIXES)


def etag_of(path: str, data: bytes) -> str:
    return hashlib.sha256(data).hexdigest() if is_lfs(path) else git_sha1(data)


@dataclass
class Faults:
    drop_after: dict[str, int] = field(default_factory=dict)
    ignore_range: bool = False
    corrupt: set[str] = field(default_factory=set)
    repo_error: str | None = None
    chunk_delay: float = 0.0
    renamed: str | None = None


@dataclass
class Request:
    server: str
    method: str
    path: str
    headers: dict[str, str]


class MockHub:
    """The two servers, the fake repository, the fault switches and the request log."""

    def __init__(self):
        self.faults = Faults()
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        # repo id → (revision → commit, commit → files)
        self.repos = {
            REPO_ID: ({"main": COMMIT, "v1": COMMIT, COMMIT: COMMIT, "v0": OLD_COMMIT, OLD_COMMIT: OLD_COMMIT},
                      {COMMIT: FILES, OLD_COMMIT: OLD_FILES}),
            MODEL_REPO_ID: ({"main": MODEL_COMMIT, MODEL_COMMIT: MODEL_COMMIT}, {MODEL_COMMIT: model_files()}),
        }
        self.hub = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, "hub"))
        self.cdn = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self, "cdn"))
        self.hub.daemon_threads = self.cdn.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.hub.server_address[1]}"
        self.cdn_url = f"http://127.0.0.1:{self.cdn.server_address[1]}"
        self.threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (self.hub, self.cdn)]
        for thread in self.threads:
            thread.start()

    def close(self):
        for server in (self.hub, self.cdn):
            server.shutdown()
            server.server_close()

    def reset(self):
        """Clears the request log and the fault switches."""
        with self.lock:
            self.requests.clear()
            self.faults = Faults()

    def record(self, request: Request):
        with self.lock:
            self.requests.append(request)

    def log(self) -> list[Request]:
        with self.lock:
            return list(self.requests)

    def content_gets(self) -> list[Request]:
        """GETs of file content (resolve, resolve-cache or CDN), not of the API."""
        return [r for r in self.log() if r.method == "GET" and not r.path.startswith("/api/models/")]


def _handler(hub: MockHub, server: str):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # keep pytest output clean
            pass

        # -- plumbing -------------------------------------------------------------------------------------------
        def _record(self):
            hub.record(Request(server, self.command, self.path, {k.lower(): v for k, v in self.headers.items()}))

        def _send(self, status: int, headers: dict[str, str] | None = None, body: bytes = b""):
            self.send_response(status)
            headers = dict(headers or {})
            headers.setdefault("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            if self.command != "HEAD" and body:
                self.wfile.write(body)

        def _json(self, value, status: int = 200):
            self._send(status, {"Content-Type": "application/json"}, json.dumps(value).encode())

        def _error(self, status: int, code: str | None, message: str, extra: dict[str, str] | None = None):
            headers = {"Content-Type": "application/json", "X-Error-Message": message}
            if code:
                headers["X-Error-Code"] = code
            headers.update(extra or {})
            self._send(status, headers, json.dumps({"error": message}).encode())

        def _repo_error(self) -> bool:
            kind = hub.faults.repo_error
            if kind is None:
                return False
            if kind == "401":
                self._error(401, "RepoNotFound", "Invalid username or password.")
            elif kind == "404":
                self._error(404, "RepoNotFound", "Repository not found")
            elif kind == "gated":
                status = 403 if "authorization" in {k.lower() for k in self.headers.keys()} else 401
                self._error(status, "GatedRepo",
                            f"Access to model {REPO_ID} is restricted. You must have access to it and be authenticated to access it. Please log in.")
            return True

        # -- routes ---------------------------------------------------------------------------------------------
        def do_HEAD(self):
            self._route()

        def do_GET(self):
            self._route()

        def _route(self):
            self._record()
            parsed = urllib.parse.urlsplit(self.path)
            path = parsed.path
            if server == "cdn":
                return self._cdn(path)
            renamed = hub.faults.renamed
            if renamed and (path.startswith(f"/{renamed}/") or path.startswith(f"/api/models/{renamed}/")):
                # A renamed repository: a bare 307 (no hub headers) to the current name.
                target = path.replace(renamed, REPO_ID, 1) + (f"?{parsed.query}" if parsed.query else "")
                return self._send(307, {"Location": target})
            parts = path.split("/")
            if path.startswith("/api/models/") and len(parts) >= 7 and parts[5] in ("revision", "tree"):
                repo = self._repo(f"{parts[3]}/{parts[4]}")
                if repo is None:
                    return None
                rest = "/".join(parts[6:])
                return self._info(repo, rest) if parts[5] == "revision" else self._tree(repo, rest)
            if path.startswith("/api/resolve-cache/models/") and len(parts) >= 8:
                repo = self._repo(f"{parts[4]}/{parts[5]}")
                if repo is None:
                    return None
                commit, file = parts[6], urllib.parse.unquote("/".join(parts[7:]))
                files = repo[1].get(commit)
                if files is None or file not in files:
                    return self._error(404, "EntryNotFound", "Entry not found")
                data = files[file]
                return self._content(file, data, {"ETag": f'"{etag_of(file, data)}"', "X-Repo-Commit": commit})
            if len(parts) >= 6 and parts[3] == "resolve":
                repo = self._repo(f"{parts[1]}/{parts[2]}")
                if repo is None:
                    return None
                return self._resolve(repo, parts[4], urllib.parse.unquote("/".join(parts[5:])))
            self._send(404, {}, b"not found")

        def _repo(self, repo_id: str):
            """The repository, or None after answering an error (unknown repo or injected fault)."""
            if self._repo_error():
                return None
            repo = hub.repos.get(repo_id)
            if repo is None:
                self._error(401, "RepoNotFound", "Repository not found")
            return repo

        def _commit(self, repo, revision: str) -> str | None:
            return repo[0].get(urllib.parse.unquote(revision))

        def _info(self, repo, revision: str):
            commit = self._commit(repo, revision)
            if commit is None:
                return self._error(404, "RevisionNotFound", f"Invalid rev id: {urllib.parse.unquote(revision)}")
            blobs = "blobs=true" in urllib.parse.urlsplit(self.path).query.lower()
            repo_id = next(k for k, v in hub.repos.items() if v is repo)
            siblings = []
            for name, data in repo[1][commit].items():
                sibling = {"rfilename": name}
                if blobs:
                    sibling["size"] = len(data)
                    sibling["blobId"] = git_sha1(data)
                    if is_lfs(name):
                        sibling["lfs"] = {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data),
                                          "pointerSize": 134}
                siblings.append(sibling)
            self._json({"_id": "0" * 24, "id": repo_id, "modelId": repo_id, "author": repo_id.split("/")[0],
                        "sha": commit, "private": False, "gated": False, "disabled": False, "downloads": 0,
                        "likes": 0, "tags": [], "library_name": "transformers", "siblings": siblings,
                        "lastModified": "2026-01-01T00:00:00.000Z", "createdAt": "2026-01-01T00:00:00.000Z"})

        def _tree(self, repo, rest: str):
            commit = self._commit(repo, rest.split("/")[0])
            if commit is None:
                return self._error(404, "RevisionNotFound", "Invalid rev id")
            entries, folders = [], set()
            for name, data in repo[1][commit].items():
                parts = name.split("/")
                for i in range(1, len(parts)):
                    folder = "/".join(parts[:i])
                    if folder not in folders:
                        folders.add(folder)
                        entries.append({"type": "directory", "oid": git_sha1(folder.encode()), "size": 0,
                                        "path": folder})
                entry = {"type": "file", "oid": git_sha1(data), "size": len(data), "path": name}
                if is_lfs(name):
                    entry["lfs"] = {"oid": hashlib.sha256(data).hexdigest(), "size": len(data), "pointerSize": 134}
                entries.append(entry)
            self._json(entries)

        def _resolve(self, repo, revision: str, file: str):
            commit = self._commit(repo, revision)
            if commit is None:
                return self._error(404, "RevisionNotFound", "Invalid rev id")
            files = repo[1][commit]
            if file not in files:
                return self._error(404, "EntryNotFound", f"{file} does not exist on \"{revision}\"",
                                   {"X-Repo-Commit": commit})
            data = files[file]
            etag = etag_of(file, data)
            headers = {"X-Repo-Commit": commit, "X-Linked-Etag": f'"{etag}"', "X-Linked-Size": str(len(data)),
                       "ETag": f'"{etag}"', "Accept-Ranges": "bytes", "Vary": "Origin, Accept-Encoding"}
            repo_id = next(k for k, v in hub.repos.items() if v is repo)
            if is_lfs(file):
                headers["Location"] = f"{hub.cdn_url}/cdn/{etag}?sig=test&file={urllib.parse.quote(file, safe='')}"
                return self._send(302, headers)
            headers["Location"] = f"/api/resolve-cache/models/{repo_id}/{commit}/{urllib.parse.quote(file)}"
            self._send(307, headers)

        def _cdn(self, path: str):
            if not path.startswith("/cdn/"):
                return self._send(404, {}, b"not found")
            sha = path[len("/cdn/"):]
            for _, trees in hub.repos.values():
                for files in trees.values():
                    for name, data in files.items():
                        if is_lfs(name) and hashlib.sha256(data).hexdigest() == sha:
                            return self._content(name, data, {"ETag": f'"{sha}"'})
            self._send(404, {}, b"not found")

        def _content(self, name: str, data: bytes, headers: dict[str, str]):
            headers = dict(headers)
            headers["Accept-Ranges"] = "bytes"
            if name in hub.faults.corrupt:
                data = bytes(b ^ 0xFF for b in data[:64]) + data[64:]
            start = 0
            range_header = self.headers.get("Range")
            if range_header and not hub.faults.ignore_range and range_header.startswith("bytes="):
                first = range_header[len("bytes="):].split("-")[0]
                start = min(int(first or 0), len(data))
            body = data[start:]
            if start:
                headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            headers["Content-Length"] = str(len(body))
            self.send_response(206 if start else 200)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if self.command == "HEAD":
                return
            with hub.lock:
                drop = hub.faults.drop_after.pop(name, None)
            sent = 0
            limit = len(body) if drop is None else min(drop, len(body))
            try:
                while sent < limit:
                    piece = body[sent:min(sent + CHUNK, limit)]
                    self.wfile.write(piece)
                    self.wfile.flush()
                    sent += len(piece)
                    if hub.faults.chunk_delay:
                        time.sleep(hub.faults.chunk_delay)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True
                return
            if drop is not None:
                # Drop the connection mid-body.
                self.close_connection = True
                try:
                    import socket
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    return Handler


if __name__ == "__main__":  # a manual run: print the endpoint and serve until interrupted
    mock = MockHub()
    print(f"HF_ENDPOINT={mock.url} (CDN {mock.cdn_url}); repo {REPO_ID} @ {COMMIT}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        mock.close()
