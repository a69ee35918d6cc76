"""Calico's selector language: tokenizer, parser, AST, evaluation and label rewriting.

Grammar and semantics follow spec/calico.md §5 (libcalico-go/lib/selector/{tokenizer,parser}).
Hand-written rather than built on a parsing library because the tokenizer is the hard part
and is context-sensitive in ways grammar libraries make awkward: operator keywords are only
keywords right after a label (so ``contains == 'x'`` compares a label named ``contains``),
multi-word operators accept any run of spaces/tabs including none (``startswith``), and
only space and TAB count as whitespace. A small recursive-descent parser over those tokens
keeps every error tied to the column of the offending character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

MAX_LABEL = 512
_LABEL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-"
_LABEL = re.compile(r"[A-Za-z0-9_./-]+")
_KEYWORD = re.compile(r"(contains|starts[ \t]*with|ends[ \t]*with|not[ \t]*in|in)")
_FUNC = re.compile(r"(has)\([ \t]*([A-Za-z0-9_./-]+)[ \t]*\)|(all|global)\([ \t]*\)")


class SelectorError(ValueError):
    """A selector that Calico would reject; ``column`` is 1-based."""

    def __init__(self, message: str, column: int):
        super().__init__(f"{message} (column {column})")
        self.message = message
        self.column = column


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: str  # label string op lparen rparen lbrace rbrace comma func eof
    value: str
    col: int
    arg: str = ""


def _tokenize(text: str) -> list[_Tok]:
    out: list[_Tok] = []
    i, n = 0, len(text)
    after_label = False
    while i < n:
        c = text[i]
        if c in " \t":
            i += 1
            continue
        col = i + 1
        if after_label:
            m = _KEYWORD.match(text, i)
            if m and (m.end() >= n or text[m.end()] not in _LABEL_CHARS):
                word = re.sub(r"[ \t]+", " ", m.group(1))
                word = {"startswith": "starts with", "endswith": "ends with", "notin": "not in"}.get(word, word)
                out.append(_Tok("op", word, col))
                i = m.end()
                after_label = False
                continue
        after_label = False
        if c in "\"'":
            end = text.find(c, i + 1)
            if end < 0:
                raise SelectorError("unterminated string", col)
            out.append(_Tok("string", text[i + 1:end], col))
            i = end + 1
            continue
        two = text[i:i + 2]
        if two in ("==", "!=", "&&", "||"):
            out.append(_Tok("op", two, col))
            i += 2
            continue
        if c == "!":
            out.append(_Tok("op", "!", col))
            i += 1
            continue
        if c in "(){},":
            out.append(_Tok({"(": "lparen", ")": "rparen", "{": "lbrace", "}": "rbrace", ",": "comma"}[c], c, col))
            i += 1
            continue
        m = _FUNC.match(text, i)
        if m:
            if m.group(1):
                out.append(_Tok("func", "has", col, m.group(2)))
            else:
                out.append(_Tok("func", m.group(3), col))
            i = m.end()
            continue
        m = _LABEL.match(text, i)
        if m:
            if len(m.group(0)) > MAX_LABEL:
                raise SelectorError(f"label longer than {MAX_LABEL} characters", col)
            out.append(_Tok("label", m.group(0), col))
            i = m.end()
            after_label = True
            continue
        if c in "=&|":
            raise SelectorError(f"unexpected {c!r} (did you mean {c * 2!r}?)", col)
        raise SelectorError(f"unexpected character {c!r}", col)
    out.append(_Tok("eof", "", n + 1))
    return out


# --- AST --------------------------------------------------------------------------------------

class Node:
    """A selector expression. ``matches`` evaluates it on a label map."""

    def matches(self, labels: Mapping[str, str]) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def rewrite(self, label: Callable[[str], str], everything: "Node") -> "Node":
        """The same expression with every label renamed and ``all()`` replaced (Calico's
        rewriting of namespace and service-account selectors into prefixed endpoint labels)."""
        return self


@dataclass(frozen=True, slots=True)
class All(Node):
    def matches(self, labels):
        return True

    def rewrite(self, label, everything):
        return everything

    def __str__(self):
        return "all()"


@dataclass(frozen=True, slots=True)
class Global(Node):
    """``global()``: true as an expression; as a whole rule namespaceSelector it means
    "not namespaced" and is rewritten by the caller."""

    def matches(self, labels):
        return True

    def __str__(self):
        return "global()"


@dataclass(frozen=True, slots=True)
class Has(Node):
    label: str

    def matches(self, labels):
        return self.label in labels

    def rewrite(self, label, everything):
        return Has(label(self.label))

    def __str__(self):
        return f"has({self.label})"


_COMPARE: dict[str, Callable[[str, object], bool]] = {
    "==": lambda v, s: v == s,
    "!=": lambda v, s: v != s,
    "contains": lambda v, s: s in v,
    "starts with": lambda v, s: v.startswith(s),
    "ends with": lambda v, s: v.endswith(s),
    "in": lambda v, s: v in s,
    "not in": lambda v, s: v not in s,
}
_ABSENT_MATCHES = {"!=", "not in"}
"""Operators that are true for an object without the label (spec/calico.md §5.3)."""


@dataclass(frozen=True, slots=True)
class Compare(Node):
    label: str
    op: str
    value: str | frozenset[str]

    def matches(self, labels):
        if self.label not in labels:
            return self.op in _ABSENT_MATCHES
        return _COMPARE[self.op](labels[self.label], self.value)

    def rewrite(self, label, everything):
        return Compare(label(self.label), self.op, self.value)

    def __str__(self):
        if isinstance(self.value, frozenset):
            return f"{self.label} {self.op} {{{', '.join(repr(v) for v in sorted(self.value))}}}"
        return f"{self.label} {self.op} {self.value!r}"


@dataclass(frozen=True, slots=True)
class Not(Node):
    inner: Node

    def matches(self, labels):
        return not self.inner.matches(labels)

    def rewrite(self, label, everything):
        return Not(self.inner.rewrite(label, everything))

    def __str__(self):
        return f"!{_wrap(self.inner)}"


@dataclass(frozen=True, slots=True)
class And(Node):
    parts: tuple[Node, ...] = field(default=())

    def matches(self, labels):
        return all(p.matches(labels) for p in self.parts)

    def rewrite(self, label, everything):
        return And(tuple(p.rewrite(label, everything) for p in self.parts))

    def __str__(self):
        return " && ".join(_wrap(p) for p in self.parts)


@dataclass(frozen=True, slots=True)
class Or(Node):
    parts: tuple[Node, ...] = field(default=())

    def matches(self, labels):
        return any(p.matches(labels) for p in self.parts)

    def rewrite(self, label, everything):
        return Or(tuple(p.rewrite(label, everything) for p in self.parts))

    def __str__(self):
        return " || ".join(_wrap(p) for p in self.parts)


def _wrap(node: Node) -> str:
    return f"({node})" if isinstance(node, (And, Or)) else str(node)


def labels_used(node: Node) -> set[str]:
    """Every label key the expression tests."""
    if isinstance(node, (Has, Compare)):
        return {node.label}
    if isinstance(node, Not):
        return labels_used(node.inner)
    if isinstance(node, (And, Or)):
        return set().union(*(labels_used(p) for p in node.parts)) if node.parts else set()
    return set()


# --- parser -----------------------------------------------------------------------------------

MAX_NESTING = 64
"""Deepest parenthesis nesting parsed: deeper is a SelectorError (exit 2), never a RecursionError."""


class _Parser:
    def __init__(self, text: str):
        self.toks = _tokenize(text)
        self.pos = 0
        self.depth = 0

    @property
    def tok(self) -> _Tok:
        return self.toks[self.pos]

    def take(self) -> _Tok:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def fail(self, message: str):
        tok = self.tok
        what = "end of selector" if tok.kind == "eof" else repr(tok.value)
        raise SelectorError(f"{message}, found {what}", tok.col)

    def parse(self) -> Node:
        if self.tok.kind == "eof":
            return All()  # an empty selector means all()
        node = self.or_expr()
        if self.tok.kind != "eof":
            self.fail("expected && or || or the end of the selector")
        return node

    def or_expr(self) -> Node:
        parts = [self.and_expr()]
        while self.tok.kind == "op" and self.tok.value == "||":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def and_expr(self) -> Node:
        parts = [self.unary()]
        while self.tok.kind == "op" and self.tok.value == "&&":
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def unary(self) -> Node:
        negations = 0
        while self.tok.kind == "op" and self.tok.value == "!":
            self.take()
            negations += 1
        node = self.primary()
        return Not(node) if negations % 2 else node  # !!x is x: no chain of Not to recurse through

    def primary(self) -> Node:
        tok = self.tok
        if tok.kind == "func":
            self.take()
            return {"has": lambda: Has(tok.arg), "all": All, "global": Global}[tok.value]()
        if tok.kind == "lparen":
            if self.depth >= MAX_NESTING:
                raise SelectorError(f"parentheses nested deeper than {MAX_NESTING} levels", tok.col)
            self.take()
            self.depth += 1
            node = self.or_expr()
            self.depth -= 1
            if self.tok.kind != "rparen":
                self.fail("expected ')'")
            self.take()
            return node
        if tok.kind != "label":
            self.fail("expected a label, has(), all(), global(), '!' or '('")
        label = self.take().value
        op = self.tok
        if op.kind != "op" or op.value not in _COMPARE:
            self.fail(f"expected an operator after label {label!r}")
        self.take()
        if op.value in ("in", "not in"):
            return Compare(label, op.value, self.set_literal())
        if self.tok.kind != "string":
            self.fail(f"expected a quoted string after {op.value!r}")
        return Compare(label, op.value, self.take().value)

    def set_literal(self) -> frozenset[str]:
        if self.tok.kind != "lbrace":
            self.fail("expected '{' to start a set")
        self.take()
        values: list[str] = []
        while self.tok.kind != "rbrace":
            if self.tok.kind != "string":
                self.fail("expected a quoted string or '}' in the set")
            values.append(self.take().value)
            if self.tok.kind == "comma":
                self.take()
            elif self.tok.kind != "rbrace":
                self.fail("expected ',' or '}' in the set")
        self.take()
        return frozenset(values)


def parse(text: str | None) -> Node:
    """Parse a Calico selector (``None`` or blank = ``all()``).

    Raises:
        SelectorError: with the 1-based column of the offending character.
    """
    if text is None:
        return All()
    return _Parser(str(text)).parse()


@dataclass(frozen=True, slots=True)
class Selector:
    """A parsed selector with its source text (for messages) and normal form (for caching)."""

    node: Node
    text: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        return self.node.matches(labels)

    def __str__(self) -> str:
        return self.text
