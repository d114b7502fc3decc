"""`corridor-sim serve`: load the scenario, bind the address, run the unchanged scenario, serve until Ctrl-C."""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from corridor_sim.errors import ScenarioError


def serve(
    path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    replications: int = 10,
    seed: int | None = None,
    workers: int | None = None,
    destination: str | None = None,
    sets: Sequence[str] = (),
    max_events: float | None = None,
    save_dir: Path | None = None,
) -> int:
    """Serve the live tuning page of `path`; returns when the server stops (Ctrl-C or SIGTERM).

    The scenario and options are checked first (they need no extra), so bad input is named as such either way.
    Long because it is the page's whole life in order: checks, start-up, serving, and shutdown on a signal."""
    from corridor_sim.serve.figures import draw
    from corridor_sim.serve.runner import Runner
    from corridor_sim.serve.session import Session
    from corridor_sim.tuning.evaluate import pick_destination
    from corridor_sim.workload import DEFAULT_MAX_EVENTS

    if replications < 1:
        raise ScenarioError("must be at least 1", key="--replications")
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ScenarioError("must be at least 1", key="--workers")
    session = Session.load(path, list(sets))
    try:
        from werkzeug.serving import make_server

        from corridor_sim.serve.app import build_app
    except ImportError as exc:
        raise ScenarioError(f'needs the ui extra (pip install -e ".[ui]"): {exc}', file="corridor-sim serve") from None
    session.replications = replications
    session.study.max_events = DEFAULT_MAX_EVENTS if max_events is None else max_events
    base = session.study.base
    session.check_work(base)
    destinations = sorted({f.destination for f in base.demand.flows.values()})
    chosen = pick_destination(base, destination) or destinations[0]
    seed = base.simulation.seed if seed is None else seed
    runner = Runner(base, replications, seed, workers, draw)
    app = build_app(session, runner, destinations, chosen, save_dir or Path.cwd())
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request in the terminal
    try:
        server = make_server(host, port, app.server, threaded=True)
    except OSError as exc:
        raise ScenarioError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", key="--port") from None
    address = f"http://{host}:{server.server_port}/"
    # The page is served at once (it says it is running the unchanged scenario); this thread runs that scenario,
    # then only waits, so Ctrl-C (KeyboardInterrupt, always raised in the main thread) stops everything.
    serving = threading.Thread(target=server.serve_forever, name="corridor-sim-serve", daemon=True)
    serving.start()
    print(f"corridor-sim serve: {address}  (Ctrl-C stops)", flush=True)
    try:
        runner.start()
        while serving.is_alive():
            serving.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
        runner.stop()
    print("corridor-sim serve: stopped", file=sys.stderr, flush=True)
    return 0
