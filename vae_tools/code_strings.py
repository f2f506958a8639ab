"""Which string literals of a notebook's code a reader sees: the words the Korean edition translates in code.

A literal is *shown* when it is

* an argument of ``print`` (every positional one: f-strings, ``"...".format(...)``, ``" ".join(...)``,
  concatenations ``"a" + b``, implicitly concatenated and multi-line literals alike), or of ``Markdown``/``HTML``;
* text drawn in a figure: the first argument of ``set_title``, ``set_xlabel``, ``suptitle`` ... (``text(x, y, s)``'s s),
  the labels given to ``legend(...)`` and ``set_xticklabels``, the keywords ``title=``, ``xlabel=``, ``ylabel=``,
  ``label=``, and ``show_images``' row titles;
* a widget's words: ``description=`` (a progress bar's ``desc=``, ``set_postfix_str``), the labels of
  ``options=[(label, value), ...]``, a string put in ``.value``;
* held in a variable that is shown (``LABELS = dict(zip(NAMES, ["Bernoulli (BCE)", ...]))`` then
  ``print(LABELS[n])`` or ``label=f"{LABELS[n]}"``): assignments, ``for`` loops over literal lists, the
  arguments of a notebook's own functions whose parameter is shown and the return values of those whose result is
  shown are followed through the whole notebook.
  Only dict *values* count (keys are code, unless the loop shows them: ``for name, d in D.items()``), a held
  string the code searches (``name.startswith("orthogonal")``) stays English (the check of the outputs then names
  it: branch on something else), and one without a space is
  translated only as a key that the loop shows and the code never passes to a library call (``vae-2d``,
  ``tab:blue``, ``"cosine"`` in ``fit(schedule="cosine")`` stay).

A held string may be compared elsewhere in the notebook (``row["Gaussian, s = 1"]``): every identical plain
literal of the notebook is then translated the same way (an *echo* of the one entry), so the Korean code still runs. Everything missed here is caught by the check of the executed Korean notebooks
(:mod:`vae_tools.output_check`), which names the cell.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

PRINT_CALLS = {"print", "Markdown", "HTML",                     # every positional argument is shown
               "set_postfix_str", "set_description", "set_description_str"}   # a progress bar's words (tqdm)
FIGURE_CALLS = {"set_title", "set_xlabel", "set_ylabel", "suptitle", "annotate", "text", "supxlabel", "supylabel",
                "set_xticklabels", "set_yticklabels", "set_ticklabels"}   # the first argument
ALL_ARGS_CALLS = {"legend", "figlegend"}                          # (labels) or (handles, labels)
FIGURE_LIST_CALLS = {"show_images", "show_rows"}                  # (rows, row_titles, [title])
SHOWN_KEYWORDS = {"title", "xlabel", "ylabel", "label", "labels", "description", "desc"}   # desc: tqdm's
_PASS_THROUGH = {"dict", "zip", "list", "tuple", "sorted", "reversed", "enumerate", "str"}
_STR_METHODS = {"format", "join", "upper", "lower", "capitalize", "strip", "ljust", "rjust", "center", "replace"}
_MAGIC = re.compile(r"^\s*(?:%|!(?!=)).*$", re.M)   # IPython magics and shell lines (not a "!=" continuation)


@dataclass(frozen=True)
class Span:
    """A literal in a cell's source: characters ``start:end`` are ``head + text + quote``."""
    start: int
    end: int
    head: str      # prefix and opening quote, e.g. 'f"' or '"""'
    quote: str     # the closing quote
    text: str      # the literal's body as written in the source (escapes kept)
    data: bool     # held in a variable (not at the call that shows it)

    @property
    def plain(self) -> bool:
        return not re.search(r"[fFrRbB]", self.head)


def has_words(text: str) -> bool:
    """Worth translating: a word of three letters or more, or an English "to", "of" ..., outside $math$ and
    {placeholders} ("q", "$z_1$" are not),
    or in a placeholder that is a quoted heading (``{'model':22s}``)."""
    text = re.sub(r"\{(['\"])([^'\"]*)\1[^{}]*\}", r" \2 ", text)   # {'Var reparam':>12}: a column heading
    bare = re.sub(r"\$[^$]*\$|\{[^{}]*\}", " ", text)
    return re.search(r"[A-Za-z]{3,}|\b(?:to|of|in|at|by|or|on|is|an|as|if)\b", bare) is not None


def _pieces(segment: str) -> list[tuple[str, str, str]] | None:
    """The ``(prefix, quote, body)`` of each literal of an (implicitly concatenated) string in ``segment``."""
    out, pos = [], 0
    while pos < len(segment):
        skip = re.match(r"(?:\s|\\\n|#[^\n]*)+", segment[pos:])
        if skip:
            pos += skip.end()
            continue
        m = re.match(r"([rRfFbBuU]*)(\"\"\"|'''|\"|')", segment[pos:])
        if not m:
            return None
        i = pos + m.end()
        while i < len(segment) and not segment.startswith(m.group(2), i):
            i += 2 if segment[i] == "\\" else 1
        if i >= len(segment):
            return None
        out.append((m.group(1), m.group(2), segment[pos + m.end():i]))
        pos = i + len(m.group(2))
    return out or None


def _joined(pieces: list[tuple[str, str, str]]) -> tuple[str, str, str] | None:
    """One literal ``(head, quote, body)`` with the text of the pieces (None: a mix this cannot write as one)."""
    prefixes = [p.lower() for p, _, _ in pieces]
    quotes = {q for _, q, _ in pieces}
    if any("b" in p for p in prefixes) or len({"r" in p for p in prefixes}) > 1 or len(quotes) > 1:
        return None
    quote = pieces[0][1]
    if len(pieces) > 1 and len(quote) == 3:
        return None
    f = any("f" in p for p in prefixes)
    body = "".join(b if ("f" in p or not f) else b.replace("{", "{{").replace("}", "}}")
                   for (p, _, b), p in zip(pieces, prefixes))
    prefix = ("r" if "r" in prefixes[0] else "") + ("f" if f else "")
    return prefix + quote, quote, body


class _Cell:
    def __init__(self, cell_id: str, code: str):
        self.id, self.code = cell_id, code
        parsed = _MAGIC.sub(lambda m: "#" + " " * (len(m.group()) - 1) if m.group() else m.group(), code)
        try:
            self.tree = ast.parse(parsed)
        except SyntaxError:
            self.tree = None
        raw = code.encode("utf-8")           # ast's col_offset counts UTF-8 bytes
        self._raw, self._starts = raw, [0]
        for line in raw.splitlines(keepends=True):
            self._starts.append(self._starts[-1] + len(line))

    def span(self, node: ast.AST, data: bool) -> Span | None:
        b0 = self._starts[node.lineno - 1] + node.col_offset
        b1 = self._starts[node.end_lineno - 1] + node.end_col_offset
        pieces = _pieces(self._raw[b0:b1].decode("utf-8"))
        one = _joined(pieces) if pieces else None
        if one is None:
            return None
        s = len(self._raw[:b0].decode("utf-8"))
        return Span(s, s + len(self._raw[b0:b1].decode("utf-8")), one[0], one[1], one[2], data)


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


def _shown(node: ast.AST | None, lits: list, names: set, literals: bool = True) -> None:
    """Collect the string literals a reader sees when ``node``'s value is shown, and the names it reads."""
    if node is None:
        return
    if _is_str(node):
        if literals:
            lits.append(node)
        if isinstance(node, ast.JoinedStr):   # names only: a literal inside {...} is code ({d['key']})
            for v in node.values:
                if isinstance(v, ast.FormattedValue):
                    _shown(v.value, lits, names, literals=False)
    elif isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        for e in node.elts:
            _shown(e, lits, names, literals)
    elif isinstance(node, ast.Starred):
        _shown(node.value, lits, names, literals)
    elif isinstance(node, ast.Dict):
        for v in node.values:
            _shown(v, lits, names, literals)
    elif isinstance(node, ast.BinOp):
        _shown(node.left, lits, names, literals)
        _shown(node.right, lits, names, literals)
    elif isinstance(node, ast.IfExp):
        _shown(node.body, lits, names, literals)
        _shown(node.orelse, lits, names, literals)
    elif isinstance(node, ast.Name):
        names.add(node.id)
    elif isinstance(node, ast.Subscript):
        if isinstance(node.value, ast.Name):
            names.add(node.value.id)
    elif isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.SetComp)):
        _shown(node.elt, lits, names, literals)
    elif isinstance(node, ast.DictComp):
        _shown(node.value, lits, names, literals)
    elif isinstance(node, ast.Call):
        f = node.func
        if isinstance(f, ast.Name):
            names.add(f"{f.id}()")        # a notebook function whose result is shown: its return values
        if (isinstance(f, ast.Attribute) and f.attr in _STR_METHODS) or getattr(f, "id", None) in _PASS_THROUGH:
            if isinstance(f, ast.Attribute):
                _shown(f.value, lits, names, literals)
            for a in node.args:
                _shown(a, lits, names, literals)
            for k in node.keywords:
                _shown(k.value, lits, names, literals)


def _call_name(node: ast.Call) -> str:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")


def _direct(node: ast.AST, lits: list, names: set) -> None:
    """The shown arguments of one call or assignment (see the module's docstring)."""
    if isinstance(node, ast.Call):
        name = _call_name(node)
        args = list(node.args) if name in PRINT_CALLS | ALL_ARGS_CALLS else []
        if name in FIGURE_CALLS:   # text(x, y, s) and fig.text(x, y, s) take the words third
            args += node.args[2:3] if name == "text" and len(node.args) >= 3 else node.args[:1]
        args += node.args[1:3] if name in FIGURE_LIST_CALLS else []
        args += [k.value for k in node.keywords if k.arg in SHOWN_KEYWORDS]
        for a in args:
            _shown(a, lits, names)
        for k in node.keywords:
            if k.arg == "options" and isinstance(k.value, (ast.List, ast.Tuple, ast.ListComp)):
                elts = [k.value.elt] if isinstance(k.value, ast.ListComp) else k.value.elts
                for e in elts:
                    if isinstance(e, ast.Tuple) and e.elts:
                        _shown(e.elts[0], lits, names)
    elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "value" for t in node.targets):
        if _is_str(node.value) or isinstance(node.value, (ast.BinOp, ast.JoinedStr)):
            _shown(node.value, lits, names)


def _targets(node: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]


def _loop(target: ast.AST, it: ast.AST, lits: list, names: set) -> None:
    """``for target in it``, some of target's names shown: the matching parts of ``it`` (a zip's argument, a
    column of a literal list of tuples), or all of it."""
    if isinstance(target, ast.Tuple):
        func = getattr(getattr(it, "func", None), "id", None)
        if func == "zip" and len(it.args) == len(target.elts):
            for te, a in zip(target.elts, it.args):
                if set(_targets(te)) & names:
                    _loop(te, a, lits, names)
            return
        items = isinstance(it, ast.Call) and isinstance(it.func, ast.Attribute) and it.func.attr == "items"
        if items and isinstance(it.func.value, ast.Name) and len(target.elts) == 2:   # for k, v in D.items()
            key, value = (set(_targets(te)) & names for te in target.elts)
            names.update({f"{it.func.value.id}.keys"} if key else set())
            names.update({it.func.value.id} if value else set())
            return
        if func == "enumerate" and len(target.elts) == 2 and it.args:
            _loop(target.elts[1], it.args[0], lits, names)
            return
        if isinstance(it, (ast.List, ast.Tuple)) and all(
                isinstance(e, (ast.List, ast.Tuple)) and len(e.elts) == len(target.elts) for e in it.elts):
            for row in it.elts:
                for te, ve in zip(target.elts, row.elts):
                    if set(_targets(te)) & names:
                        _shown(ve, lits, names)
            return
    _shown(it, lits, names)


def _held(trees: list[ast.AST], names: set) -> tuple[list[ast.AST], set[int]]:
    """The literals held in shown variables, following assignments, loops and functions to a fixed point, and the
    ids of those that are keys of a dict whose keys are shown (``for name, d in D.items(): print(name)``)."""
    lits: list[ast.AST] = []
    keys: set[int] = set()
    params: dict[str, set] = {}     # a notebook function -> its parameters (index or name) that are shown
    funcs = [n for t in trees for n in ast.walk(t) if isinstance(n, ast.FunctionDef)]
    nodes = [n for t in trees for n in ast.walk(t)]
    while True:
        before = (len(names), len(lits), sum(map(len, params.values())))
        for f in funcs:
            if f"{f.name}()" in names:
                returned: list[ast.AST] = []
                for r in (n for n in ast.walk(f) if isinstance(n, ast.Return)):
                    _shown(r.value, returned, names)
                lits += [x for x in returned if all(x is not y for y in lits)]
            for i, a in enumerate(f.args.args):
                if a.arg in names:
                    params.setdefault(f.name, set()).update({i, a.arg})
        for n in nodes:
            new: list[ast.AST] = []
            if isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = n.targets if isinstance(n, ast.Assign) else [n.target]
                for t in targets:
                    if isinstance(t, ast.Tuple) and isinstance(n.value, ast.Tuple) and len(t.elts) == len(n.value.elts):
                        for te, ve in zip(t.elts, n.value.elts):
                            if set(_targets(te)) & names:
                                _shown(ve, new, names)
                    elif isinstance(t, ast.Name) and t.id in names:
                        _shown(n.value, new, names)
                    if isinstance(t, ast.Name) and f"{t.id}.keys" in names and isinstance(n.value, ast.Dict):
                        for k in n.value.keys:
                            _shown(k, new, names)
                            keys.add(id(k))
            elif isinstance(n, ast.For) and set(_targets(n.target)) & names:
                _loop(n.target, n.iter, new, names)
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("append", "extend",
                  "insert") and isinstance(n.func.value, ast.Name) and n.func.value.id in names):   # lines.append(f"...")
                for a in n.args[-1:]:
                    _shown(a, new, names)
            elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in params:
                shown = params[n.func.id]
                for i, a in enumerate(n.args):
                    if i in shown:
                        _shown(a, new, names)
                for k in n.keywords:
                    if k.arg in shown:
                        _shown(k.value, new, names)
            lits += [x for x in new if all(x is not y for y in lits)]
        if (len(names), len(lits), sum(map(len, params.values()))) == before:
            return lits, keys


_SHOWING = PRINT_CALLS | FIGURE_CALLS | ALL_ARGS_CALLS | FIGURE_LIST_CALLS | _PASS_THROUGH | _STR_METHODS


def _passed_on(trees: list[ast.AST]) -> set[str]:
    """Plain literals that leave the notebook's own data as an argument of a library call (``fit(schedule="cosine")``):
    translating one would change what the code does."""
    own = {n.name for t in trees for n in ast.walk(t) if isinstance(n, ast.FunctionDef)}
    out = set()
    for t in trees:
        for n in ast.walk(t):
            if isinstance(n, ast.Call) and _call_name(n) not in _SHOWING | own:
                values = [*n.args, *(k.value for k in n.keywords)]
            else:
                continue
            out |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)}
    return out


def _probes(trees: list[ast.AST]) -> set[str]:
    """Plain literals the code searches strings with: ``x.startswith("a")``, ``"a" in x``, ``x.split("a")``."""
    out = set()
    for t in trees:
        for n in ast.walk(t):
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in (
                    "startswith", "endswith", "find", "index", "split", "replace", "count"):
                args = n.args
            elif isinstance(n, ast.Compare) and any(isinstance(o, (ast.In, ast.NotIn)) for o in n.ops):
                args = [n.left]
            else:
                continue
            for a in args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and re.search(r"[A-Za-z]{3}", a.value):
                    out.add(a.value)
    return out


def notebook_strings(cells: list[tuple[str, str]]) -> dict[str, list[tuple[Span, str]]]:
    """For each code cell ``(id, source)``: its shown literals as ``(span, msgctxt)`` in source order.

    The msgctxt of a cell's own entries is ``"<cell id>:<n>"``, n counting them in source order; an echo (an
    identical plain literal of a held string, elsewhere) carries the msgctxt of the entry it repeats.
    """
    parsed = [_Cell(i, c) for i, c in cells]
    direct: dict[int, bool] = {}     # id(node) -> held (data) or at the showing call
    names: set[str] = set()
    owner: dict[int, _Cell] = {}
    for cell in parsed:
        if cell.tree is None:
            continue
        for n in ast.walk(cell.tree):
            owner[id(n)] = cell
            lits: list[ast.AST] = []
            _direct(n, lits, names)
            for lit in lits:
                direct[id(lit)] = False
    held, keys = _held([c.tree for c in parsed if c.tree is not None], names)
    for lit in held:
        direct.setdefault(id(lit), True)
    passed = _passed_on([c.tree for c in parsed if c.tree is not None])
    spans: dict[str, list[tuple[Span, ast.AST]]] = {c.id: [] for c in parsed}
    for cell in parsed:
        if cell.tree is None:
            continue
        for n in ast.walk(cell.tree):
            if id(n) in direct:
                sp = cell.span(n, direct[id(n)])
                if sp is not None and has_words(sp.text) and not (sp.data and not re.search(r"\s", sp.text)
                                                                  and not (id(n) in keys and sp.text not in passed)):
                    spans[cell.id].append((sp, n))
    probes = _probes([c.tree for c in parsed if c.tree is not None])
    for cell in parsed:            # a held string the code looks into (name.startswith("orthogonal")) stays as it is
        spans[cell.id] = [(sp, n) for sp, n in spans[cell.id] if not (sp.data and any(p in sp.text for p in probes))]
    shared_texts = {sp.text for cell in parsed for sp, n in spans[cell.id] if sp.data and sp.plain}
    out: dict[str, list[tuple[Span, str]]] = {}
    shared: dict[str, str] = {}      # the text of a held plain string with a space -> its one msgctxt
    for cell in parsed:
        out[cell.id], n = [], 0
        for sp in sorted({sp: None for sp, _ in spans[cell.id]}, key=lambda x: x.start):
            if sp.plain and sp.text in shared:
                out[cell.id].append((sp, shared[sp.text]))
                continue
            out[cell.id].append((sp, f"{cell.id}:{n}"))
            if sp.plain and sp.text in shared_texts:
                shared[sp.text] = f"{cell.id}:{n}"
            n += 1
    for cell in parsed:                # echoes of held strings elsewhere in the notebook (asserts, keys)
        if cell.tree is None or not shared:
            continue
        taken = {(sp.start, sp.end) for sp, _ in out[cell.id]}
        for n in ast.walk(cell.tree):
            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                sp = cell.span(n, True)
                if sp is None:
                    continue
                inside = any(a < sp.end and sp.start < b for a, b in taken)   # e.g. {row['...']} in an f-string
                if sp.plain and sp.text in shared and not inside:
                    out[cell.id].append((sp, shared[sp.text]))
        out[cell.id].sort(key=lambda x: x[0].start)
    return out


def cell_strings(code: str) -> list[Span]:
    """The shown literals of one cell on its own (no notebook around it), in source order."""
    return [sp for sp, _ in notebook_strings([("cell", code)])["cell"]]


def shown_literals(node: ast.AST) -> list[ast.AST]:
    """The literals one call (or ``.value =`` assignment) shows directly, e.g. to check that a library wraps them."""
    lits: list[ast.AST] = []
    _direct(node, lits, set())
    return lits
