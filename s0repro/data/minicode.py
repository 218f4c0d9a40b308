"""minicode: small HumanEval-shaped Python problems, generated, so that a CPU run can score something real.

Each problem is a one-line function from one of twenty parameterised *families* (arithmetic, string, list,
condition): the prompt is a signature plus a docstring with two worked examples, the answer the canonical body, the
test a ``check(candidate)`` program with hidden cases, exactly as HumanEval lays them out, so the same sandbox and
pass@1 code score it. Expected outputs are computed by running the canonical body, so they cannot be wrong.

Every family also has one *plausible wrong body* (an off-by-one, a flipped comparison, a wrong slice) that the hidden
tests are guaranteed to reject. The pre-training corpus (:func:`corpus_stream`) mixes them in: that is what makes
the tiny base models imperfect for a reason that verified supervision can fix. The corpus also answers in the forms
chat models produce for "complete this function" (:data:`FORMS`: the whole function fenced or bare, the body bare or
fenced, prose around a fenced function), each a habit of some function names and dealt alike over every family, so
that a base model's outputs, right and wrong, come in those forms independently of the problem, and the clean-up
choice (the authors' fence/think stripping, which passes only whole functions, vs our lenient one) matters at tiny
scale as it does for chat models.

Splits are made over problem *keys* (family + parameters, not the function name): the 80 train and 84 eval problems
(the paper's HumanEval 0-79 / 80-163 shape) and the pre-training corpus never share a key, and the benchmark covers
every family. Everything is a pure function of ``seed``.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from s0repro.data.base import ANSWER_FORMS, CODE_TEMPLATE, Problem, TaskData, register_task
from s0repro.errors import UserError

N_TRAIN, N_EVAL = 80, 84  # the paper's split of HumanEval: problems 0-79 tune, 80-163 evaluate
N_TESTS = 6  # hidden cases per problem (the two docstring examples are among them)
LETTERS = "abcdefghijklmnopqrstuvwxyz"
WORDS = ("neg", "pos", "low", "high", "cold", "warm", "no", "yes", "down", "up", "off", "on")


@dataclass(frozen=True)
class Family:
    """One parameterised problem family. ``body``/``wrong`` and ``doc`` are ``str.format`` templates over params."""

    name: str
    category: str  # arithmetic | string | list | condition
    names: tuple[str, ...]  # function names the prompt may use
    arg: str  # "x: int", "s: str" or "xs: list"
    returns: str
    doc: str
    body: str  # canonical body expression/statement, after "return "
    wrong: str  # the plausible wrong one
    params: Callable[[], list[dict[str, Any]]]  # every parameter setting (the family's keys)
    inputs: Callable[[random.Random, dict[str, Any]], list[Any]]  # candidate test inputs


def _ints(rng: random.Random, p: dict[str, Any], near: str = "k") -> list[int]:
    k = int(p.get(near, 0))
    pool = [k - 1, k, k + 1, 0, -k, 2 * k + 1, 3 * k, k + 7] + [rng.randint(-20, 60) for _ in range(8)]
    rng.shuffle(pool)
    return pool


def _strs(rng: random.Random, p: dict[str, Any]) -> list[str]:
    own = sorted({v for v in p.values() if isinstance(v, str)})
    alphabet = own + [c for c in "abcde" if c not in own][:3]  # the family's letters are common in the inputs
    pool = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 9))) for _ in range(14)]
    pool += [""] if rng.random() < 0.3 else []
    rng.shuffle(pool)
    return pool


def _lists(rng: random.Random, p: dict[str, Any]) -> list[list[int]]:
    k = int(p.get("k", 3))
    pool = []
    for _ in range(14):
        xs = [rng.randint(-5, 20) for _ in range(rng.randint(1, 7))]
        if rng.random() < 0.5:
            xs.insert(rng.randint(0, len(xs)), k)
        pool.append(xs)
    rng.shuffle(pool)
    return pool


def _grid(**ranges: Any) -> Callable[[], list[dict[str, Any]]]:
    def make() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = [{}]
        for key, values in ranges.items():
            out = [{**d, key: v} for d in out for v in values]
        return out

    return make


def _pairs(values: Any, first: str, second: str) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [{first: a, second: b} for a in values for b in values if a != b]


FAMILIES: tuple[Family, ...] = (
    # arithmetic
    Family("add", "arithmetic", ("add_const", "shift_up", "bump", "increase"), "x: int", "int",
           "Return x plus {k}.", "x + {k}", "x - {k}", _grid(k=range(1, 61)), _ints),
    Family("mul", "arithmetic", ("scale", "times_const", "multiply", "grow"), "x: int", "int",
           "Return x multiplied by {k}.", "x * {k}", "x + {k}", _grid(k=range(2, 31)), _ints),
    Family("affine", "arithmetic", ("affine", "linear", "transform", "line_value"), "x: int", "int",
           "Return {a} times x plus {b}.", "{a} * x + {b}", "{a} * (x + {b})",
           _grid(a=range(2, 10), b=range(1, 21)), lambda r, p: _ints(r, p, "b")),
    Family("mod", "arithmetic", ("remainder", "mod_const", "leftover", "wrap_value"), "x: int", "int",
           "Return the remainder of x divided by {k}.", "x % {k}", "x // {k}", _grid(k=range(2, 31)), _ints),
    Family("sub_from", "arithmetic", ("distance_to", "gap", "complement", "short_of"), "x: int", "int",
           "Return {k} minus x.", "{k} - x", "x - {k}", _grid(k=range(1, 61)), _ints),
    # string
    Family("repeat", "string", ("repeat", "echo", "duplicate", "copies"), "s: str", "str",
           "Return s repeated {k} times.", "s * {k}", "s * {k} + s", _grid(k=range(2, 10)), _strs),
    Family("prefix", "string", ("head", "prefix", "first_chars", "take_front"), "s: str", "str",
           "Return the first {k} characters of s.", "s[:{k}]", "s[:{k} + 1]", _grid(k=range(1, 9)), _strs),
    Family("suffix", "string", ("tail", "suffix", "last_chars", "take_back"), "s: str", "str",
           "Return the last {k} characters of s.", "s[-{k}:]", "s[{k}:]", _grid(k=range(1, 9)), _strs),
    Family("count_char", "string", ("count_letter", "tally", "occurrences", "how_many"), "s: str", "int",
           "Return how many times '{c}' occurs in s.", "s.count('{c}')", "len(s) - s.count('{c}')",
           _grid(c=LETTERS), _strs),
    Family("replace", "string", ("swap_letter", "substitute", "replace_char", "rewrite"), "s: str", "str",
           "Return s with every '{a}' replaced by '{b}'.", "s.replace('{a}', '{b}')",
           "s.replace('{a}', '{b}', 1)", _pairs(LETTERS, "a", "b"), _strs),
    Family("wrap", "string", ("wrap", "surround", "enclose", "frame"), "s: str", "str",
           "Return s with '{c}' added at both ends.", "'{c}' + s + '{c}'", "'{c}' + s",
           _grid(c=LETTERS), _strs),
    # list
    Family("sum_plus", "list", ("total_plus", "sum_shift", "add_total", "bumped_sum"), "xs: list", "int",
           "Return the sum of xs plus {k}.", "sum(xs) + {k}", "sum(xs[1:]) + {k}", _grid(k=range(1, 61)), _lists),
    Family("scale_all", "list", ("scale_all", "times_each", "multiply_all", "stretch"), "xs: list", "list",
           "Return a list of each element of xs multiplied by {k}.", "[v * {k} for v in xs]",
           "[v + {k} for v in xs]", _grid(k=range(2, 31)), _lists),
    Family("filter_gt", "list", ("above", "keep_greater", "filter_big", "bigger_than"), "xs: list", "list",
           "Return the elements of xs that are greater than {k}.", "[v for v in xs if v > {k}]",
           "[v for v in xs if v >= {k}]", _grid(k=range(-5, 21)), _lists),
    Family("count_eq", "list", ("count_value", "frequency", "tally_value", "num_equal"), "xs: list", "int",
           "Return how many elements of xs are equal to {k}.", "xs.count({k})", "len(xs) - xs.count({k})",
           _grid(k=range(-5, 21)), _lists),
    Family("take", "list", ("take", "first_items", "front", "leading"), "xs: list", "list",
           "Return the first {k} elements of xs.", "xs[:{k}]", "xs[{k}:]", _grid(k=range(1, 9)), _lists),
    # condition
    Family("is_gt", "condition", ("is_big", "exceeds", "is_above", "over_limit"), "x: int", "bool",
           "Return True if x is greater than {k}, otherwise False.", "x > {k}", "x >= {k}",
           _grid(k=range(-20, 61)), _ints),
    Family("divisible", "condition", ("divides", "is_multiple", "check_div", "divisible"), "x: int", "str",
           "Return 'yes' if x is divisible by {k}, otherwise 'no'.", "'yes' if x % {k} == 0 else 'no'",
           "'no' if x % {k} == 0 else 'yes'", _grid(k=range(2, 31)), _ints),
    Family("at_least", "condition", ("at_least", "floor_at", "clamp_low", "lower_bound"), "x: int", "int",
           "Return x if x is at least {k}, otherwise {k}.", "max(x, {k})", "min(x, {k})",
           _grid(k=range(-20, 61)), _ints),
    Family("sign_word", "condition", ("sign_word", "label", "classify", "describe"), "x: int", "str",
           "Return '{a}' if x is negative, otherwise '{b}'.", "'{a}' if x < 0 else '{b}'",
           "'{a}' if x <= 0 else '{b}'", _pairs(WORDS, "a", "b"), lambda r, p: _ints(r, {"k": 0})),
)
FAMILY_BY_NAME = {f.name: f for f in FAMILIES}


def _key(family: Family, params: dict[str, Any]) -> str:
    return family.name + ":" + json.dumps(params, sort_keys=True)


def _compile(prompt: str, body: str, entry_point: str) -> Callable[..., Any]:
    scope: dict[str, Any] = {}
    exec(prompt + body, scope)  # noqa: S102 - our own generated code, never model output
    return scope[entry_point]


def _outcome(fn: Callable[..., Any], arg: Any) -> Any:
    try:
        return ("ok", fn(arg))
    except Exception as err:  # noqa: BLE001 - a wrong body may raise; that counts as a different outcome
        return ("raise", type(err).__name__)


def make_problem(family: Family, params: dict[str, Any], rng: random.Random, task_id: str) -> Problem:
    """One problem of ``family``: examples and hidden cases drawn by ``rng``, chosen so the wrong body fails."""
    name = rng.choice(family.names)
    body = f"    return {family.body.format(**params)}\n"
    wrong = f"    return {family.wrong.format(**params)}\n"
    header = f"def {name}({family.arg}) -> {family.returns}:\n"
    bare = header + '    """\n    """\n'
    right_fn, wrong_fn = _compile(bare, body, name), _compile(bare, wrong, name)
    for _attempt in range(20):
        pool = list({repr(arg): arg for arg in family.inputs(rng, params)}.values())  # distinct, in order
        outcomes = [(arg, _outcome(right_fn, arg), _outcome(wrong_fn, arg)) for arg in pool]
        good = [(a, r) for a, r, _ in outcomes if r[0] == "ok"]
        telling = [(a, r) for a, r, w in outcomes if r[0] == "ok" and r != w]
        if telling and len(good) >= N_TESTS:
            break
    else:
        raise AssertionError(f"{_key(family, params)}: no {N_TESTS} inputs that tell the wrong body apart")
    fill = [c for c in good if c not in telling[:2]]
    cases = telling[:2] + fill[: N_TESTS - 2]
    examples = cases[-2:]  # shown in the docstring
    hidden = (cases + fill[N_TESTS - 2:])[:N_TESTS]  # topped up when only one input tells the bodies apart
    lines = [f"    >>> {name}({arg!r})\n    {out[1]!r}\n" for arg, out in examples]
    prompt = header + f'    """{family.doc.format(**params)}\n' + "".join(lines) + '    """\n'
    test = "def check(candidate):\n" + "".join(f"    assert candidate({a!r}) == {o[1]!r}\n" for a, o in hidden)
    meta = {"family": family.name, "category": family.category, "params": params, "key": _key(family, params),
            "wrong_answer": wrong}
    return Problem(task_id=task_id, prompt=prompt, answer=body, test=test, entry_point=name, meta=meta)


def all_keys() -> list[tuple[Family, dict[str, Any]]]:
    """Every (family, params) pair in a fixed order."""
    return [(f, p) for f in FAMILIES for p in f.params()]


def split_keys(seed: int) -> tuple[list, list, list]:
    """Disjoint key lists (train, eval, corpus). Benchmark keys are dealt round-robin over families."""
    rng = random.Random(f"minicode-split-{seed}")
    by_family = {f.name: [(f, p) for p in f.params()] for f in FAMILIES}
    for keys in by_family.values():
        rng.shuffle(keys)
    bench: list = []
    while len(bench) < N_TRAIN + N_EVAL:
        for name in sorted(by_family):
            if len(bench) < N_TRAIN + N_EVAL:
                bench.append(by_family[name].pop())
    rng.shuffle(bench)
    corpus = [k for name in sorted(by_family) for k in by_family[name]]
    return bench[:N_TRAIN], bench[N_TRAIN:], corpus


def benchmark(seed: int = 0) -> tuple[list[Problem], list[Problem]]:
    """The 80 train and 84 eval problems (task ids ``minicode/0`` .. ``minicode/163``)."""
    train_keys, eval_keys, _ = split_keys(seed)
    problems = [
        make_problem(f, p, random.Random(f"minicode-problem-{seed}-{i}"), f"minicode/{i}")
        for i, (f, p) in enumerate(train_keys + eval_keys)
    ]
    return problems[:N_TRAIN], problems[N_TRAIN:]


FORMS = ANSWER_FORMS  # the corpus answers in every form a chat model uses (data.base says which clean-up passes which)
# The habitual forms of a family's four function names: families 0-1, 4-5, ... take the first four of this wheel
# (three whole functions), families 2-3, 6-7, ... the last four (two), so that the mostly-wrong families (every
# other one, in the tiny builder) get the same mix as the rest; "other" is the body, the fenced body or prose in turn.
FORM_WHEEL = ("function_fenced", "function", "other", "function_fenced", "function", "other", "function_fenced", "other")


def output_form(family: Family, name: str) -> str:
    """The form the corpus mostly answers function ``name`` of ``family`` in: a habit of the name, not the family.

    A greedy model needs a cue it can see to answer in more than one form, and the name is one; but a name belongs to
    one family, so the forms are dealt over each family's names alike (:data:`FORM_WHEEL`), the name's place in the
    family rotated by the family's index. Every family has two or three whole-function names out of four, in pairs of families,
    so a wrong body is about as likely in every form and the authors' clean-up can pass 5/8 of the habits.
    """
    index = FAMILIES.index(family)
    n = len(family.names)
    slot = (index + family.names.index(name)) % n + n * (index // 2 % 2)
    form = FORM_WHEEL[slot]
    return FORMS[2 + (index + slot) % 3] if form == "other" else form


def render_completion(problem: Problem, body: str, form: str) -> str:
    """``body`` (an indented ``return`` line) written in ``form`` for ``problem``."""
    function = problem.prompt.split("\n", 1)[0] + "\n" + body  # the prompt's signature line, then the body
    if form == "function_fenced":
        return f"```python\n{function}```\n"
    if form == "function":
        return function
    if form == "body":
        return body
    if form == "body_fenced":
        return f"```python\n{body}```\n"
    if form == "prose":
        doc = FAMILY_BY_NAME[problem.meta["family"]].doc.format(**problem.meta["params"])
        return (f"Here is the function:\n\n```python\n{function}```\n\nIt returns "
                + doc.removeprefix("Return ").rstrip(".") + ".\n")
    raise ValueError(f"unknown output form {form!r}; one of {FORMS}")


def corpus_stream(seed: int, corpus_seed: int, wrong_rate: Callable[[Family], float],
                  form_rate: float = 1.0) -> Iterator[tuple[Problem, str]]:
    """Endless (problem, target completion) pairs from the corpus keys of split ``seed``; never a benchmark key.

    With probability ``wrong_rate(family)`` the target is the family's plausible wrong body instead of the right one;
    independently, with probability ``form_rate`` it is written in the name's habitual form (:func:`output_form`),
    otherwise in a form drawn uniformly from :data:`FORMS` (so a sampling model shows every form on every problem).
    """
    _, _, corpus = split_keys(seed)
    rng = random.Random(f"minicode-corpus-{seed}-{corpus_seed}")
    i = 0
    while True:
        family, params = rng.choice(corpus)
        problem = make_problem(family, params, rng, f"minicode-corpus/{i}")
        body = problem.meta["wrong_answer"] if rng.random() < wrong_rate(family) else problem.answer
        form = output_form(family, problem.entry_point) if rng.random() < form_rate else rng.choice(FORMS)
        yield problem, render_completion(problem, body, form)
        i += 1


def content_hash(problems: list[Problem]) -> str:
    blob = json.dumps([[p.task_id, p.prompt, p.answer, p.test, p.entry_point] for p in problems])
    return hashlib.sha256(blob.encode()).hexdigest()


@register_task("minicode")
def load_minicode(seed: int = 0) -> TaskData:
    """Loader for ``task=minicode``: 80 train / 84 eval problems, deterministic from ``seed``."""
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise UserError(f"task.seed={seed!r} must be an integer")
    train, eval_ = benchmark(seed)
    source = {"dataset": "minicode (generated)", "seed": seed, "families": len(FAMILIES),
              "sha256": content_hash(train + eval_)}
    return TaskData(name="minicode", kind="code", train=train, eval=eval_, source=source, prompt_template=CODE_TEMPLATE)
