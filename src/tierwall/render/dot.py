"""Graphviz DOT quoting: every name and label that reaches a DOT file goes through ``quote``, so
a name with ``"``, ``\\`` or a newline can neither end its string nor add statements."""


def quote(text: str) -> str:
    """``text`` as a DOT double-quoted string (``\\n`` for newlines, as label escapes expect)."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n") + '"'
