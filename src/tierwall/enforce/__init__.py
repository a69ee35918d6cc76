"""Enforcement back end: compile the model to nftables, and the network-namespace lab that
proves the kernel agrees with ``trace``.

The entry points a front end calls (``tierwall enforce`` and ``tierwall lab`` are one such
front end; docs/api.md lists them):

* :func:`node_ruleset` — the ruleset for one node's pods (``read_iface_map`` reads a
  ``namespace/pod → interface`` file); ``kernel.load_ruleset`` loads it atomically;
  ``lab.refuse_partial`` refuses one with rules nftables cannot express.
* :class:`Lab` — ``up`` / ``reload`` / ``probe`` / ``down`` of network namespaces on this
  machine (``inputs_of`` is what a lab remembers of its inputs).
* :func:`case_probes` / :func:`matrix_probes` — what to send; :func:`judge` — kernel against
  engine (and the cases' expect), as ``tierwall lab probe -o json`` prints it.
"""

from .lab import Lab, PartialRuleset, inputs_of, refuse_partial
from .node import enforced_pods, node_ruleset, read_iface_map
from .probing import ProbePlan, ProbeReport, case_probes, judge, matrix_probes

__all__ = ["Lab", "PartialRuleset", "ProbePlan", "ProbeReport", "case_probes", "enforced_pods", "inputs_of", "judge",
           "matrix_probes", "node_ruleset", "read_iface_map", "refuse_partial"]
