"""How ``get``/``explain`` read their KIND [NAME...] arguments, the way kubectl does.

Kept apart from the kind table (``views.KINDS``) on purpose: the table says which kinds exist;
this module says how a user's words pick one — ``KIND NAME``, ``KIND/NAME``, short names that
mean different kinds to different users, and did-you-mean for a misspelt kind or name.

``anp`` is the one short name two CRDs claim: Antrea's NetworkPolicy had it until Antrea renamed
it ``annp`` (antrea-io/antrea issue #5063, PR #5081, 2023; build/charts/antrea/crds/networkpolicy.yaml),
and the AdminNetworkPolicy CRD (policy.networking.k8s.io) took it. kubectl resolves a short name by
discovery: whatever CRDs the cluster serves. Offline, "the CRDs given" are the inputs: a
CustomResourceDefinition among them that declares the short name, else the kinds that are
present. Exactly one candidate → that kind; both or neither → a clear refusal naming both.
"""

from __future__ import annotations

from ..errors import UsageError, did_you_mean

SHARED_SHORT_NAMES = {
    "anp": {"anp": ("AdminNetworkPolicy (policy.networking.k8s.io)", "adminnetworkpolicies"),
            "annp": ("Antrea NetworkPolicy (crd.antrea.io; short name annp, anp before Antrea 1.13)", "annp")},
}
"""Short name → {tierwall kind key: (how to name it in a message, an unambiguous name)}."""

CRD_KIND = {("AdminNetworkPolicy", "policy.networking.k8s.io"): "anp",
            ("NetworkPolicy", "crd.antrea.io"): "annp"}
"""(CRD kind, group) → tierwall kind key, to read the short names of CRDs given as input."""


def split_args(args: tuple[str, ...], qualified_names: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """``KIND [NAME...]`` or ``KIND/NAME [KIND/NAME...]`` → (kind, names).

    ``qualified_names``: kinds whose names may carry a namespace (``pod ns/name``)."""
    if args and args[0].lower() in qualified_names:
        return args[0], list(args[1:])
    if not args:
        raise UsageError("give a kind (e.g. acnp, policies), optionally with names")
    if "/" in args[0]:
        kinds, names = set(), []
        for arg in args:
            kind, sep, name = arg.partition("/")
            if not sep or not kind or not name or "/" in name:
                raise UsageError(f"{arg!r}: write KIND/NAME for every argument, or KIND NAME...")
            kinds.add(kind.lower())
            names.append(name)
        if len(kinds) > 1:
            raise UsageError(f"one kind at a time: {', '.join(sorted(kinds))}")
        return args[0].partition("/")[0], names
    for name in args[1:]:
        if "/" in name:
            raise UsageError(f"{name!r}: there is no need to give the kind twice; write KIND NAME or KIND/NAME")
    return args[0], list(args[1:])


def _crd_short_names(cluster) -> dict[str, set[str]]:
    """short name → tierwall kind keys, from CustomResourceDefinition objects among the inputs."""
    out: dict[str, set[str]] = {}
    for raw in getattr(cluster, "skipped", ()):
        if raw.kind != "CustomResourceDefinition":
            continue
        spec = raw.data.get("spec") or {}
        names = spec.get("names") or {}
        key = CRD_KIND.get((names.get("kind"), spec.get("group")))
        if key:
            for short in names.get("shortNames") or ():
                out.setdefault(str(short).lower(), set()).add(key)
    return out


def resolve_short_name(word: str, cluster, present) -> str | None:
    """The kind key a shared short name means for these inputs; ``None`` if ``word`` is not a
    shared short name. ``present(key)`` says whether objects of a kind are in the inputs."""
    meanings = SHARED_SHORT_NAMES.get(word.lower())
    if meanings is None:
        return None
    declared = _crd_short_names(cluster).get(word.lower(), set()) & set(meanings)
    candidates = declared or {k for k in meanings if present(k)}
    if len(candidates) == 1:
        return next(iter(candidates))
    both = " or ".join(text for text, _ in meanings.values())
    why = "the inputs hold both kinds" if candidates else "the inputs hold neither kind"
    raise UsageError(f"{word!r} is ambiguous: {both}; {why}. Write "
                     f"{' or '.join(alias for _, alias in meanings.values())} to say which")


def short_name_note(word: str, key: str) -> str:
    """What a shared short name was read as, for a note on stderr."""
    text, _ = SHARED_SHORT_NAMES[word.lower()][key]
    return f"{word!r} read as {text}: the only one of the kinds it can mean that the inputs hold"


def unknown_kind(word: str, known, aliases=()) -> UsageError:
    """``known``: the kinds to list; ``aliases``: other names that count for the did-you-mean."""
    return UsageError(f"unknown kind {word!r}{did_you_mean(word, list(known) + list(aliases))}; "
                      f"one of {', '.join(known)}")


def unknown_name(kind_title: str, name: str, namespace: str | None, names) -> UsageError:
    where = f" in namespace {namespace}" if namespace else ""
    return UsageError(f"{kind_title} {name!r} not found{where}{did_you_mean(name, names)}")
