"""The ``cilium`` CNI profile: every deny before every allow, whatever policy holds them
(Documentation/security/policy/deny.rst); the allows of CiliumNetworkPolicy,
CiliumClusterwideNetworkPolicy and NetworkPolicy are one set whose end drops for pods in
default deny (intro.rst §Endpoint default policy), so NetworkPolicies go into the Cilium allow
stage. Cilium does not implement the admin policy APIs (cilium/cilium#23380)."""

from ...model import CniProfile
DENY_STAGE = "cilium:deny"
ALLOW_STAGE = "cilium:allow"

PROFILE = CniProfile("cilium", networkpolicy_priority=0.5, pass_to_networkpolicy=False, admin_stages={},
                     networkpolicy_tier=ALLOW_STAGE, networkpolicy_order=0.0)
