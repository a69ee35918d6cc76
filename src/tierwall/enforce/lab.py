"""The network-namespace lab: pods as namespaces on this machine, policies as nftables rules.

Topology: one ``node`` namespace routes between every pod namespace over veth pairs (pod side
``eth0`` with the pod's IP/32 and a link-local default gateway that the node side of every veth
carries; node side a /32 route per pod), with IP forwarding on in the node namespace only. The
compiled ruleset is loaded into the node namespace, so the root namespace of this machine is
never touched, and packets only travel between the lab's own namespaces.

Naming: every namespace is ``tw_<lab>_...`` and lab names cannot contain ``_``, so two labs
never share a name (a hash prefix once let ``reltest-c26`` and ``reltest-c622`` collide);
veths are created inside the lab's node namespace, so their short names need no prefix. A
lock file serialises ``up``/``reload``/``down`` of one lab.

Failing closed: the node namespace gets a ruleset that forwards nothing before any veth
exists, so a lab killed half way through ``up`` forwards nothing; any failure during ``up``
removes everything it made.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..cluster import Cluster
from ..inventory import Pod
from .kernel import KernelError, load_ruleset, run
from .nft import Ruleset, blocking_ruleset, compile_ruleset
from .node import enforced_pods, iface_of

STATE_DIR = Path(os.environ.get("TIERWALL_LAB_DIR", "/run/tierwall"))
GATEWAY = "169.254.1.1"
TABLE = "tierwall"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]{0,63}$")


class LabError(KernelError):
    """The lab cannot be built or driven (missing tool, not root, kernel refusal, no such lab)."""


class PartialRuleset(LabError):
    """Some rules cannot be compiled and the caller did not accept a partial ruleset."""


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


def refuse_partial(ruleset: Ruleset) -> None:
    if ruleset.partial:
        raise PartialRuleset(f"{len(ruleset.unsupported)} part(s) of the policies cannot be enforced as written "
                             f"(listed above); nothing was loaded. Pass --allow-partial to enforce the rest: rules "
                             f"nftables cannot express then fail closed (see docs/enforce.md)")


def inputs_of(cluster: Cluster, cni: str | None) -> dict:
    """What a lab remembers of its inputs (``up``/``reload``'s ``inputs``): every object as
    read, and the ``--cni`` given."""
    objects = cluster.objects
    raws = [r for rs in objects.by_dialect.values() for r in rs] + list(objects.unknown)
    return {"cni": cni, "objects": [r.data for r in raws]}


class Lab:
    def __init__(self, name: str):
        if not isinstance(name, str) or not NAME.match(name):
            raise LabError(f"lab name {name!r} must be 1-64 letters, digits, '.' or '-', starting with a letter "
                           f"or digit")
        self.name = name
        self.prefix = f"tw_{name}_"
        self.node_ns = f"{self.prefix}node"
        self.dir = STATE_DIR / name
        self.table = TABLE

    # --- state ------------------------------------------------------------------------------
    @property
    def state_file(self) -> Path:
        return self.dir / "state.json"

    def state(self) -> dict:
        """The lab's recorded state; ``LabError`` when the lab is missing or half built."""
        try:
            state = json.loads(self.state_file.read_text())
        except FileNotFoundError:
            raise LabError(f"lab {self.name} is not up (run: tierwall lab up -f ... --name {self.name})") from None
        except (OSError, ValueError) as exc:
            raise LabError(f"lab {self.name}: its state is unreadable ({exc}); run: tierwall lab down "
                           f"--name {self.name}") from None
        if not state.get("complete"):
            raise LabError(f"lab {self.name} is half built (a 'lab up' was interrupted or is still running); "
                           f"run: tierwall lab down --name {self.name}")
        return state

    def _write_state(self, **fields) -> None:
        tmp = self.dir / "state.json.tmp"
        tmp.write_text(json.dumps(fields))
        tmp.replace(self.state_file)

    @property
    def inputs_file(self) -> Path:
        """The objects ``up`` was built from, so ``probe`` and ``reload`` need no ``-f``."""
        return self.dir / "inputs.yaml"

    @contextmanager
    def lock(self):
        """Exclusive use of the lab's name (``up``, ``reload``, ``down``); refuses at once when
        another process holds it, rather than building a second lab over the first."""
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        with open(STATE_DIR / f"{self.name}.lock", "a") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise LabError(f"lab {self.name} is being changed by another tierwall process; "
                               f"try again when it has finished") from None
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    # --- lifecycle --------------------------------------------------------------------------
    def pods_of(self, cluster: Cluster) -> list[Pod]:
        return enforced_pods(cluster)

    def pod_ns(self, pod: Pod) -> str:
        return f"{self.prefix}p{pod.index}"

    def iface(self, pod: Pod) -> str:
        return iface_of(pod)

    def up(self, cluster: Cluster, only: set[str] | None = None, allow_partial: bool = False,
           inputs: dict | None = None) -> Ruleset:
        """Build the lab; ``only`` limits the namespaces made to those pods (the ruleset still
        covers every pod: benchmarks measure a full cluster's ruleset with two live pods).
        ``inputs`` (``{"cni": ..., "objects": [...]}``) is kept for ``probe``/``reload``."""
        if os.geteuid() != 0:
            raise LabError("the lab needs root (network namespaces, veth pairs, nftables)")
        ruleset = self.compile(cluster)
        if not allow_partial:
            refuse_partial(ruleset)
        with self.lock():
            self._down()
            try:
                return self._up(cluster, ruleset, only, inputs)
            except BaseException:
                self._down()  # never leave a half-built lab behind (also on Ctrl-C)
                raise

    def _up(self, cluster: Cluster, ruleset: Ruleset, only: set[str] | None, inputs: dict | None) -> Ruleset:
        self.dir.mkdir(parents=True, exist_ok=True)
        pods = [p for p in self.pods_of(cluster) if only is None or p.key in only]
        self._write_state(name=self.name, pids=[], pods=[p.key for p in pods], complete=False)
        run("ip", "netns", "add", self.node_ns)
        node = ("ip", "netns", "exec", self.node_ns)
        load_ruleset(blocking_ruleset(self.table), self.node_ns)  # before any interface exists
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
            self._write_state(name=self.name, pids=pids, pods=[p.key for p in pods], complete=False)
            if agent.stdout.readline().strip() != "ready":
                raise LabError(f"the agent of {pod.key} did not start")
        for pod in pods:
            for cp in pod.ports:
                self.agent(pod, {"op": "listen", "proto": cp.protocol.lower(), "port": cp.port})
        load_ruleset(ruleset, self.node_ns)
        if inputs is not None:
            self.inputs_file.write_text(yaml.safe_dump_all(inputs.get("objects", [])))
        self._write_state(name=self.name, pids=pids, pods=[p.key for p in pods], complete=True,
                          cni=(inputs or {}).get("cni"), inputs=inputs is not None)
        return ruleset

    def compile(self, cluster: Cluster) -> Ruleset:
        pods = self.pods_of(cluster)
        return compile_ruleset(cluster.compiled, {p.key: self.iface(p) for p in pods}, pods, self.table)

    def apply(self, cluster: Cluster, allow_partial: bool = False) -> Ruleset:
        """Load the compiled ruleset into the running lab's node namespace: one transaction that
        keeps the table and base chain, so no packet meets a missing or half-loaded ruleset."""
        ruleset = self.compile(cluster)
        if not allow_partial:
            refuse_partial(ruleset)
        load_ruleset(ruleset, self.node_ns)
        return ruleset

    def reload(self, cluster: Cluster, allow_partial: bool = False, inputs: dict | None = None) -> Ruleset:
        """``apply`` on a lab that is up (its pods stay; new inputs replace the remembered ones)."""
        with self.lock():
            state = self.state()
            ruleset = self.apply(cluster, allow_partial)
            if inputs is not None:
                self.inputs_file.write_text(yaml.safe_dump_all(inputs.get("objects", [])))
                self._write_state(**{**state, "cni": inputs.get("cni"), "inputs": True})
            return ruleset

    def down(self) -> None:
        with self.lock():
            self._down()

    def _down(self) -> None:
        state = self.state_file
        if state.exists():
            try:
                pids = json.loads(state.read_text()).get("pids", [])
            except ValueError:
                pids = []
            for pid in pids:
                try:
                    os.killpg(pid, 9)
                except (ProcessLookupError, PermissionError):
                    pass
        for line in run("ip", "netns", "list", check=False).stdout.splitlines():
            ns = line.split()[0] if line.strip() else ""
            if ns.startswith(self.prefix):
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
        path = self.dir / f"p{pod.index}.sock"
        if not path.exists():
            raise LabError(f"lab {self.name} has no agent for {pod.key} (is the lab up, with that pod?)")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            try:
                s.connect(str(path))
            except OSError as exc:
                raise LabError(f"lab {self.name}: the agent of {pod.key} does not answer ({exc}); "
                               f"rebuild the lab with lab down / lab up") from None
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

