"""Every diagnostic code tierwall emits: title, severity and the hint lint shows with it.

Codes are stable: 1xx errors (input the API server or a webhook would refuse, or that cannot be
used), 2xx warnings (accepted but not modelled, or almost certainly wrong), 3xx information.
``docs/lint.md`` lists them; a test checks that every code used in the sources is here.
"""

CHECKS: dict[str, tuple[str, str, str]] = {
    # errors: unusable input
    "TW100": ("input error", "error", "fix the input as the message says"),
    "TW101": ("unreadable input", "error", "check the path and its permissions"),
    "TW102": ("invalid YAML", "error", "fix the syntax at the line shown"),
    "TW103": ("not a Kubernetes object", "error", "every document needs apiVersion and kind"),
    "TW104": ("kustomize build failed", "error", "run kubectl kustomize on the folder and fix what it says"),
    "TW105": ("object not read by this CNI", "error", "pass the --cni the objects are written for"),
    "TW106": ("duplicate object", "error", "remove one of the two declarations"),
    "TW108": ("no such kind in a known API group", "error",
              "fix the kind's spelling (the did-you-mean names the kinds the group has)"),
    "TW107": ("tier priority reserved", "error", "move the user Tier off priority 220 (see Antrea's migration steps)"),
    "TW109": ("duplicate key", "error", "remove one of the two keys (the API server refuses duplicate fields)"),
    # errors: what the API server / admission webhooks refuse (one code per dialect)
    "TW110": ("invalid field", "error", "fix the field as the message says"),
    "TW111": ("Kubernetes API validation", "error", "the API server would refuse this NetworkPolicy"),
    "TW112": ("Antrea admission webhook", "error", "antrea-controller's webhook would refuse this object"),
    "TW113": ("Calico validation", "error", "the Calico API would refuse this object"),
    "TW114": ("AdminNetworkPolicy validation", "error", "the CRD schema or its CEL rules would refuse this object"),
    "TW115": ("ConnectivityTest format", "error", "see docs/connectivity-test.md"),
    "TW116": ("inventory object", "error", "the API server would refuse this object"),
    "TW117": ("Cilium validation", "error", "the Cilium CRD schema or agent would refuse this policy"),
    "TW118": ("RBAC or admission object", "error", "the API server would refuse this Role, binding or admission "
                                                   "policy"),
    "TW120": ("unresolvable test case", "error", "name endpoints that exist in the input"),
    "TW130": ("cluster not readable", "error", "check the context, the server address and your credentials "
                                                "(kubectl get ns with the same kubeconfig)"),
    "TW135": ("Fleet file", "error", "see docs/fleet.md"),
    # warnings: accepted, not modelled or suspicious input
    "TW200": ("warning", "warning", ""),
    "TW201": ("empty directory", "warning", "check the path"),
    "TW202": ("declared twice", "warning", "the last declaration wins"),
    "TW208": ("symbolic link loop", "warning", "remove the link that leads back into the directory"),
    "TW209": ("duplicate pod IP", "warning", "give each pod its own status.podIP"),
    "TW203": ("unknown node", "warning", "add the Node objects (node-local rules and node peers need them)"),
    "TW204": ("endpoints without a Service", "warning", "add the Service"),
    "TW205": ("pod without an address", "warning", "give the pod an IP or a node with a podCIDR"),
    "TW206": ("implied namespace", "warning", "add the Namespace with its labels: selectors may need them"),
    "TW207": ("not a ConnectivityTest", "warning", "give cluster objects with -f"),
    "TW210": ("unsupported field", "warning", "tierwall ignores this field; check its spelling"),
    "TW212": ("external entities not modelled", "warning", "VMs and external entities are not part of the model"),
    "TW213": ("Service without selector", "warning", "Antrea ignores it in groups"),
    "TW214": ("childGroups nested too deep", "warning", "a child group may not have children"),
    "TW215": ("missing child group", "warning", "create the child group or remove it from childGroups"),
    "TW216": ("multicluster scope", "warning", "ClusterSet scope is evaluated as this cluster only"),
    "TW217": ("Group unusable as appliedTo", "warning", "use a Group without namespaceSelector"),
    "TW218": ("host traffic not modelled", "warning", "Node and NodePort policies act on host traffic"),
    "TW219": ("empty appliedTo entry", "warning", "write podSelector: {} to say 'every pod'"),
    "TW220": ("protocol not modelled", "warning", "IGMP and other protocols never match a unicast flow"),
    "TW221": ("toServices without ClusterIP", "warning", "toServices only matches ClusterIP Services"),
    "TW222": ("unknown peer, failing closed", "warning", "the CRD is newer than tierwall's model"),
    "TW223": ("host endpoint feature", "warning", "doNotTrack/preDNAT/applyOnForward act on host endpoints"),
    "TW224": ("DNS-based network set", "warning", "allowedEgressDomains is resolved at run time"),
    "TW225": ("Calico kind not modelled", "warning", "host endpoints are not modelled"),
    "TW226": ("not enforced by this CNI", "warning", "this CNI does not implement the API; the object has no effect"),
    "TW230": ("kind not readable in the cluster", "warning",
              "ask for the permission the message names (kubectl auth can-i list ...)"),
    "TW227": ("group does not exist", "warning",
              "create the group or fix the name: until it exists the reference matches nothing (Antrea's webhook "
              "accepts it)"),
    # warnings: analysis (lint)
    "TW240": ("NSX category without L3/L4 rules", "warning", "Antrea clusters get L3/L4 rules from Emergency, "
                                                             "Infrastructure, Environment and Application only"),
    "TW241": ("central tier placement", "warning", "the central manager decides the tier; drop spec.tier from the "
                                                   "central folder"),
    "TW242": ("delivered twice", "warning", "deliver each object from one policy set only"),
    "TW243": ("cluster in no group", "warning", "add the cluster to a group (labels or name)"),
    "TW250": ("shadowed rule", "warning", "move the rule up, narrow the earlier rule, or remove this one"),
    "TW251": ("redundant rule", "warning", "remove the rule: earlier rules already give its verdict"),
    "TW252": ("overridden by an earlier tier", "warning",
              "if this rule should win, it belongs in an earlier tier; else remove it"),
    "TW253": ("NetworkPolicy has no effect", "warning",
              "earlier tiers decide all its flows; remove it or Pass the flows to it"),
    "TW254": ("selects nothing", "warning", "check the selector's labels, names and namespaces"),
    "TW255": ("undeclared named port", "warning", "declare the port on the pods or use a number"),
    "TW256": ("equal priority, conflicting actions", "warning", "give the policies distinct priorities"),
    "TW257": ("namespace-only label in a selector", "warning",
              "use namespaceSelector (or the pcns. prefix) to select by namespace labels"),
    "TW258": ("DNS egress allowed, ingress denied", "warning", "allow ingress on UDP/53 (and TCP/53) to the DNS pods"),
    "TW259": ("ipBlock decides on an invented address", "warning",
              "give the pods their status.podIP, or set the range invented addresses come from with --pod-cidr "
              "(Node spec.podCIDR is used when present)"),
    "TW260": ("binding to a missing role", "warning", "add the Role/ClusterRole to the input: until then the binding "
                                                      "grants nothing here"),
    "TW261": ("admission policy not evaluated", "warning", "tierwall cannot evaluate params or matchResources: the "
                                                           "tamper search treats the policy as not enforcing"),
    "TW262": ("tamper search without RBAC objects", "warning", "give the cluster's Roles and bindings with -f "
                                                               "(kubectl get roles,clusterroles,rolebindings,"
                                                               "clusterrolebindings -A -o yaml)"),
    # information
    "TW300": ("information", "info", ""),
    "TW301": ("finished pod ignored", "info", ""),
    "TW302": ("pods synthesized", "info", ""),
    "TW303": ("kind not read", "info", ""),
    "TW304": ("staged policy ignored", "info", ""),
    "TW305": ("admission policy without a Deny binding", "info", ""),
    "TW330": ("part of a cluster read", "info", ""),
}
"""code → (title, severity, hint)."""
