"""Everything that reaches ``nft`` from outside tierwall goes through here: names are validated,
free text is quoted so that it can never end the string it sits in.

Why: a ruleset is a program; an interface name or a policy name pasted into it unchecked can add
statements (``" : accept } ... flush ruleset``), and one over-long comment makes nft refuse the
whole transaction. Limits are the kernel's (linux/if.h ``IFNAMSIZ``; nftables
``NFTNL_UDATA_COMMENT_MAXLEN`` 128 bytes for comments; ``NF_LOG_PREFIXLEN`` 128 with the NUL,
so 127 bytes for log prefixes), measured against nft 1.0.6.
"""

from __future__ import annotations

import re

from ..errors import UsageError

COMMENT_BYTES = 128
PREFIX_BYTES = 127
IFNAME_BYTES = 15

_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")
_UNSAFE = re.compile(r'["\\\x00-\x1f\x7f]')


def quoted(text: str, limit: int = COMMENT_BYTES) -> str:
    """``text`` as an nft double-quoted string of at most ``limit`` UTF-8 bytes: quotes become
    ``'``, backslashes and control characters ``?``, and a cut never splits a character."""
    clean = _UNSAFE.sub(lambda m: "'" if m.group() == '"' else "?", text)
    raw = clean.encode("utf-8")
    if len(raw) > limit:
        raw = raw[:limit - 3].decode("utf-8", "ignore").encode("utf-8") + b"..."
    return '"' + raw.decode("utf-8") + '"'


def check_ifname(name: object, where: str) -> str:
    """A Linux interface name (``dev_valid_name``): 1–15 bytes, not ``.``/``..``, no ``/``,
    ``:``, whitespace or quotes (quotes are legal for Linux but never reach nft)."""
    if not isinstance(name, str) or not name:
        raise UsageError(f"{where}: interface name must be a non-empty string, not {short(name)}")
    if len(name.encode("utf-8")) > IFNAME_BYTES:
        raise UsageError(f"{where}: interface name {short(name)} is longer than {IFNAME_BYTES} bytes")
    if name in (".", "..") or any(c in name for c in "/:\"'\\") or any(c.isspace() or not c.isprintable()
                                                                      for c in name):
        raise UsageError(f"{where}: {short(name)} is not a valid interface name "
                         f"(no '/', ':', quotes, backslashes or whitespace)")
    return name


def check_table(name: str) -> str:
    """An nft table name tierwall may own: an identifier (letters, digits, ``_``; ≤ 63)."""
    if not _IDENT.match(name or ""):
        raise UsageError(f"--table {short(name)}: a table name is a letter followed by letters, digits or '_' "
                         f"(at most 63)")
    return name


def short(value: object, limit: int = 60) -> str:
    """``repr`` of a value, cut to ``limit`` characters for messages."""
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 5] + "…" + text[-4:]
