"""Small fleets written into a temporary folder, for the fleet tests."""

from __future__ import annotations

from pathlib import Path

import yaml

from helpers import namespace, node, pod, service  # noqa: F401  (re-exported for the tests)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "fleet"


def write(path: Path, *objs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump_all(list(objs), sort_keys=False))
    return path


def small_cluster(folder: Path, name: str, octet: int, extra=()) -> Path:
    """Namespaces app and tools, pods app/web-0, app/web-1 and tools/box-0, one node; pod IPs
    10.<octet>.0.x, node 172.30.<octet>.2 — distinct per cluster."""
    write(folder / "cluster.yaml",
          node(f"{name}-node", f"172.30.{octet}.2"),
          namespace("app", env="x"), namespace("tools"),
          pod("app", "web-0", f"10.{octet}.0.10", {"app": "web"}, node=f"{name}-node"),
          pod("app", "web-1", f"10.{octet}.0.11", {"app": "web"}, node=f"{name}-node"),
          pod("tools", "box-0", f"10.{octet}.0.20", {"app": "box"}, node=f"{name}-node"),
          *extra)
    return folder


def acnp(name, tier, ingress=None, egress=None, applied=None, priority=5, labels=None):
    spec = {"tier": tier, "priority": priority,
            "appliedTo": applied or [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "app"}}}]}
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    md = {"name": name}
    if labels:
        md["labels"] = labels
    return {"apiVersion": "crd.antrea.io/v1beta1", "kind": "ClusterNetworkPolicy", "metadata": md, "spec": spec}


def deny_tools(name="deny-tools", tier="securityops"):
    """Drop everything from the tools namespace into app."""
    return acnp(name, tier, ingress=[{"name": "no-tools", "action": "Drop", "from": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "tools"}}}]}])


def connectivity_test(name, *cases):
    return {"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest", "metadata": {"name": name},
            "spec": {"cases": list(cases)}}


def case(src, dst, port, expect, name=None):
    out = {"from": src, "to": dst, "port": port, "expect": expect}
    if name:
        out["name"] = name
    return out


def fleet_file(folder: Path, clusters, groups, central=()) -> Path:
    return write(folder / "fleet.yaml", {"apiVersion": "tierwall.dev/v1alpha1", "kind": "Fleet",
                                         "metadata": {"name": "t"},
                                         "spec": {"clusters": clusters, "groups": groups,
                                                  **({"central": list(central)} if central else {})}})
