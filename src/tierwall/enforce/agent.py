"""The lab's in-pod agent: runs inside one pod's network namespace, serves the pod's ports and
sends probes on request.

    ip netns exec <pod-netns> python -m tierwall.enforce.agent SOCKET

Requests arrive as JSON lines on a UNIX socket (the file system is shared across network
namespaces, the network is not):
``{"op": "listen", "proto": "tcp"|"udp"|"sctp", "port": N}`` and
``{"op": "probe", "dst": IP, "proto": ..., "port": N, "sport": N|null, "timeout": S}`` and
``{"op": "loop", "dst": IP, "port": N, "seconds": S}`` (TCP connects back to back, counted);
answers are ``{"ok": true, ...}`` / ``{"verdict": "Allow"|"Drop"|"Reject"|"Error", "detail": ...}``.
A probe's verdict is what the client sees: connected / answered = Allow, refused (TCP reset,
ICMP unreachable) = Reject, silence until the timeout = Drop.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import socketserver
import subprocess
import sys
import threading

PROTO = {"tcp": (socket.SOCK_STREAM, 0), "udp": (socket.SOCK_DGRAM, 0),
         "sctp": (socket.SOCK_STREAM, getattr(socket, "IPPROTO_SCTP", 132))}
_listeners: dict[tuple[str, int], socket.socket] = {}
_lock = threading.Lock()


def listen(proto: str, port: int) -> dict:
    with _lock:
        if (proto, port) in _listeners:
            return {"ok": True}
        kind, number = PROTO[proto]
        try:
            s = socket.socket(socket.AF_INET, kind, number)
        except OSError as exc:
            return {"ok": False, "error": f"{proto} sockets unavailable: {exc}"}
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", port))
        if kind == socket.SOCK_STREAM:
            s.listen(128)
            threading.Thread(target=_accept, args=(s,), daemon=True).start()
        else:
            threading.Thread(target=_echo, args=(s,), daemon=True).start()
        _listeners[(proto, port)] = s
        return {"ok": True}


def _accept(s: socket.socket) -> None:
    while True:
        conn, _ = s.accept()
        conn.close()


def _echo(s: socket.socket) -> None:
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)


def probe(dst: str, proto: str, port: int | None, sport: int | None, timeout: float) -> dict:
    if proto == "icmp":
        r = subprocess.run(["ping", "-n", "-c", "1", "-W", str(max(1, int(timeout))), dst],
                           capture_output=True, text=True)
        if r.returncode == 0:
            return {"verdict": "Allow"}
        text = r.stdout + r.stderr
        if any(word in text for word in ("filtered", "Prohibited", "Unreachable", "unreachable")):
            return {"verdict": "Reject", "detail": text.strip().splitlines()[-1] if text.strip() else ""}
        return {"verdict": "Drop"}
    kind, number = PROTO[proto]
    try:
        s = socket.socket(socket.AF_INET, kind, number)
    except OSError as exc:
        return {"verdict": "Error", "detail": f"{proto} sockets unavailable: {exc}"}
    s.settimeout(timeout)
    try:
        if sport:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", sport))
        if kind == socket.SOCK_STREAM:
            s.connect((dst, port))
            return {"verdict": "Allow"}
        s.connect((dst, port))
        s.send(b"tierwall-probe")
        s.recv(2048)
        return {"verdict": "Allow"}
    except socket.timeout:
        return {"verdict": "Drop"}
    except ConnectionRefusedError:
        return {"verdict": "Reject", "detail": "refused"}
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EACCES, errno.EPERM):
            return {"verdict": "Reject", "detail": os.strerror(exc.errno)}
        return {"verdict": "Error", "detail": str(exc)}
    finally:
        s.close()


def bench(dst: str, port: int, count: int) -> dict:
    """TCP connect latency to dst:port, ``count`` times (for benchmarks/bench_nft.py)."""
    import time
    samples = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        start = time.perf_counter()
        s.connect((dst, port))
        samples.append(time.perf_counter() - start)
        s.close()
    samples.sort()
    return {"median_us": samples[len(samples) // 2] * 1e6, "p99_us": samples[int(len(samples) * 0.99)] * 1e6}


MAX_LOOP_SECONDS = 10.0


def connect_loop(dst: str, port: int, seconds: float) -> dict:
    """TCP connects to dst:port back to back for ``seconds`` (at most 10: the lab's reload test
    counts how many get through while rulesets are swapped); verdict → count."""
    import time
    counts = {"Allow": 0, "Drop": 0, "Reject": 0, "Error": 0}
    end = time.monotonic() + min(max(seconds, 0.0), MAX_LOOP_SECONDS)
    while time.monotonic() < end:
        counts[probe(dst, "tcp", port, None, 0.2)["verdict"]] += 1
    return counts


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            req = json.loads(line)
            if req["op"] == "listen":
                answer = listen(req["proto"], int(req["port"]))
            elif req["op"] == "bench":
                answer = bench(req["dst"], int(req["port"]), int(req["count"]))
            elif req["op"] == "loop":
                answer = connect_loop(req["dst"], int(req["port"]), float(req["seconds"]))
            elif req["op"] == "probe":
                answer = probe(req["dst"], req["proto"], req.get("port"), req.get("sport"), float(req["timeout"]))
            else:
                answer = {"ok": True}
            self.wfile.write((json.dumps(answer) + "\n").encode())
            self.wfile.flush()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def main() -> None:
    path = sys.argv[1]
    if os.path.exists(path):
        os.unlink(path)
    with _Server(path, _Handler) as server:
        print("ready", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    main()
