"""Which form a code completion comes in (:data:`s0repro.data.base.ANSWER_FORMS`, or ``other``): the form mix of a
run's outputs, per method.

Under the authors' clean-up only whole functions can pass, so a tuned model can gain by switching form; under the
lenient one it cannot. The mix says how far each method moved. :func:`answer_form` is a pure function of the raw
completion text (end markers and think blocks removed first, as both clean-ups do):

- a fenced block with text before or after it: ``prose``;
- one fenced block alone: ``function_fenced`` if it holds a ``def``, else ``body_fenced``;
- no fence: ``function`` if the text starts with ``def``, ``body`` if its first line is indented;
- anything else (empty, prose without a fence, an unindented body): ``other``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from s0repro.data.base import ANSWER_FORMS
from s0repro.evaluate.sanitize import FENCE_LINE, strip_end_markers, strip_think

FORM_CLASSES = (*ANSWER_FORMS, "other")
DEFINITION = re.compile(r"^(?:async\s+)?def\s+\w+\s*\(", re.MULTILINE)


def answer_form(raw: str) -> str:
    """The form of one raw completion: one of :data:`FORM_CLASSES`."""
    text = strip_think(strip_end_markers(raw)).strip("\n")
    fences = list(FENCE_LINE.finditer(text))
    if fences:
        inside = text[fences[0].end(): fences[1].start() if len(fences) > 1 else len(text)]
        outside = text[: fences[0].start()] + (text[fences[-1].end():] if len(fences) > 1 else "")
        if outside.strip():
            return "prose"
        return "function_fenced" if DEFINITION.search(inside) else "body_fenced"
    if DEFINITION.match(text.lstrip()):
        return "function"
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "body" if first[:1] in (" ", "\t") else "other"


def form_mix(completions: Iterable[str]) -> dict[str, int]:
    """How many completions come in each form, every class of :data:`FORM_CLASSES` present (zero or not)."""
    counts = Counter(answer_form(c) for c in completions)
    return {form: counts.get(form, 0) for form in FORM_CLASSES}
