"""The RBAC authorizer, as the API server runs it: may this identity do this request?

Semantics follow plugin/pkg/auth/authorizer/rbac/rbac.go (``VisitRulesFor``: every
ClusterRoleBinding, then the RoleBindings of the request's namespace) and
pkg/apis/rbac/v1/evaluation_helpers.go (``VerbMatches``, ``APIGroupMatches``,
``ResourceMatches`` with ``*/subresource``, ``ResourceNameMatches``). A request on a
Namespace object carries that namespace as its namespace (requestinfo.go), so a RoleBinding
inside ``dev`` can grant ``patch`` on Namespace ``dev`` itself. Create requests have no name,
so a rule limited by ``resourceNames`` never grants ``create``.

Calico's API server authorizes tiered policies itself (docs: "Configure RBAC for tiered
policies"): a write to a projectcalico.org NetworkPolicy/GlobalNetworkPolicy in tier T needs
``get`` on ``tiers`` T and the verb on the pseudo resource ``tier.networkpolicies`` /
``tier.globalnetworkpolicies`` named ``T.*`` (any policy of the tier) or ``T.<name>``. The
Calico dialect declares this as its ``tier_check`` (dialects/calico/resources.py);
:func:`authorize_tiered` applies any such declaration.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..dialects.contract import TierCheck
from .model import Binding, Rbac, Role, Rule, Subject

SA_PREFIX = "system:serviceaccount:"
AUTHENTICATED = "system:authenticated"


@dataclass(frozen=True, slots=True)
class Identity:
    """An authenticated user as the authorizer sees it: a name and groups."""

    user: str
    groups: tuple[str, ...]
    label: str = ""

    @classmethod
    def of(cls, subject: Subject) -> "Identity":
        """The identity whose rights are exactly what ``subject``'s bindings grant.

        A Group stands for an anonymous member (named after no binding subject); a
        ServiceAccount gets the groups the token authenticator adds
        (``system:serviceaccounts``, ``system:serviceaccounts:NS``)."""
        if subject.kind == "Group":
            return cls(f"<member of {subject.name}>", (subject.name, AUTHENTICATED), subject.text)
        if subject.kind == "ServiceAccount":
            return cls(f"{SA_PREFIX}{subject.namespace}:{subject.name}",
                       ("system:serviceaccounts", f"system:serviceaccounts:{subject.namespace}", AUTHENTICATED),
                       subject.text)
        return cls(subject.name, (AUTHENTICATED,), subject.text)


@dataclass(frozen=True, slots=True)
class Request:
    """Resource attributes of one API request (``kubectl auth can-i VERB RESOURCE``)."""

    verb: str
    group: str
    resource: str
    namespace: str = ""
    name: str = ""
    subresource: str = ""

    @property
    def text(self) -> str:
        res = self.resource + (f".{self.group}" if self.group else "")
        res += f"/{self.name}" if self.name else ""
        res += f"/{self.subresource}" if self.subresource else ""
        return f"{self.verb} {res}" + (f" -n {self.namespace}" if self.namespace else "")


@dataclass(frozen=True, slots=True)
class Grant:
    """Why a request is allowed: the binding, the role and the rule that match."""

    binding: Binding
    role: Role
    rule: Rule

    def to_dict(self) -> dict:
        return {"binding": self.binding.ref, "role": self.role.ref, "rule": self.rule.to_dict(),
                "origin": self.binding.origin.to_dict()}

    @property
    def text(self) -> str:
        return f"{self.binding.ref} → {self.role.ref}"


def rule_allows(rule: Rule, req: Request) -> bool:
    if not ("*" in rule.verbs or req.verb in rule.verbs):
        return False
    if not ("*" in rule.api_groups or req.group in rule.api_groups):
        return False
    combined = req.resource + (f"/{req.subresource}" if req.subresource else "")
    if not any(r == "*" or r == combined or (req.subresource and r == f"*/{req.subresource}")
               for r in rule.resources):
        return False
    return not rule.resource_names or req.name in rule.resource_names


def _applies(binding: Binding, subject: Subject, who: Identity) -> bool:
    if subject.kind == "User":
        return subject.name == who.user
    if subject.kind == "Group":
        return subject.name in who.groups
    return who.user == f"{SA_PREFIX}{binding.subject_namespace(subject)}:{subject.name}"


def authorize(rbac: Rbac, who: Identity, req: Request) -> Grant | None:
    """The first grant that allows ``req`` for ``who`` (``None``: RBAC denies)."""
    for binding in rbac.bindings:
        if binding.kind == "ClusterRoleBinding" or (req.namespace and binding.namespace == req.namespace):
            if not any(_applies(binding, s, who) for s in binding.subjects):
                continue
            role = rbac.role_for(binding)
            if role is None:
                continue
            for rule in role.rules:
                if rule_allows(rule, req):
                    return Grant(binding, role, rule)
    return None


def authorize_tiered(rbac: Rbac, who: Identity, req: Request, tier: str, check: TierCheck) -> list[Grant] | None:
    """A tiered-policy request under ``check``: plain RBAC (met by Calico's passthrough role),
    ``get`` on the tier, and the verb on the tier-scoped pseudo resource for ``TIER.*`` or
    ``TIER.<name>``. Returns the grants that together allow it, or ``None``."""
    plain = authorize(rbac, who, req)
    get_tier = authorize(rbac, who, Request("get", check.group, check.tiers, name=tier))
    pseudo = check.pseudo[req.resource]
    scoped = None
    for name in (f"{tier}.*", f"{tier}.{req.name}" if req.name else None):
        if name is not None and scoped is None:
            scoped = authorize(rbac, who, Request(req.verb, req.group, pseudo, req.namespace, name))
    if plain is None or get_tier is None or scoped is None:
        return None
    return [plain, get_tier, scoped]


def who_can(rbac: Rbac, req: Request) -> list[tuple[Subject, Grant]]:
    """Every binding subject for which ``req`` is allowed, with the grant that allows it."""
    out = []
    for subject in rbac.subjects():
        grant = authorize(rbac, Identity.of(subject), req)
        if grant is not None:
            out.append((subject, grant))
    return out
