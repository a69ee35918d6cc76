"""A real server and Debian's Chromium for the browser tests (one of each per session).

Playwright cannot download its own browser here, so it drives ``/usr/bin/chromium``; a
missing browser fails the run (the Makefile's ``prereqs`` installs it), it never skips.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time

import uvicorn

from tierwall.web import Workspace, create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
"""Debian's Chromium (``make prereqs`` installs it)."""
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """uvicorn serving one workspace on 127.0.0.1 in a background thread."""

    def __init__(self, workspace: Workspace, warm: bool = True):
        self.port = free_port()
        config = uvicorn.Config(create_app(workspace, warm=warm), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "Server":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
