"""From a raw completion to the text that is executed or scored; the raw text is always kept beside it.

The paper strips think tags and code fences, nothing more (``mode="paper"``, our default). That choice matters: the
paper suggests much of S0's gain may be output-format steering, so format failures must stay visible as failures
rather than be repaired here. ``mode="evalplus"`` additionally runs evalplus's tree-sitter sanitizer when the
completion defines the entry point itself (a whole function, possibly with chatter around it), which is the case it
was written for.
"""

from __future__ import annotations

import re

THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL)
FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL)
END_MARKERS = ("<|im_end|>", "<|endoftext|>", "<|eot_id|>")


def strip_think(text: str) -> str:
    """Drop ``<think>...</think>`` blocks; an unclosed block means the rest was thinking, a stray close ends it."""
    text = THINK_BLOCK.sub("", text)
    if "</think>" in text:
        text = text.rsplit("</think>", 1)[1]
    if "<think>" in text:
        text = text.split("<think>", 1)[0]
    return text


def strip_fences(text: str) -> str:
    """The content of the first fenced block if there is one (an unclosed fence runs to the end), else the text."""
    match = FENCE.search(text)
    return match.group(2) if match else text


def strip_end_markers(text: str) -> str:
    for marker in END_MARKERS:
        text = text.split(marker, 1)[0]
    return text


def sanitize(raw: str, *, kind: str = "code", entry_point: str = "", mode: str = "paper") -> str:
    """The completion to run/score. ``kind`` is the task kind; code keeps its indentation, answers are stripped."""
    text = strip_fences(strip_think(strip_end_markers(raw)))
    if kind != "code":
        return text.strip()
    text = text.strip("\n")
    if mode == "evalplus" and entry_point and re.search(rf"^def\s+{re.escape(entry_point)}\s*\(", text, re.M):
        from evalplus.sanitize import sanitize as evalplus_sanitize

        text = evalplus_sanitize(text, entry_point) or text
    elif mode not in ("paper", "evalplus"):
        raise ValueError(f"unknown sanitize mode {mode!r}")
    return text + "\n"
