"""Start-up and exit of the command as a process: a 1,000-pod matrix is mostly start-up, so what
a run imports and how it ends are part of its speed — and must never cost an output byte, an
exit code or a profiler's figures."""

import fcntl
import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

from helpers import dump, namespace, pod

ROOT = Path(__file__).resolve().parents[2]
GUESTBOOK = ROOT / "examples" / "guestbook"

DENY_ALL = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": "deny", "namespace": "x"},
            "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}}


def tierwall(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tierwall", *args], capture_output=True, text=True, cwd=cwd)


def netpol_cluster(tmp_path: Path) -> Path:
    path = tmp_path / "cluster.yaml"
    path.write_text(dump([namespace("x"), pod("x", "a", "10.0.0.1", {"app": "a"}),
                          pod("x", "b", "10.0.0.2", {"app": "b"}), DENY_ALL]))
    return path


def test_fast_exit_keeps_every_output_byte_and_the_exit_code(tmp_path):
    """The process ends without the interpreter's tear-down: a large document piped out must
    arrive whole, and the codes 0 (done), 1 (a check failed), 2 (bad input) stay."""
    cluster = netpol_cluster(tmp_path)
    done = tierwall("matrix", "-f", str(cluster), "-o", "json", "--by", "pod")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # the whole document, or this raises
    names = [e["name"] for e in doc["endpoints"]]
    assert "x/a" in names and "x/b" in names

    tests = tmp_path / "tests.yaml"
    tests.write_text(yaml.safe_dump({"apiVersion": "tierwall.dev/v1alpha1", "kind": "ConnectivityTest",
                                     "metadata": {"name": "t"},
                                     "spec": {"cases": [{"from": "x/a", "to": "x/b", "port": 80,
                                                         "expect": "Allow"}]}}))
    failed = tierwall("check", "-f", str(cluster), "--tests", str(tests), "-o", "json")
    assert failed.returncode == 1, failed.stderr
    assert json.loads(failed.stdout)["summary"]["failed"] == 1

    bad = tierwall("matrix", "-f", str(tmp_path / "missing.yaml"))
    assert bad.returncode == 2 and "no such file" in bad.stderr


def test_a_profiler_still_gets_its_figures(tmp_path):
    """``python -m cProfile`` writes its figures after the program returns: the fast exit must
    not be taken under a profiler (or a debugger's tracer)."""
    out = tmp_path / "prof.out"
    run = subprocess.run([sys.executable, "-m", "cProfile", "-o", str(out), "-m", "tierwall", "matrix", "-f",
                          str(netpol_cluster(tmp_path)), "-o", "json"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert out.exists() and out.stat().st_size > 0


def test_a_matrix_imports_only_what_its_input_uses():
    """A NetworkPolicy-only matrix loads no other dialect's lowering, no check engine, no live
    client and no ``numpy.ma``: each is milliseconds of a run that is mostly start-up."""
    probe = (
        "import sys\n"
        "from tierwall.cli.main import cli\n"
        "try:\n"
        f"    cli(['matrix', '-f', {str(GUESTBOOK / 'cluster.yaml')!r}, '-o', 'json', '--cni', 'generic'],"
        " prog_name='tierwall')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    loaded = set(run.stderr.split())
    assert "tierwall.engine.matrix" in loaded  # the probe did run a matrix
    assert "tierwall.dialects.kubernetes.dialect" in loaded
    for lazy in ("tierwall.dialects.calico.lower", "tierwall.dialects.antrea.lower", "tierwall.dialects.cilium.lower",
                 "tierwall.dialects.adminnetpol.lower", "tierwall.selectors.calico", "tierwall.expect",
                 "tierwall.live", "numpy.ma", "traceback"):
        assert lazy not in loaded, f"{lazy} is imported by a matrix that does not use it"


def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path):
    """``tierwall matrix -o csv | head``: the reader closes the pipe; the command ends with
    141 (as a process ended by SIGPIPE, like kubectl in the same pipe) and prints nothing —
    not "internal error, please report" (exit 3), which it did.

    The pipe is made here and shrunk to one page, so the writer is sure to meet the closed end:
    with the kernel's default capacity (64 KiB, or more), an output that fits is written whole
    before the reader leaves on a fast machine and the command rightly ends with 0 (that made
    this test fail in CI once)."""
    path = tmp_path / "cluster.yaml"
    pods = [pod("x", f"p{i}", f"10.0.{i // 250}.{i % 250 + 1}", {"app": f"a{i % 7}"}) for i in range(400)]
    path.write_text(dump([namespace("x"), *pods, DENY_ALL]))
    page = os.sysconf("SC_PAGE_SIZE")
    for output in (["-o", "csv"], ["-o", "json", "--by", "pod"]):
        read_end, write_end = os.pipe()
        fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, page)
        capacity = fcntl.fcntl(write_end, fcntl.F_GETPIPE_SZ)
        proc = subprocess.Popen([sys.executable, "-m", "tierwall", "matrix", "-f", str(path), *output],
                                stdout=write_end, stderr=subprocess.PIPE)
        os.close(write_end)
        try:
            assert len(os.read(read_end, 100)) > 0
        finally:
            os.close(read_end)  # the writer meets a closed pipe: its output is far more than the pipe holds
        err = proc.stderr.read().decode()
        assert proc.wait() == 141, err
        assert err == ""
        whole = subprocess.run([sys.executable, "-m", "tierwall", "matrix", "-f", str(path), *output],
                               capture_output=True, check=True).stdout
        assert len(whole) > 4 * capacity  # the premise: the output does not fit in the pipe
