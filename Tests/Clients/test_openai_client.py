"""The real `openai` client against `loom serve`: answers equal `loom generate`'s, streams equal non-streamed
answers, logprobs and usage are right, concurrent clients never get each other's answers."""
import base64
import concurrent.futures
import time

import openai
import pytest

from conftest import API_KEY, IMAGES, loom_generate


def client(server) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key=API_KEY, max_retries=0, timeout=120)


def data_url(name: str) -> str:
    kind = "png" if name.endswith(".png") else "jpeg"
    return f"data:image/{kind};base64," + base64.b64encode((IMAGES / name).read_bytes()).decode()


def image_part(server, name: str, how: str) -> dict:
    url = data_url(name) if how == "data" else f"file://{server.media / name}"
    return {"type": "image_url", "image_url": {"url": url}}


CASES = [
    (["coffee.jpg"], "What is in the picture?"),
    (["chelsea.jpg", "rocket.jpg"], "What differs between them?"),
    (["astronaut.jpg", "camera.png", "coffee.jpg"], "Which one is odd?"),
]


@pytest.mark.parametrize("images,question", CASES)
def test_answers_equal_loom_generate(server, images, question):
    reference = loom_generate(question, images, max_tokens=12, logprobs=2)
    content = [image_part(server, name, "data" if i % 2 == 0 else "file") for i, name in enumerate(images)]
    content.append({"type": "text", "text": question})
    messages = [{"role": "user", "content": content}]
    answer = client(server).chat.completions.create(model="tiny", messages=messages, max_tokens=12, temperature=0,
                                                   logprobs=True, top_logprobs=2)
    choice = answer.choices[0]
    assert choice.message.content == reference["text"]
    assert answer.usage.prompt_tokens == len(reference["prompt_token_ids"])
    assert answer.usage.completion_tokens == len(reference["token_ids"])
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens
    assert choice.finish_reason == ("length" if reference["finish_reason"] == "length" else "stop")
    entries = choice.logprobs.content
    assert len(entries) == len(reference["logprobs"])
    for entry, expected in zip(entries, reference["logprobs"]):
        assert abs(entry.logprob - expected["logprob"]) <= 1e-3
        assert [abs(a.logprob - b["logprob"]) <= 1e-3 for a, b in zip(entry.top_logprobs, expected["top"])] == [True, True]
    # Each entry's bytes are the token's raw bytes: together they are the answer.
    assert bytes(b for entry in entries for b in entry.bytes).decode("utf-8", "replace") == reference["text"]

    chunks = list(client(server).chat.completions.create(model="tiny", messages=messages, max_tokens=12, temperature=0,
                                                        stream=True, stream_options={"include_usage": True}))
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == reference["text"]
    assert chunks[-1].usage.completion_tokens == len(reference["token_ids"])
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == choice.finish_reason


def test_models_and_completions(server):
    models = client(server).models.list()
    assert [m.id for m in models.data] == ["tiny"]
    completion = client(server).completions.create(model="tiny", prompt="<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                                                  max_tokens=5, temperature=0, logprobs=2)
    assert completion.usage.completion_tokens == len(completion.choices[0].logprobs.tokens)
    assert "".join(completion.choices[0].logprobs.tokens) == completion.choices[0].text
    several = client(server).chat.completions.create(model="tiny", messages=[{"role": "user", "content": "Count"}], max_tokens=6,
                                                    temperature=1.0, seed=3, n=3)
    assert [c.index for c in several.choices] == [0, 1, 2]
    assert 3 <= several.usage.completion_tokens <= 18


def solo(server, case: int) -> str:
    images = ["coffee.jpg", "chelsea.jpg", "astronaut.jpg", "rocket.jpg", "camera.png"]
    content = [image_part(server, images[case % 5], "data"), {"type": "text", "text": "Describe it" + " please" * (case % 4)}]
    if case % 3 == 0:
        content.insert(1, image_part(server, images[(case + 1) % 5], "file"))
    return content


def test_no_crossed_answers(server):
    """32 concurrent clients, different images and lengths, greedy and seeded sampling, some hanging up mid-stream:
    each one that stays gets exactly its solo answer, and every KV reservation is freed."""
    def ask(case: int, stream: bool, hang_up: bool = False) -> str:
        arguments = dict(model="tiny", messages=[{"role": "user", "content": solo(server, case)}], max_tokens=6 + case % 7,
                         temperature=0 if case % 2 == 0 else 0.8, seed=case)
        if not stream:
            return client(server).chat.completions.create(**arguments).choices[0].message.content
        text, events = "", client(server).chat.completions.create(stream=True, **arguments)
        for index, chunk in enumerate(events):
            if hang_up and index == 2:
                events.close()
                return None
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
        return text

    expected = [ask(case, stream=False) for case in range(32)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(ask, case, case % 2 == 1, case % 8 == 5) for case in range(32)]
        try:
            answers = [f.result(timeout=300) for f in futures]
        except Exception:
            print("".join(server.log[-400:]))
            raise
    for case, (answer, want) in enumerate(zip(answers, expected)):
        if case % 8 == 5:
            continue
        assert answer == want, f"client {case} got another answer"
    deadline = time.time() + 30
    while server.metric("loom_kv_reserved_bytes") != 0 and time.time() < deadline:
        time.sleep(0.1)
    assert server.metric("loom_kv_reserved_bytes") == 0
    assert server.metric("loom_requests_running") == 0
