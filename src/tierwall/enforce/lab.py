"""The network-namespace lab: pods as namespaces on this machine, policies as nftables rules.

Topology: one ``node`` namespace routes between every pod namespace over veth pairs (pod side
``eth0`` with the pod's IP/32 and a link-local default gateway that the node side of every veth
carries; node side a /32 route per pod), with IP forwarding on in the node namespace only. The compiled ruleset is
loaded into the node namespace, so the root namespace of this machine is never touched, and
packets only travel between the lab's own namespaces. Every name starts with the lab's prefix:
``down`` removes whatever carries it, even after a crash half way through ``up``.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..cluster import Cluster
from ..errors import TierwallError
from ..inventory import Pod
from .nft import Ruleset, compile_ruleset

STATE_DIR = Path(os.environ.get("TIERWALL_LAB_DIR", "/run/tierwall"))
GATEWAY = "169.254.1.1"


class LabError(TierwallError):
    """The lab cannot be built or driven (missing tool, not root, kernel refusal)."""


def run(*args: str, input: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(list(args), input=input, capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise LabError(f"{args[0]} is not installed (install nftables and iproute2)") from exc
    if check and result.returncode != 0:
        raise LabError(f"{' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result


def prefix_of(name: str) -> str:
    """A short, stable prefix for every object of lab ``name`` (interface names are ≤ 15 chars)."""
    return "tw" + hashlib.sha1(name.encode()).hexdigest()[:5]


@dataclass
class Probe:
    src: Pod
    dst: Pod
    protocol: str
    port: int | None
    sport: int | None = None


@dataclass
class Observed:
    probe: Probe
    verdict: str
    detail: str = ""
    rules: list[str] = field(default_factory=list)
    """Comments of the nft rules whose counters moved for this probe (egress, ingress)."""


class Lab:
    def __init__(self, name: str):
        self.name = name
        self.prefix = prefix_of(name)
        self.node_ns = f"{self.prefix}-node"
        self.dir = STATE_DIR / self.prefix
        self.table = f"tierwall_{self.prefix}"

    # --- lifecycle --------------------------------------------------------------------------
    def pods_of(self, cluster: Cluster) -> list[Pod]:
        return [p for p in cluster.inventory.pods if p.ips and not p.host_network and ":" not in p.ip]

    def pod_ns(self, pod: Pod) -> str:
        return f"{self.prefix}-p{pod.index}"

    def iface(self, pod: Pod) -> str:
        return f"{self.prefix}v{pod.index}"[:15]

    def up(self, cluster: Cluster, only: set[str] | None = None) -> Ruleset:
        """Build the lab; ``only`` limits the namespaces made to those pods (the ruleset still
        covers every pod: benchmarks measure a full cluster's ruleset with two live pods)."""
        if os.geteuid() != 0:
            raise LabError("the lab needs root (network namespaces, veth pairs, nftables)")
        self.down()
        self.dir.mkdir(parents=True, exist_ok=True)
        pods = [p for p in self.pods_of(cluster) if only is None or p.key in only]
        run("ip", "netns", "add", self.node_ns)
        node = ("ip", "netns", "exec", self.node_ns)
        run(*node, "ip", "link", "set", "lo", "up")
        run(*node, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        run(*node, "sysctl", "-qw", "net.ipv4.conf.all.rp_filter=0")
        pids = []
        for pod in pods:
            ns, host = self.pod_ns(pod), self.iface(pod)
            run("ip", "netns", "add", ns)
            run("ip", "link", "add", host, "netns", self.node_ns, "type", "veth", "peer", "name", "eth0",
                "netns", ns)
            inside = ("ip", "netns", "exec", ns)
            run(*inside, "ip", "link", "set", "lo", "up")
            run(*inside, "ip", "addr", "add", f"{pod.ip}/32", "dev", "eth0")
            run(*inside, "ip", "link", "set", "eth0", "up")
            run(*inside, "ip", "route", "add", GATEWAY, "dev", "eth0")
            run(*inside, "ip", "route", "add", "default", "via", GATEWAY, "dev", "eth0")
            run(*node, "ip", "addr", "add", f"{GATEWAY}/32", "dev", host)  # every pod's gateway, on its own link
            run(*node, "ip", "link", "set", host, "up")
            run(*node, "sysctl", "-qw", f"net.ipv4.conf.{host}.rp_filter=0")
            run(*node, "ip", "route", "add", f"{pod.ip}/32", "dev", host)
            sock = str(self.dir / f"p{pod.index}.sock")
            agent = subprocess.Popen(["ip", "netns", "exec", ns, sys.executable, "-m", "tierwall.enforce.agent", sock],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     start_new_session=True, env={**os.environ, "PYTHONPATH": _pythonpath()})
            pids.append(agent.pid)
            agent.stdout.readline()  # "ready"
        (self.dir / "state.json").write_text(json.dumps({"name": self.name, "pids": pids,
                                                          "pods": [p.key for p in pods]}))
        for pod in pods:
            for cp in pod.ports:
                self.agent(pod, {"op": "listen", "proto": cp.protocol.lower(), "port": cp.port})
        return self.apply(cluster)

    def apply(self, cluster: Cluster) -> Ruleset:
        """Load the compiled ruleset into the node namespace (one atomic transaction)."""
        pods = self.pods_of(cluster)
        ruleset = compile_ruleset(cluster.compiled, {p.key: self.iface(p) for p in pods}, pods, self.table)
        run("ip", "netns", "exec", self.node_ns, "nft", "-f", "-", input=ruleset.text)
        return ruleset

    def down(self) -> None:
        state = self.dir / "state.json"
        if state.exists():
            for pid in json.loads(state.read_text()).get("pids", []):
                try:
                    os.killpg(pid, 9)
                except (ProcessLookupError, PermissionError):
                    pass
        for line in run("ip", "netns", "list", check=False).stdout.splitlines():
            ns = line.split()[0] if line.strip() else ""
            if ns.startswith(self.prefix + "-"):
                for pid in run("ip", "netns", "pids", ns, check=False).stdout.split():
                    try:
                        os.kill(int(pid), 9)
                    except (ProcessLookupError, ValueError):
                        pass
                run("ip", "netns", "del", ns, check=False)
        if self.dir.exists():
            for f in self.dir.iterdir():
                f.unlink()
            self.dir.rmdir()

    # --- probes -----------------------------------------------------------------------------
    def agent(self, pod: Pod, request: dict) -> dict:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(str(self.dir / f"p{pod.index}.sock"))
            s.sendall((json.dumps(request) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        return json.loads(data or b"{}")

    def counters(self) -> dict[tuple[str, int], tuple[int, str]]:
        """(chain, rule handle) → (packets, comment) of every counted rule of the lab's table."""
        out = run("ip", "netns", "exec", self.node_ns, "nft", "-j", "list", "table", "inet", self.table).stdout
        result = {}
        for item in json.loads(out).get("nftables", []):
            rule = item.get("rule")
            if not rule:
                continue
            packets = next((e["counter"]["packets"] for e in rule.get("expr", []) if "counter" in e), None)
            if packets is not None:
                result[(rule["chain"], rule["handle"])] = (packets, rule.get("comment", ""))
        return result

    def probe(self, probes: list[Probe], timeout: float = 1.0, workers: int = 16, progress=None) -> list[Observed]:
        """Send every probe; batches never share a source or a destination, so the counters that
        move during a batch name each probe's rules."""
        for p in probes:
            if p.protocol != "ICMP":
                self.agent(p.dst, {"op": "listen", "proto": p.protocol.lower(), "port": p.port})
        pending = list(probes)
        results: list[Observed] = []
        done = 0
        with ThreadPoolExecutor(max_workers=workers) as pool:
            while pending:
                batch, used_src, used_dst, rest = [], set(), set(), []
                for p in pending:
                    if p.src.key in used_src or p.dst.key in used_dst or len(batch) >= workers:
                        rest.append(p)
                    else:
                        batch.append(p)
                        used_src.add(p.src.key)
                        used_dst.add(p.dst.key)
                pending = rest
                before = self.counters()
                answers = list(pool.map(lambda p: self.agent(p.src, {
                    "op": "probe", "dst": p.dst.ip, "proto": p.protocol.lower(), "port": p.port,
                    "sport": p.sport, "timeout": timeout}), batch))
                after = self.counters()
                moved = {k: v[1] for k, v in after.items() if v[0] > before.get(k, (0, ""))[0]}
                for p, answer in zip(batch, answers):
                    chains = (f"e{p.src.index}_", f"i{p.dst.index}_")
                    rules = [comment for (chain, _), comment in sorted(moved.items())
                             if chain.startswith(chains)]
                    results.append(Observed(p, answer.get("verdict", "Error"), answer.get("detail", ""), rules))
                done += len(batch)
                if progress is not None:
                    progress(done, len(probes))
        order = {id(p): i for i, p in enumerate(probes)}
        return sorted(results, key=lambda o: order[id(o.probe)])


def _pythonpath() -> str:
    here = Path(__file__).resolve().parents[2]
    return os.pathsep.join([str(here), os.environ.get("PYTHONPATH", "")])

