#!/usr/bin/env python3
"""Time the web UI on a generated cluster: the tier board and the namespace heatmap.

    python benchmarks/bench_web.py --pods 10000 --namespaces 500 --policies 2000 [--browser]

Serves the cluster made by ``generate.py`` (same seed as bench_tierwall.py) with uvicorn on
127.0.0.1 and measures, per page, the server's answer (HTTP, first visit on a cold model: the
board or the matrix is built for that request) and the answer once the background build is
done (what a user sees after the first seconds). With ``--browser``, Debian's Chromium also
loads each page until it is drawn (the heatmap's canvas painted). Needs the ``web`` and
``test`` extras (httpx, playwright).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "web"))

from browser import CHROMIUM, CHROMIUM_ARGS, Server  # noqa: E402
from cluster_args import add_cluster_arguments  # noqa: E402

from tierwall.web import Workspace  # noqa: E402

PAGES = {"board": "/", "heatmap": "/matrix"}


def fetch(url: str) -> tuple[float, int]:
    start = time.perf_counter()
    response = httpx.get(url, timeout=600)
    response.raise_for_status()
    return time.perf_counter() - start, len(response.content)


def in_browser(base: str, runs: int) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for name, path in PAGES.items():
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                page.goto(base + path, wait_until="load")
                if name == "heatmap":
                    page.wait_for_function("window.tierwallHeat !== undefined")
                times.append(time.perf_counter() - start)
            out[name] = statistics.median(times)
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_cluster_arguments(ap)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--browser", action="store_true")
    args = ap.parse_args()
    result: dict = {"size": f"{args.pods} pods / {args.namespaces} ns / {args.policies} policies"}
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(HERE / "generate.py"), tmp, "--pods", str(args.pods), "--namespaces",
                        str(args.namespaces), "--policies", str(args.policies), "--seed", str(args.seed)],
                       check=True)
        start = time.perf_counter()
        cold = Workspace([tmp])
        result["load_s"] = time.perf_counter() - start
        with Server(cold, warm=False) as server:  # nothing prebuilt: each first visit builds its view
            for name, path in PAGES.items():
                result[f"{name}_first_visit_s"], result[f"{name}_bytes"] = fetch(server.url + path)
                result[f"{name}_built_s"] = statistics.median(fetch(server.url + path)[0] for _ in range(args.runs))
            if args.browser:
                result.update({f"{k}_browser_s": v for k, v in in_browser(server.url, args.runs).items()})
    for key, value in result.items():
        print(f"{key:28} {value:.2f}" if isinstance(value, float) else f"{key:28} {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
