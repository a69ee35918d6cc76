"""Actions a rule can take, verdicts a flow can get, and the two directions."""

from __future__ import annotations

from enum import Enum


class Direction(str, Enum):
    """Egress is decided at the source endpoint, ingress at the destination."""

    EGRESS = "egress"
    INGRESS = "ingress"

    @property
    def title(self) -> str:
        return self.value.capitalize()


class Action(str, Enum):
    """What a matching rule does. ``PASS`` hands the flow to a later stage (see ``Stage.pass_to``);
    ``LOG`` records the packet and evaluation goes on with the next rule (Calico)."""

    ALLOW = "Allow"
    DROP = "Drop"
    REJECT = "Reject"
    PASS = "Pass"
    LOG = "Log"


class Verdict(str, Enum):
    """The outcome for a flow (or one side of it).

    ``UNKNOWN`` means a rule that cannot be decided statically (FQDN, L7, an unknown source
    port) was reached before anything decided; the trace says which and why.
    """

    ALLOW = "Allow"
    DROP = "Drop"
    REJECT = "Reject"
    UNKNOWN = "Unknown"


ACTION_VERDICT = {Action.ALLOW: Verdict.ALLOW, Action.DROP: Verdict.DROP, Action.REJECT: Verdict.REJECT}
"""The verdict a terminal action gives."""
