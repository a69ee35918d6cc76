"""``tierwall serve``: a read-only web UI over the library (extra ``tierwall[web]``).

Tier board, traceflow graph, matrix heatmap and check results, rendered on the server with
Jinja2 templates on a Starlette app; the graph and heatmap use JS libraries vendored in
``static/vendor`` (no CDN). Importing this package needs the ``web`` extra.
"""

from .app import create_app
from .workspace import Workspace

__all__ = ["Workspace", "create_app"]
