#!/usr/bin/env python3
"""Chat-template parity fixtures for LoomTemplates (Tests/Fixtures/templates/).

Renders every template of `Tests/Fixtures/templates/corpus/*.jinja` over a set of conversations, and a list of small
probe templates, with transformers' own machinery (`render_jinja_template`, i.e. the ImmutableSandboxedEnvironment of
`_compile_jinja_template` with AssistantTracker + loopcontrols, `tojson`, `raise_exception`, `strftime_now`, `dict`,
`namespace`), after `_normalize_chat_messages` as `apply_chat_template` does. `strftime_now` is frozen to NOW.

Writes `cases.jsonl` (corpus) and `probes.jsonl` (inline `source`). Each line:
  {"template", ["source"], "messages", "add_generation_prompt", "variables", "now", "output", "error", "generation"}
`generation` holds the `{% generation %}` spans as transformers reports them (Python str indices, i.e. Unicode scalar
offsets). `error` is "ExceptionType: message" where jinja2 raises (then `output` is null).

Run with the venv holding transformers 5.24.0 + jinja2 3.1.6 (no torch needed):
  /tmp/venv-data/bin/python tools/reference/make_template_fixtures.py
"""
import datetime as _dt
import json
import pathlib

import jinja2
import transformers
from transformers.utils import chat_template_utils as ctu

assert transformers.__version__ == "5.24.0", transformers.__version__
assert jinja2.__version__ == "3.1.6", jinja2.__version__

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "Fixtures" / "templates"
CORPUS = OUT / "corpus"

# strftime_now is frozen to this instant (naive datetime = the UTC wall clock of NOW); Swift passes the same Date.
NOW = 1772719629  # 2026-03-05T14:07:09Z


class _FrozenDatetime(_dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return _dt.datetime.fromtimestamp(NOW, _dt.timezone.utc).replace(tzinfo=None)


ctu.datetime = _FrozenDatetime


def render(source, messages, add_generation_prompt, variables):
    variables = dict(variables)
    tools = variables.pop("tools", None)
    documents = variables.pop("documents", None)
    try:
        chat = ctu._normalize_chat_messages(messages)
        rendered, indices = ctu.render_jinja_template(
            conversations=[chat], tools=tools, documents=documents, chat_template=source,
            return_assistant_tokens_mask=True, add_generation_prompt=add_generation_prompt, **variables)
        return rendered[0], None, [list(span) for span in indices[0]]
    except Exception as e:  # noqa: BLE001 — the error is the fixture
        return None, f"{type(e).__name__}: {e}", []


# ---------------------------------------------------------------- conversations

def img(**extra):
    return {"type": "image", **extra}


def vid(**extra):
    return {"type": "video", **extra}


def txt(text):
    return {"type": "text", "text": text}


def msg(role, content, **extra):
    return {"role": role, "content": content, **extra}


VLM_CONVERSATIONS = [
    [msg("user", [img(), txt("What is shown in this image?")])],
    [msg("user", [txt("Describe the two pictures."), img(), img()])],
    [msg("user", [img(), txt("What is it?")]), msg("assistant", [txt("A cat on a mat.")])],
    [msg("system", [txt("You are a helpful assistant.")]), msg("user", [img(), txt("Hi")]),
     msg("assistant", [txt("Hello!")]), msg("user", [txt("And now?"), img()])],
    [msg("user", [vid(), txt("What happens in the video?")])],
    [msg("user", [img(), vid(), txt("Compare the image and the video.")]), msg("assistant", [txt("They match.")])],
    [msg("user", [txt("")])],
    [msg("user", [txt("Ünïcödé — 日本語のテキスト 🙂"), img()]), msg("assistant", [txt("はい、わかりました。")])],
    [msg("user", [txt("line one\nline two\n\n  indented")]), msg("assistant", [txt("  spaced answer  \n")])],
    [msg("user", [img(), img(), img(), txt("Three views: which is different?")]),
     msg("assistant", [txt("The second."), txt(" It is rotated.")])],
    [msg("user", [img(url="https://example.com/a.jpg"), txt("With a url key")])],
    [msg("user", [{"type": "image_url", "image_url": {"url": "https://example.com/b.png"}}, txt("OpenAI part")])],
    [msg("user", [txt("Quotes: 'single' \"double\" {{ not jinja }} {% raw %}")])],
    [msg("user", [txt("first")]), msg("assistant", [txt("second")]), msg("user", [txt("third")]),
     msg("assistant", [txt("fourth")]), msg("user", [txt("fifth"), img()])],
    [msg("system", [txt("Answer briefly.")]), msg("user", [vid(), img(), txt("Frames and a photo.")])],
    [msg("user", [img(), txt("A")]), msg("assistant", [txt("")]), msg("user", [txt("B")])],
    [msg("user", "plain string content")],
    [],
]

TEXT_CONVERSATIONS = [
    [msg("user", "Hello!")],
    [msg("system", "You are a pirate."), msg("user", "Where is the treasure?")],
    [msg("user", "Hi"), msg("assistant", "Hello, how can I help?"), msg("user", "Tell me a joke.")],
    [msg("system", "Be concise."), msg("user", "2+2?"), msg("assistant", "4"), msg("user", "3+3?"),
     msg("assistant", "6")],
    [msg("user", "")],
    [msg("user", "Ünïcödé — 日本語 🙂 Ελληνικά"), msg("assistant", "Très bien — ありがとう")],
    [msg("user", "line one\nline two\n"), msg("assistant", "  padded  ")],
    [msg("user", "What is 1+1?"), msg("assistant", "<think>\nsimple\n</think>\n\nIt is 2.")],
    [msg("user", "Quotes ' \" and braces {{ x }} {% y %}")],
    [msg("assistant", "I start."), msg("user", "Odd order")],
    [msg("user", "one"), msg("user", "two")],
    [msg("system", "/no_think Keep it short."), msg("user", "Why is the sky blue?")],
    [msg("system", ""), msg("user", "empty system")],
    [msg("user", "a"), msg("assistant", "b"), msg("user", "c"), msg("assistant", "d"), msg("user", "e"),
     msg("assistant", "f"), msg("user", "g")],
    [msg("user", "None-valued key is dropped", name=None)],
    [msg("user", [txt("list content"), img()])],
    [],
]

WEATHER_TOOL = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "The city, e.g. Paris"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}}, "required": ["city"]}}}
SEARCH_TOOL = {"type": "function", "function": {
    "name": "search", "description": "Search the web — returns snippets.",
    "parameters": {"type": "object", "properties": {"query": {"type": "string"},
                                                    "limit": {"type": "integer", "default": 5}},
                   "required": ["query"]}}}


def tool_call(name, arguments, call_id="abc123XYZ", as_string=False):
    args = json.dumps(arguments, ensure_ascii=False) if as_string else arguments
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}


def tool_conversations(as_string):
    return [
        ([msg("user", "What's the weather in Paris?")], {"tools": [WEATHER_TOOL]}),
        ([msg("user", "Weather in Paris?"),
          {"role": "assistant", "content": None, "tool_calls": [tool_call("get_weather", {"city": "Paris", "unit": "celsius"}, as_string=as_string)]},
          {"role": "tool", "tool_call_id": "abc123XYZ", "content": "{\"temperature\": 21, \"sky\": \"clear\"}"},
          msg("assistant", "It is 21 °C and clear.")], {"tools": [WEATHER_TOOL, SEARCH_TOOL]}),
        ([msg("system", "You can call tools."), msg("user", "Search for llamas, 3 results"),
          {"role": "assistant", "content": "", "reasoning_content": "I should search.",
           "tool_calls": [tool_call("search", {"query": "llamas", "limit": 3}, "zzz999AAA", as_string)]},
          {"role": "tool", "tool_call_id": "zzz999AAA", "content": "llamas are camelids"}], {"tools": [SEARCH_TOOL]}),
        ([msg("user", "Two calls please"),
          {"role": "assistant", "content": "", "tool_calls": [tool_call("get_weather", {"city": "Oslo"}, "id0000001", as_string),
                                                              tool_call("get_weather", {"city": "Rome"}, "id0000002", as_string)]},
          {"role": "tool", "tool_call_id": "id0000001", "content": "cold"},
          {"role": "tool", "tool_call_id": "id0000002", "content": "warm"}], {"tools": [WEATHER_TOOL]}),
        ([msg("user", "Bad id"),
          {"role": "assistant", "content": "", "tool_calls": [tool_call("search", {"query": "x"}, "short", as_string)]}],
         {"tools": [SEARCH_TOOL]}),
    ]


SPECIAL = {
    "qwen": {"eos_token": "<|im_end|>", "pad_token": "<|endoftext|>"},
    "llama3": {"bos_token": "<|begin_of_text|>", "eos_token": "<|eot_id|>"},
    "mistral": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>"},
    "phi": {"bos_token": "<s>", "eos_token": "<|endoftext|>"},
    "deepseek": {"bos_token": "<｜begin▁of▁sentence｜>", "eos_token": "<｜end▁of▁sentence｜>"},
    "smol": {"bos_token": "<|im_start|>", "eos_token": "<end_of_utterance>", "pad_token": "<|im_end|>"},
    "llama2": {"bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<unk>"},
    "cohere": {"bos_token": "<BOS_TOKEN>", "eos_token": "<|END_OF_TURN_TOKEN|>", "pad_token": "<PAD>"},
}

DOCUMENTS = [{"title": "Tall penguins", "text": "Emperor penguins are the tallest — up to 1.2 m."},
             {"title": "Penguin habitats", "text": "Emperor penguins only live in Antarctica."}]

# name -> (conversation family, special tokens, tool arguments as JSON strings?, extra variable sets)
TEMPLATES = {
    "llava_interleave": ("vlm", "qwen", None, [{}]),
    "llava_interleave_earlier": ("vlm", "qwen", None, [{}]),
    "lmms_finetune": ("vlm", "qwen", None, [{}]),
    "llava_onevision": ("vlm", "qwen", None, [{}]),
    "qwen2_vl": ("vlm", "qwen", None, [{}, {"add_vision_id": True}]),
    "smolvlm": ("vlm", "smol", None, [{}]),
    "qwen15_chatml": ("text", "qwen", None, [{}]),
    "llava_next_qwen_reset": ("text", "qwen", None, [{}]),
    "phi_3_5_mini": ("text", "phi", None, [{}]),
    "deepseek_r1_distill_qwen": ("text", "deepseek", True, [{}]),
    "nemotron_super_llama33": ("text", "llama3", False, [{}]),
    "phi_4_mini": ("text", "phi", False, [{}]),
    "llama_3_2": ("text", "llama3", False, [{}, {"date_string": "01 Jan 2025", "tools_in_user_message": False}]),
    "mistral_nemo": ("text", "mistral", False, [{}]),
    "mistral_small_3_1": ("text", "mistral", False, [{}]),
    "command_r7b_tool_use": ("text", "cohere", False, [{}, {"enable_citations": True, "documents": DOCUMENTS}]),
    "llava_onevision_test": ("vlm", "qwen", None, [{}]),
    "idefics3": ("vlm", "smol", None, [{}]),
    "llava_next_vicuna": ("vlm", "llama2", None, [{}]),
}


def corpus_cases():
    cases = []
    for name, (family, special, tool_strings, extras) in TEMPLATES.items():
        source = (CORPUS / f"{name}.jinja").read_text(encoding="utf-8")
        conversations = [(c, {}) for c in (VLM_CONVERSATIONS if family == "vlm" else TEXT_CONVERSATIONS)]
        if tool_strings is not None:
            conversations += tool_conversations(tool_strings)
        for extra in extras:
            for messages, variables in conversations:
                for agp in (False, True):
                    v = {**SPECIAL[special], **extra, **variables}
                    out, err, gen = render(source, messages, agp, v)
                    cases.append({"template": name, "messages": messages, "add_generation_prompt": agp,
                                  "variables": v, "now": NOW, "output": out, "error": err, "generation": gen})
    return cases


# ---------------------------------------------------------------- probes

P = []


def probe(source, variables=None, messages=None, agp=False):
    P.append((source, variables or {}, messages or [], agp))


# printing of Python values
for s in ["{{ none }}", "{{ None }}", "{{ true }}", "{{ True }}", "{{ false }}", "{{ 42 }}", "{{ -7 }}", "{{ 1.0 }}",
          "{{ 1e20 }}", "{{ 1e15 }}", "{{ 1e16 }}", "{{ 1.5e-5 }}", "{{ 0.0001 }}", "{{ 0.1 + 0.2 }}", "{{ 2.5e3 }}",
          "{{ 1_000 }}", "{{ [1, 'a', none, true, 1.5] }}", "{{ {'a': 1, 'b': [2, 3], 'c': none} }}",
          "{{ \"it's\" }}", "{{ ['it\\'s', \"say \\\"hi\\\"\", 'back\\\\slash'] }}", "{{ ('tuple', 1) }}",
          "{{ (1,) }}", "{{ () }}", "{{ {} }}", "{{ [] }}", "{{ 'tab\\there' }}", "{{ ['new\\nline', 'é'] }}",
          "{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 6 / 3 }} {{ 2 ** 10 }}",
          "{{ 7.5 // 2 }} {{ 7.5 % 2 }} {{ 1 + 2.0 }} {{ 3 * 'ab' }} {{ 'ab' * 2 }} {{ [1] * 3 }}",
          "{{ 1 / 0 }}", "{{ 5 % 0 }}", "{{ 10 - 3 - 2 }} {{ 2 * 3 + 4 }} {{ 2 + 3 * 4 }} {{ (2 + 3) * 4 }} {{ -2 ** 2 }}"]:
    probe(s)
probe("{{ x }} {{ y }} {{ z }} {{ w }}", {"x": 1.5, "y": 3, "z": 1e20, "w": -0.25})
probe("{{ data }}", {"data": {"k": "v", "n": [1, 2.5, None, True], "nested": {"q": "it's"}}})
# and/or/not, ~, in, comparisons
for s in ["{{ 0 or 'x' }} {{ 'a' and 'b' }} {{ '' and 'b' }} {{ none or [] }} {{ not '' }} {{ not 'a' }}",
          "{{ 1 ~ 2 ~ 'x' ~ none ~ true }}", "{{ 'a' ~ [1, 2] }}", "{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }}",
          "{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1, 2] == [1, 2] }} {{ none == none }} {{ 1 != 2 }}",
          "{{ 1 < 'a' }}", "{{ 1 + 'a' }}", "{{ 'a' + 1 }}", "{{ 'a' + none }}", "{{ [1] + [2, 3] }}", "{{ 'x' if true }}|{{ 'x' if false }}|{{ 'a' if 0 else 'b' }}",
          "{{ true and 1 }} {{ false or 0 }} {{ 1 and none }}", "{{ -(3) }} {{ +4 }} {{ not none }}"]:
    probe(s)
# strings
for s in ["{{ '  hi  '.strip() }}|{{ 'xxhixx'.strip('x') }}|{{ '  hi '.lstrip() }}|{{ ' hi  '.rstrip() }}|",
          "{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'abc'.split('') }}",
          "{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }}",
          "{{ 'Hello World'.upper() }} {{ 'Hello World'.lower() }} {{ 'hello wORLD foo-bar'.title() }} {{ 'hello World'.capitalize() }}",
          "{{ 'aaa'.replace('a', 'b') }} {{ 'aaa'.replace('a', 'b', 2) }} {{ 'abc'.find('c') }} {{ 'abcabc'.count('b') }}",
          "{{ '{} and {}'.format('x', 1) }}", "{{ 'abc'[0] }} {{ 'abc'[-1] }} {{ 'abcdef'[1:4] }} {{ 'abcdef'[::-1] }} {{ 'abcdef'[::2] }}",
          "{{ 'abc'[5] }}", "{{ 'x'.join(['a', 'b']) }} {{ 'AbC'.swapcase() }} {{ 'abc'.isdigit() }} {{ '12'.isdigit() }}",
          "{{ 'a-b'.partition('-') }} {{ 'a.b.c'.rsplit('.', 1) }} {{ 'ab'.ljust(4) }}|{{ 'ab'.center(6, '*') }}",
          "{{ 'abc'.splitlines() }} {{ 'a\\nb\\r\\nc'.splitlines() }} {{ 'ab'.zfill(5) }} {{ 'Ab'.islower() }} {{ 'ab '.isspace() }}",
          "{{ 'hello'.removeprefix('he') }} {{ 'hello'.removesuffix('lo') }} {{ 'a\\tb'.expandtabs(4) }}",
          "{{ s[0] }}|{{ s | length }}|{{ s[1:] }}|{{ s | upper }}", ]:
    probe(s, {"s": "日本語🙂"})
# dicts
for s in ["{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "{{ d.keys() | list }} {{ d.values() | list }}",
          "{{ d.get('a') }} {{ d.get('zz') }} {{ d.get('zz', 'dflt') }} {{ d['b'] }} {{ d.b }}",
          "{{ d.zz }}|{{ d['zz'] }}|{{ d.zz is defined }}", "{{ d.zz.yy }}", "{{ d | length }} {{ 'a' in d }}",
          "{% for k in d %}{{ k }}{% endfor %}", "{{ d | dictsort }}", "{{ d | items | list }}",
          "{{ d.items() | list }}", "{{ d.update({'x': 1}) }}", "{{ d.pop('a') }}", "{{ d.setdefault('q', 1) }}",
          "{{ dict(a=1, b='x') }} {{ dict(d, c=3) }} {{ dict.fromkeys(['x', 'y'], 0) }}", "{{ d.copy() }}"]:
    probe(s, {"d": {"b": 2, "a": 1, "c": [1, 2]}})
# lists
for s in ["{{ l[0] }} {{ l[-1] }} {{ l[1:3] }} {{ l[::-1] }} {{ l[::2] }} {{ l[-2:] }} {{ l[:-3] }} {{ l[10:] }} {{ l[-1:0:-2] }}",
          "{{ l[10] }}|{{ l[10] is defined }}", "{{ l.append(5) }}", "{{ l.pop() }}", "{{ l.index(3) }} {{ l.count(2) }}",
          "{% set m = l + [9] %}{{ m }} {{ l }}", "{{ l | length }} {{ l | count }} {{ l | first }} {{ l | last }} {{ l | sum }} {{ l | max }} {{ l | min }}",
          "{{ l | join(', ') }} {{ l | join }} {{ l | reverse | list }} {{ l | sort(reverse=true) }} {{ l | unique | list }}",
          "{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'a'] | sort }} {{ ['b', 'A', 'a'] | sort(case_sensitive=true) }}",
          "{{ l | map('string') | join('-') }} {{ l | select('odd') | list }} {{ l | reject('even') | list }} {{ l | batch(2) | list }}",
          "{{ [] | first }}|{{ [] | last }}|{{ [] | join(',') }}|{{ [] | length }}", "{{ l.sort() }}"]:
    probe(s, {"l": [4, 1, 3, 2, 2]})
# loops
for s in ["{% for x in xs %}{{ loop.index }}/{{ loop.index0 }}/{{ loop.revindex }}/{{ loop.revindex0 }}/{{ loop.first }}/{{ loop.last }}/{{ loop.length }};{% endfor %}",
          "{% for x in xs %}[{{ loop.previtem }}|{{ loop.nextitem }}]{% endfor %}",
          "{% for x in xs %}{% for y in xs %}{{ loop.index }}{% endfor %}:{{ loop.index }} {% endfor %}",
          "{% for x in xs %}{% if x == 'b' %}{% break %}{% endif %}{{ x }}{% endfor %}",
          "{% for x in xs %}{% if x == 'b' %}{% continue %}{% endif %}{{ x }}{% endfor %}",
          "{% for x in xs if x != 'a' %}{{ loop.index }}{{ x }}{% endfor %}",
          "{% for x in [] %}x{% else %}empty{% endfor %}", "{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}",
          "{% for x in xs %}{{ loop.cycle('odd', 'even') }}{% endfor %}", "{% for x in xs %}{{ loop.depth }}{% endfor %}",
          "{% set c = 0 %}{% for x in xs %}{% set c = c + 1 %}{% endfor %}{{ c }}",
          "{% set ns = namespace(c=0, s='') %}{% for x in xs %}{% set ns.c = ns.c + 1 %}{% set ns.s = ns.s ~ x %}{% endfor %}{{ ns.c }}{{ ns.s }}",
          "{% set ns = namespace() %}{% set ns.v = 3 %}{{ ns.v }} {{ ns.missing }}|",
          "{% set ns = namespace(_x=1) %}", "{% set ns = namespace() %}{% set ns._x = 1 %}",
          "{% for i in range(3) %}{{ i }}{% endfor %} {{ range(2, 10, 3) | list }} {{ range(5, 0, -2) | list }}",
          "{{ range(100001) | length }}", "{{ range(100000) | length }}", "{% for x in 'ab' %}{{ x }}{% endfor %}",
          "{% for k, v in {'a': 1}.items() %}{{ k }}{{ v }}{% endfor %}", "{% for x in 5 %}{% endfor %}",
          "{% for x in xs %}{{ x }}{% endfor %}{{ x }}", "{% for x in xs recursive %}{{ x }}{% endfor %}"]:
    probe(s, {"xs": ["a", "b", "c"]})
# set / scoping / macros / blocks
for s in ["{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}",
          "{% set a, b = 1, 2 %}{{ a }}{{ b }}", "{% set t %}captured {{ 1 + 1 }}{% endset %}[{{ t }}]",
          "{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bob', greeting='Hi') }}",
          "{% macro m(a) %}{{ a }}{{ b }}{% endmacro %}{% set b = 'B' %}{{ m(1) }}",
          "{% macro m() %}{{ caller() }}!{% endmacro %}{% call m() %}inside{% endcall %}",
          "{% filter upper %}shout {{ 'this' }}{% endfilter %}", "{% raw %}{{ not rendered }}{% endraw %}",
          "{# comment #}a{# another\nmultiline #}b", "{% if x is defined %}d{% elif y %}y{% else %}u{% endif %}",
          "{% with q = 5 %}{{ q }}{% endwith %}{{ q }}|", "{% generation %}gen{% endgeneration %} plain {% generation %}{{ 'ü' }}two{% endgeneration %}",
          "é{% generation %}{% for i in range(2) %}{{ i }}{% endfor %}{% endgeneration %}{% generation %}{% endgeneration %}"]:
    probe(s, {"y": 1})
# filters
for s in ["{{ '  x  ' | trim }}|{{ 'xxaxx' | trim('x') }}|{{ 'aBc' | upper }} {{ 'aBc' | lower }} {{ 'hello world' | title }} {{ 'hELLO' | capitalize }}",
          "{{ u | default('d') }} {{ none | default('d') }} {{ '' | default('d', true) }} {{ 0 | default(5) }} {{ u | d('dd') }}",
          "{{ ms | selectattr('role', 'equalto', 'user') | list | length }} {{ ms | rejectattr('role', 'equalto', 'user') | map(attribute='content') | list }}",
          "{{ ms | selectattr('name', 'defined') | map(attribute='name') | join }} {{ ms | selectattr('name', 'undefined') | list | length }}",
          "{{ ms | selectattr('content', 'none') | list | length }} {{ ms | selectattr('content', 'string') | list | length }}",
          "{{ ms | selectattr('role') | list | length }} {{ ms | map(attribute='missing', default='m') | list }}",
          "{{ ms | selectattr('content', 'mapping') | list }} {{ ms | selectattr('content', 'iterable') | list | length }}",
          "{{ ms | selectattr('role', 'eq', 'assistant') | list }} {{ ms | selectattr('role', 'in', ['user']) | list | length }}",
          "{{ ms[0] | tojson }}|{{ ms[0] | tojson(indent=2) }}|{{ {'a': [1, {'b': 'é\"\\\\'}], 'n': none, 't': true, 'f': 1.5} | tojson }}",
          "{{ 'x' | tojson }} {{ 1 | tojson }} {{ none | tojson }} {{ [1, [2, []], {}] | tojson(indent=4) }} {{ '\\u2028\\x7f\\x01' | tojson }}",
          "{{ 3 | string }} {{ 2.5 | string }} {{ none | string }} {{ [1] | string }} {{ '3' | int + 1 }} {{ '2.5' | float }} {{ 'x' | int }} {{ 3.9 | int }} {{ '0x1A' | int(0, 16) }}",
          "{{ -3 | abs }} {{ 2.567 | round(2) }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.4 | round(0, 'ceil') }} {{ 7 | float }} {{ 'ab' | list }}",
          "{{ 'a b  c' | wordcount }} {{ 'aaa' | replace('a', 'b') }} {{ 'x' | center(5) }}| {{ 'hello' | truncate(3) }} {{ '%s=%d' | format('a', 3) }}",
          "{{ [{'n': 2}, {'n': 1}] | sort(attribute='n') | map(attribute='n') | list }} {{ [1, 2, 3] | map('string') | list }}",
          "{{ ['a', 'b'] | map('upper') | list }} {{ 'abc' | reverse }} {{ [1, 2] | reverse | list }} {{ {'b': 1, 'a': 2} | dictsort(reverse=true) }}",
          "{{ [3, 1] | unique | list }} {{ ['a', 'A'] | unique | list }} {{ u | length }}",
          "{{ 'abc' | first }} {{ 'abc' | last }} {{ 'hi' | indent(2) }} {{ 'a\\nb' | indent(2, true) }}", "{{ [1, 2] | join(attribute='x') }}",
          "{{ 'x' | nosuchfilter }}", "{{ x is nosuchtest }}", "{{ 1 | first }}"]:
    probe(s, {"ms": [{"role": "user", "content": "hi", "name": "ann"}, {"role": "assistant", "content": None},
                     {"role": "user", "content": {"k": 1}}]})
# tests
for s in ["{{ 1 is number }} {{ 1.5 is number }} {{ true is number }} {{ 'a' is string }} {{ none is none }} {{ u is undefined }} {{ u is defined }}",
          "{{ {} is mapping }} {{ [] is sequence }} {{ 'a' is sequence }} {{ {} is sequence }} {{ 'a' is iterable }} {{ 1 is iterable }}",
          "{{ true is true }} {{ 1 is true }} {{ false is false }} {{ 0 is false }} {{ true is boolean }} {{ 1 is integer }} {{ 1.0 is float }} {{ 1.0 is integer }}",
          "{{ 2 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 1 is eq 1 }} {{ 1 is equalto 2 }} {{ 2 is gt 1 }} {{ 2 is ge 3 }} {{ 1 is lt 2 }} {{ 'a' is in 'abc' }} {{ 'a' is lower }} {{ 'A' is upper }}",
          "{{ 1 is not none }} {{ none is not defined }} {{ u is not defined }} {{ 'x' is callable }} {{ range is callable }} {{ 1 is sameas 1 }} {{ 'abc' is ne 'x' }}"]:
    probe(s)
# undefined behaviour and sandbox
for s in ["[{{ u }}]", "[{{ u.attr }}]", "{{ u + 1 }}", "{{ u ~ 'x' }}", "{{ u | list }}", "{% for x in u %}{% endfor %}ok",
          "{% if u %}t{% else %}f{% endif %}", "{{ u == none }} {{ u is none }}", "{{ u['k'] }}", "{{ u() }}",
          "{{ 'x'.__class__ }}", "{{ d._private }}", "{{ d['_private'] }}", "{{ ''.__len__() }}",
          "{{ raise_exception('Custom failure: ' ~ 42) }}", "{{ raise_exception() }}", "{{ strftime_now('%Y-%m-%d %H:%M:%S %a %A %b %B %d %j %p %I %y %%') }}",
          "{{ strftime_now('%-d %e') }}", "{{ namespace(a=1).a }}",
          "{{ messages }}|{{ add_generation_prompt }}|{{ tools }}|{{ documents }}", "{{ 1 }", "{% if %}", "{% endfor %}",
          "{% for x in y %}", "{{ 'unterminated }}", "{% nosuchtag %}", "{{ a.b.c }}"]:
    probe(s, {"d": {"_private": 1}}, [{"role": "user", "content": "x"}], True)
# whitespace control
for s in ["a\n{% if true %}\nb\n{% endif %}\nc\n", "a  {%- if true -%}  b  {%- endif -%}  c", "  {% if true %}x{% endif %}\n",
          "  {%+ if true %}x{% endif %}\n", "x\n  {%- if true %}y{% endif +%}\nz", "{{- ' a ' -}}\n\n{{ 'b' }}  \n",
          "line\n    {# c #}\nnext", "a {{- 'b' }} c", "a\r\nb\rc\n", "{% for i in range(2) %}\n  {{ i }}\n{% endfor %}\n",
          "{{ 'keep' }}\n\n", "  {{ 'expr' }}\n  text\n", "{% raw -%}  x  {%- endraw %}", "\t{% if true %}\t\n{% endif %}|",
          "{% set x = 1 -%}\n\n  {{ x }}", "{%- if true %}\n\n{% endif -%}\nend", "{{ 'a' }}{#- c -#}  {{ 'b' }}"]:
    probe(s)
# string literals and escapes
for s in ["{{ 'a\\nb' }}|{{ \"tab\\tx\" }}|{{ 'uni\\u00e9\\x41' }}|{{ 'q\\'s' }}|{{ 'back\\\\' }}|{{ 'lit\\q' }}",
          "{{ 'line\\\ncontinued' }}", "{{ \"a\" \"b\" }}", "{{ 'abc' is string and 'abc'|length > 2 }}",
          "{{ [1, 2][0] }} {{ {'a': {'b': [10, 20]}}['a']['b'][1] }} {{ {'a': 1}.a }}", "{{ (1, 2)[1] }} {{ 10 if 1 else 20 }}",
          "{{ x | default('dx') ~ (y if y is defined else 'noy') }}"]:
    probe(s)

# more probes: numbers, formatting, scoping, macros, whitespace, generation spans
for s in ["{{ 0.1 * 3 }} {{ 1 / 3 }} {{ 2 / 3 }} {{ 123456789.123456789 }} {{ 1e-7 }} {{ -0.0 }} {{ 5e-324 }} {{ 1.7976931348623157e308 }}",
          "{{ 100.0 }} {{ 1e22 }} {{ 12345678901234567.0 }} {{ 1.5e300 * 1e300 }} {{ -1.5e300 * 1e300 }} {{ 0.000123 }} {{ 123e-10 }}",
          "{{ '%.2f' | format(3.14159) }} {{ '%5s|%-5s|' % ('a', 'b') }} {{ '%s' % none }} {{ '%d%%' % 50 }} {{ '%r' % 'q' }}",
          "{{ [1, 2, 3] | sum }} {{ [0.1, 0.2] | sum }} {{ [{'n': 1}, {'n': 2}] | sum(attribute='n') }}",
          "{{ 'a' < 'B' }} {{ {'a': 1} == {'a': 1} }} {{ [1, 2] < [1, 3] }} {{ 3 in [1, 2, 3.0] }} {{ true + 1 }} {{ true ~ '' }}",
          "{{ 7 // -2 }} {{ -7 % -3 }} {{ 7.0 % -3 }} {{ -7.5 // 2 }} {{ 2 ** 62 }} {{ 10 / 3 * 3 }} {{ 2 ** -2 }}",
          "{{ 0.5 | round }} {{ 1.5 | round }} {{ 2.675 | round(2) }} {{ -2.5 | round }} {{ 2.5 | round(0, 'floor') }} {{ 7 | round }}",
          "{{ 'a' | int }} {{ '12abc' | int(-1) }} {{ '3.7' | int }} {{ ' 42 ' | int }} {{ true | int }} {{ '1e3' | float }} {{ 'x' | float }}",
          "{% set x = namespace(items=[]) %}{% set x.items = x.items + [1] %}{% set x.items = x.items + [2] %}{{ x.items }}",
          "{% macro m() %}{{ caller(1, 2) }}{% endmacro %}{% call(a, b) m() %}{{ a + b }}{% endcall %}",
          "{% macro f(a, b=a * 2) %}{{ a }}-{{ b }}{% endmacro %}{{ f(2) }} {{ f(2, 5) }} {{ f(b=1, a=3) }}",
          "{% macro f(a) %}{{ a }}{% endmacro %}{{ f(1, 2) }}",
          "[{{ loop }}]{% for x in xs %}{{ loop.length }}{% for y in [1] %}{{ loop.depth }}{{ loop.depth0 }}{% endfor %}{% endfor %}",
          "{% for k, v in d | dictsort %}{{ k }}{{ v }}{% endfor %} {{ d | dictsort(by='value') }} {{ d | dictsort(reverse=true) }}",
          "{{ 'abc' | replace('', '-') }} {{ '  '.join(['a', 'b']) }} {{ 'a\u00a0b\u3000c'.split() }} {{ '\u00e9' == 'e\u0301' }} {{ 'ß'.upper() }}",
          "{{ 'abc' | center(9) }}| {{ 'hello world foo' | truncate(9) }} {{ 'hello world foo' | truncate(9, true) }} {{ 'x' | indent(4, true) }}",
          "{{ [1, [2, 3]] | length }} {{ range(3) | list | reverse | list }} {{ {'b': 1, 'a': 2} | items | list }} {{ 'abc' | list | join('-') }}",
          "{% set l = [3, 1, 2] %}{{ l | sort | first }} {{ l | max }} {{ l | min }} {{ ['b', 'A'] | max }} {{ [] | max }}|",
          "{{ 1 is sameas true }} {{ 'A'.lower() is lower }} {{ 9 is divisibleby(3) }} {{ 5 is gt(3) }} {{ none is sameas none }}",
          "{% set x | trim %}  padded  {% endset %}[{{ x }}] {{ [5, 6].1 }} {{ 'ab'.0 }}",
          "{{ 'a'.__len__ }}|{{ xs.__class__ }}|{{ xs[0].__class__ }}|",
          "{% for x in {'a': 1, 'b': 2} %}{{ x }}{% endfor %} {{ xs | map('upper') | join }} {{ xs | select('equalto', 'b') | list }}",
          "{{ x | tojson }} {{ x | tojson(indent=1) }}",
          "{{ x | tojson(ensure_ascii=true) }} {{ 'é🙂\x7f' | tojson(true) }} {{ x | tojson(separators=(',', ':')) }} {{ d | tojson(sort_keys=true) }}",
          "{{ x | tojson(false, 2) }} {{ [x, d] | tojson(indent=2, separators=(', ', ' = ')) }} {{ d | tojson(ensure_ascii=false, sort_keys=true, indent=0) }}", "{{ x.k }} {{ x.k | string }} {{ x.l | list }}",
          "{{ '{0}-{1}-{0}'.format('a', 'b') }} {{ '{name}!'.format(name='n') }} {{ '{{}}'.format() }}",
          "{{ 'Hello'[1:] ~ 'x' }} {{ 'abc'[-10:10] }} {{ 'abcdef'[-2::-2] }} {{ [1, 2, 3, 4][::-2] }} {{ [1, 2, 3][5:1:-1] }}",
          "{{ messages | map(attribute='role') | join(',') }} {{ messages[-1].content }} {{ messages[0]['missing'] | default('none') }}",
          "{% if messages[0].content is string %}s{% endif %} {{ 'a' if messages else 'b' }} {{ (messages | length) > 0 }}",
          "{%- for x in [1, 2] -%}\n  {{ x }}\n{%- endfor %}", "{% for x in [1, 2] %}\n{{ x }}\n{% endfor %}",
          "abc  {% if true %}x{% endif %}\n  {% if true %}y{% endif %}  \n", "{% if true %}\r\nA\r\n{% endif %}\r\n\r\n",
          "{#- c -#}\n\n  {{- 'x' }}  {#- c #}  \n  {%- if true +%}\n  y\n{%+ endif %}", "a\n  {%- raw %}  r  {% endraw -%}\n  b",
          "{% macro g() %}<{% generation %}in{{ caller() if caller is defined else '' }}{% endgeneration %}>{% endmacro %}ab{{ g() }}{% generation %}x{% endgeneration %}",
          "{% set s %}q{% generation %}zz{% endgeneration %}{% endset %}{{ s }}{% for i in range(2) %}{% generation %}{{ i }}é{% endgeneration %}{% endfor %}",
          "{% generation %}a{% generation %}b{% endgeneration %}c{% endgeneration %}",
          "{% filter upper %}{% generation %}gen{% endgeneration %}{% endfilter %}{% generation %}{% endgeneration %}"]:
    probe(s, {"xs": ["a", "b"], "d": {"b": 1, "a": 2, "C": 0}, "x": {"a": 1.5e-7, "b": "\u0000\u001f\"é", "k": None, "l": [True, None]}},
          [{"role": "system", "content": "sys"}, {"role": "user", "content": "last"}], True)

# constructs of widely used hub templates (Qwen2.5/Qwen3, Gemma 3, Llama 3.1) on a tool-calling conversation
CHAT = [{"role": "system", "content": "You are Qwen."}, {"role": "user", "content": "Weather?"},
        {"role": "assistant", "content": "<think>\nlet me call\n</think>\n\nCalling.", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "n": 2}}}]},
        {"role": "tool", "content": "<tool_response>sunny</tool_response>"},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "  and this?  "}]}]
for s in ["{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}{%- for message in messages[::-1] %}{%- set index = (messages|length - 1) - loop.index0 %}{%- if ns.multi_step_tool and message.role == 'user' and message.content is string and not(message.content.startswith('<tool_response>') and message.content.endswith('</tool_response>')) %}{%- set ns.multi_step_tool = false %}{%- set ns.last_query_index = index %}{%- endif %}{%- endfor %}{{ ns.last_query_index }}",
          "{%- for m in messages if m.role == 'assistant' %}{%- set content = m.content %}{%- if '</think>' in content %}{%- set reasoning_content = content.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') %}{%- set content = content.split('</think>')[-1].lstrip('\\n') %}{%- endif %}[{{ reasoning_content }}|{{ content }}]{%- endfor %}",
          "{%- for m in messages %}{%- for tool_call in m.tool_calls | default([]) %}{%- if tool_call.function is defined %}{%- set tool_call = tool_call.function %}{%- endif %}{{- '<tool_call>\\n{\"name\": \"' }}{{- tool_call.name }}{{- '\", \"arguments\": ' }}{%- if tool_call.arguments is string %}{{- tool_call.arguments }}{%- else %}{{- tool_call.arguments | tojson }}{%- endif %}{{- '}\\n</tool_call>' }}{%- endfor %}{%- endfor %}",
          "{%- for message in messages %}{%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{%- endif %}{%- endfor %}",
          "{%- for message in messages[1:] %}{%- set role = 'model' if message['role'] == 'assistant' else message['role'] %}{{ '<start_of_turn>' + role + '\\n' + ('PREFIX ' if loop.first else '') }}{%- if message['content'] is string %}{{ message['content'] | trim }}{%- elif message['content'] is iterable %}{%- for item in message['content'] %}{%- if item['type'] == 'image' %}{{ '<start_of_image>' }}{%- elif item['type'] == 'text' %}{{ item['text'] | trim }}{%- endif %}{%- endfor %}{%- endif %}{{ '<end_of_turn>\\n' }}{%- endfor %}",
          "{{- 'Tools: ' + builtin_tools | reject('equalto', 'code_interpreter') | join(', ') + '\\n\\n' }}{{ messages[2].tool_calls|length }} {{ messages[2].tool_calls[0].function.arguments | tojson }} {{ messages[-1].content[1].text | trim }}",
          "{%- if messages[0].content is not string %}ns{% else %}s{% endif %} {{ messages | selectattr('tool_calls', 'defined') | list | length }} {{ messages | rejectattr('content', 'string') | map(attribute='role') | first }}",
          "{%- for message in messages %}{{ loop.index0 }}{{ message.role[0] }}{% if not loop.last %},{% endif %}{%- endfor %}{{ messages[0]['content'][:3] }}"]:
    probe(s, {"builtin_tools": ["brave_search", "code_interpreter", "wolfram_alpha"]}, CHAT, True)


def probe_cases():
    cases = []
    for i, (source, variables, messages, agp) in enumerate(P):
        out, err, gen = render(source, messages, agp, variables)
        cases.append({"template": f"probe{i:03d}", "source": source, "messages": messages, "add_generation_prompt": agp,
                      "variables": variables, "now": NOW, "output": out, "error": err, "generation": gen})
    return cases


def write(path, cases):
    with open(path, "w", encoding="utf-8") as f:
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    corpus = corpus_cases()
    probes = probe_cases()
    write(OUT / "cases.jsonl", corpus)
    write(OUT / "probes.jsonl", probes)
    for name in TEMPLATES:
        rows = [c for c in corpus if c["template"] == name]
        print(f"{name:28s} {len(rows):3d} cases, {sum(c['error'] is not None for c in rows):2d} errors")
    print(f"corpus: {len(corpus)} cases; probes: {len(probes)} ({sum(c['error'] is not None for c in probes)} errors)")
