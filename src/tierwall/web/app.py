"""The ASGI application: routes that turn a request into a call of the library and a template.

Route handlers only parse parameters, call a view builder (``board``, ``traceflow``,
``heatmap``, ``checks``) and render; no analysis happens here. Every page is rendered on the
server and reads without JavaScript; the graph and the heatmap add vendored JS on top.
Read-only: the only POST is the reload button, which re-reads the same inputs.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from .. import __version__
from .board import Filter, build_board
from . import checks, heatmap
from .source import read_source
from .traceflow import FlowForm, choices
from .traceflow import run as run_trace
from .workspace import Workspace

HERE = Path(__file__).parent


def _templates() -> Jinja2Templates:
    # Autoescape on for every template (not only *.html): no input string reaches a page raw.
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True))
    return Jinja2Templates(env=env)


def create_app(workspace: Workspace, warm: bool = True) -> Starlette:
    """The app over one workspace (the inputs given to ``tierwall serve``).

    ``warm``: build the board, the matrix, the check report and lint in the background after
    every load, so that no page waits for them on its first visit.
    """
    templates = _templates()

    def ns_heat(cluster):
        return heatmap.namespaces(workspace.derived("matrix", heatmap.compute))

    def check_report(cluster):
        return checks.run_checks(cluster, workspace.test_paths)

    def fleet_report(cluster):
        return checks.run_fleet(workspace.fleet_path)

    if warm:
        workspace.warm([("board", build_board), ("fleet", fleet_report), ("matrix", heatmap.compute),
                        ("matrix-namespaces", ns_heat), ("check", check_report), ("lint", checks.run_lint)])

    def page(request: Request, name: str, status: int = 200, **context) -> Response:
        ws = workspace
        gen = ws.current
        context.update(ws=ws, gen=gen, version=__version__, nav=name.split(".")[0])
        return templates.TemplateResponse(request, name, context, status_code=status)

    def need_model(request: Request, name: str) -> Response | None:
        workspace.refresh()
        if workspace.current is None:
            return page(request, "errors.html", status=503)
        return None

    async def board(request: Request) -> Response:
        if (r := need_model(request, "board")) is not None:
            return r
        q = request.query_params
        flt = Filter(q.get("namespace", "").strip(), q.get("pod", "").strip(), q.get("labels", "").strip())
        gen = workspace.current
        if not flt.active:
            view = workspace.derived("board", build_board)
        else:
            view = build_board(gen.cluster, flt)
        namespaces = sorted(gen.cluster.inventory.namespaces)
        return page(request, "board.html", board=view, namespaces=namespaces)

    async def policy(request: Request) -> Response:
        if (r := need_model(request, "policy")) is not None:
            return r
        gen = workspace.current
        try:
            index = int(request.path_params["index"])
            pol = gen.cluster.model.policies[index]
        except (ValueError, IndexError):
            return page(request, "notfound.html", status=404, what="policy")
        origin = pol.ref.origin
        src = read_source(gen, origin.file, origin.line)
        view = next((p for s in workspace.derived("board", build_board).stages for p in s.policies if p.id == index),
                    None)
        return page(request, "policy.html", policy=pol, view=view, source=src)

    async def source(request: Request) -> Response:
        if (r := need_model(request, "source")) is not None:
            return r
        q = request.query_params
        line = q.get("line")
        src = read_source(workspace.current, q.get("file", ""), int(line) if line and line.isdigit() else None)
        if src is None:
            return page(request, "notfound.html", status=404, what="file (only input files are shown)")
        return page(request, "source.html", source=src)

    async def trace(request: Request) -> Response:
        if (r := need_model(request, "trace")) is not None:
            return r
        gen = workspace.current
        view = run_trace(gen.cluster, FlowForm.from_query(request.query_params))
        picks = workspace.derived("choices", choices)
        return page(request, "trace.html", status=400 if view.error else 200, view=view, choices=picks,
                    protocols=("TCP", "UDP", "SCTP", "ICMP"))

    async def matrix(request: Request) -> Response:
        if (r := need_model(request, "matrix")) is not None:
            return r
        q = request.query_params
        result = workspace.derived("matrix", heatmap.compute)
        heat = workspace.derived("matrix-namespaces", ns_heat)
        port = heat.ports.index(q["port"]) if q.get("port") in heat.ports else 0
        src, dst = q.get("from", ""), q.get("to", "")
        if src or dst:
            if src not in heat.rows or dst not in heat.cols:
                return page(request, "notfound.html", status=404, what="namespace pair")
            port_value, protocol = heatmap.port_flow(result, heat.ports[port])
            return page(request, "matrix_drill.html", heat=heat, port=port, src=src, dst=dst,
                        workloads=heatmap.drill(result, src, dst, "workload"),
                        pods=heatmap.drill(result, src, dst, "pod"), port_value=port_value, protocol=protocol)
        return page(request, "matrix.html", heat=heat, port=port, max_table=heatmap.MAX_TABLE)

    async def check(request: Request) -> Response:
        if (r := need_model(request, "check")) is not None:
            return r
        view = workspace.derived("check", check_report)
        # lint can take long on big clusters: show the page now, the findings when they are ready
        findings = workspace.derived("lint", checks.run_lint) if workspace.ready("lint") or not warm else None
        fleet = workspace.derived("fleet", fleet_report) if workspace.fleet_path else checks.run_fleet(None)
        return page(request, "check.html", check=view, findings=findings, fleet=fleet,
                    trace_query=checks.trace_query)

    async def reload(request: Request) -> Response:
        workspace.reload()
        back = request.headers.get("referer") or "/"
        if not back.startswith(str(request.base_url)):
            back = "/"
        return RedirectResponse(back, status_code=303)

    async def status(request: Request) -> Response:
        workspace.refresh()
        gen = workspace.current
        return JSONResponse({"generation": gen.number if gen else None,
                             "errors": [str(d) for d in workspace.errors],
                             "ready": sorted(gen.derived) if gen else []})

    routes = [
        Route("/", board),
        Route("/policy/{index}", policy),
        Route("/trace", trace),
        Route("/matrix", matrix),
        Route("/check", check),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Route("/source", source),
        Route("/reload", reload, methods=["POST"]),
        Route("/status", status),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.workspace = workspace
    return app
