"""The ``antrea`` CNI profile: where Antrea puts every stage.

NetworkPolicies sit between the application (250) and baseline (253) tiers; the evaluator
places them at 251 (spec/antrea.md §2), after AdminNetworkPolicies, which Antrea puts at tier
priority 251 (docs/admin-network-policy.md: native non-baseline > ANP > K8s NP > native
baseline > BANP); the upstream ClusterNetworkPolicy Admin tier at 220, Baseline at 254
(docs/cluster-network-policy.md). 251.5 keeps "after the ANPs, before baseline".
"""

from ...model import AdminStage, CniProfile

BASELINE = AdminStage("baseline-admin", "Baseline admin tier (254: BaselineAdminNetworkPolicy / "
                                        "ClusterNetworkPolicy Baseline)", 254.0)
CNP_ADMIN = AdminStage("cnp-admin", "ClusterNetworkPolicy Admin tier (220)", 220.0)

PROFILE = CniProfile("antrea", networkpolicy_priority=251.5, pass_to_networkpolicy=True,
                     admin_stages={"cnp-admin": CNP_ADMIN, "anp": AdminStage("anp", "AdminNetworkPolicy (251)", 251.0),
                                   "banp": BASELINE, "cnp-baseline": BASELINE})
