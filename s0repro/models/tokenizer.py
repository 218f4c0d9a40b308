"""An offline character-level tokenizer with a Qwen-style chat template, for the tiny models.

Real runs use the hub tokenizer of the checkpoint. Tiny models need a tokenizer that exists without a hub, is
deterministic, and goes through the *same* code path (``apply_chat_template(..., enable_thinking=False)``, padding,
``decode``) as the real ones, so it is a ``PreTrainedTokenizerFast`` built from the ``tokenizers`` library.
Characters are the tokens: Python source of the tiny tasks is short, and a char vocabulary has no unknown words.
It is stored as the real Qwen tokenizers are, a byte-level BPE (space as ``Ġ``, newline as ``Ċ``), here with no merges,
so that ``AutoTokenizer`` loads it through the real classes (``Qwen3_5Tokenizer``, ``Qwen2Tokenizer``, or the generic
backend for Falcon-H1) and every class gives the same ids, one per character.
"""

from __future__ import annotations

import string

from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast
from transformers.convert_slow_tokenizer import bytes_to_unicode

PAD, EOS, UNK = "<|pad|>", "<|endoftext|>", "<|unk|>"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
THINK_START, THINK_END = "<think>", "</think>"
SPECIAL_TOKENS = [PAD, EOS, UNK, IM_START, IM_END, THINK_START, THINK_END]

# The same shape as Qwen3.5's template: thinking disabled renders an empty think block after the assistant header.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
    "{% if enable_thinking is defined and enable_thinking is false %}{{ '<think>\n\n</think>\n\n' }}{% endif %}"
    "{% endif %}"
)


def _alphabet() -> list[str]:
    """Printable ASCII plus newline and tab: everything a tiny code task can contain."""
    return sorted(set(string.printable) - {"\x0b", "\x0c", "\r"})


def build_char_tokenizer() -> PreTrainedTokenizerFast:
    """Build the char tokenizer; ids are stable (specials first, then sorted characters, each as its byte-level
    symbol)."""
    byte_symbol = bytes_to_unicode()
    vocab = {tok: i for i, tok in enumerate(SPECIAL_TOKENS)}
    for ch in _alphabet():
        vocab.setdefault(byte_symbol[ord(ch)], len(vocab))
    core = Tokenizer(models.BPE(vocab=vocab, merges=[], unk_token=UNK, fuse_unk=False))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    core.decoder = decoders.ByteLevel()
    core.add_special_tokens(SPECIAL_TOKENS)
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token=PAD,
        eos_token=EOS,
        unk_token=UNK,
        additional_special_tokens=[IM_START, IM_END, THINK_START, THINK_END],
        padding_side="left",
        model_max_length=4096,
    )
    tok.chat_template = CHAT_TEMPLATE
    return tok

