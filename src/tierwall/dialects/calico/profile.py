"""The ``calico`` CNI profile: tiers by order; Kubernetes NetworkPolicies are policies of the
default tier at order 1000; Pass goes to the next tier; admin policies live in the kube-admin
(1000) and kube-baseline (10,000,000) tiers, both ending in Pass (spec/calico.md §1.3, §1.7;
libcalico-go/lib/names/policy.go; api/pkg/apis/projectcalico/v3/tier.go)."""

from ...model import AdminStage, CniProfile

ADMIN = AdminStage("tier:kube-admin", "Tier kube-admin (order 1000, default Pass)", 1000.0)
BASELINE = AdminStage("tier:kube-baseline", "Tier kube-baseline (order 10000000, default Pass)", 10_000_000.0)

PROFILE = CniProfile("calico", networkpolicy_priority=1_000_000.0, pass_to_networkpolicy=False,
                     admin_stages={"anp": ADMIN, "cnp-admin": ADMIN, "banp": BASELINE, "cnp-baseline": BASELINE},
                     networkpolicy_tier="tier:default", networkpolicy_order=1000.0)
