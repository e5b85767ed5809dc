"""`aigc new`: a requirement or an OpenAPI document in, a tested front-end + back-end project out."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from aigc.cli import options as o
from aigc.cli.render import err, out, progress
from aigc.errors import UsageError

if TYPE_CHECKING:  # the project layer is imported when a project is built, not for `aigc --help`
    from aigc.project.pipeline import ProjectReport
    from aigc.project.runner import TestRun
    from aigc.project.service_build import ServiceReport


def new(
    requirement: Annotated[str | None, typer.Argument(help="What the app should do (中文 or English).")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="The project folder to create.")] = None,
    openapi: Annotated[Path | None, typer.Option("--openapi", help="Build from an OpenAPI 3 document.")] = None,
    spec: Annotated[Path | None, typer.Option("--spec", help="Build from a spec (appspec.json, edited).")] = None,
    spec_only: Annotated[bool, typer.Option("--spec-only", help="Print the spec and stop.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Write into a folder that is not empty.")] = False,
    run: Annotated[bool, typer.Option("--run", help="Serve the app on loopback afterwards.")] = False,
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port for --run (0: a free one).")] = 0,
    host: Annotated[
        str, typer.Option("--host", help="Address for --run (0.0.0.0 inside a container; loopback by default).")
    ] = "127.0.0.1",
    rules: Annotated[
        bool,
        typer.Option(
            "--rules/--no-rules", help="Have the model write verified checks for business rules and code for actions."
        ),
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    model: o.ModelOpt = None,
    api_base: o.ApiBaseOpt = None,
    api_key: o.ApiKeyOpt = None,
    engine: o.EngineOpt = None,
) -> None:
    """Generate a FastAPI + SQLite back-end with an HTML/JS front-end, its tests, and run them."""
    from aigc.project.pipeline import prepare_folder
    from aigc.tasks.new import build, build_from_document, project_spec, service_document

    if not spec_only and output is None:
        raise UsageError("say where the project goes: -o DIR (or --spec-only to see the spec)")
    if output is not None and not spec_only:
        prepare_folder(output, force)  # refuse early, before any model time is spent
    settings = o.settings_from(locals())
    say = (lambda _: None) if as_json and spec_only else progress
    engines: list[Any] = []

    def engine_once() -> Any:  # the spec and the rules' checks share one loaded model
        if not engines:
            engines.append(o.engine_from(settings))
        return engines[0]

    doc = service_document(openapi, requirement)
    if doc is not None:
        if spec_only:
            raise UsageError("this document is built as a service, from its operations: there is no spec to show")
        assert output is not None
        service = build_from_document(
            doc,
            output,
            home=settings.home,
            engine_factory=engine_once if rules else None,
            requirement=requirement or "",
            seed=settings.seed,
            on_event=progress,
        )
        _finish(
            service,
            as_json,
            lambda: _show_service(service),
            run and (lambda: _serve(output, False, host, port, settings.home, service.done)),
        )
        return
    source = project_spec(
        requirement=requirement,
        spec_file=spec,
        openapi=openapi,
        engine_factory=engine_once,
        seed=settings.seed,
        on_event=say,
    )
    if spec_only:
        text = source.spec.model_dump_json(indent=2)
        if as_json:
            sys.stdout.write(text + "\n")
        else:
            out.print_json(text)
            _assumptions(source.spec.assumptions)
        return
    assert output is not None
    report = build(
        source,
        output,
        home=settings.home,
        engine_factory=engine_once,
        rules=rules,
        seed=settings.seed,
        on_event=progress,
    )
    token_auth = report.spec.auth.kind == "token"
    serve = run and (lambda: _serve(output, token_auth, host, port, settings.home, report.done))
    _finish(report, as_json, lambda: _show(report), serve)


def _finish(
    report: ProjectReport | ServiceReport,
    as_json: bool,
    show: Callable[[], None],
    serve: Callable[[], None] | bool,
) -> None:
    """The report as JSON or shown, the app served when asked (`serve` False when not), and exit 1 unless done."""
    if as_json:
        sys.stdout.write(json.dumps(report.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        show()
    if callable(serve):
        serve()
    if not report.done:
        raise typer.Exit(1)


def _assumptions(assumptions: list[str]) -> None:
    skipped = [a.removeprefix("not built: ") for a in assumptions if a.startswith("not built: ")]
    assumed = [a for a in assumptions if not a.startswith("not built: ")]
    if assumed:
        err.print("[bold]assumed where the requirement was silent:[/]")
        for a in assumed:
            err.print(f"  - {a}", markup=False)
    if skipped:
        err.print(
            f"[yellow bold]not built ({len(skipped)} operations the templates cannot make; give a requirement with "
            "--openapi to have every operation written as a service, or write them yourself):[/]"
        )
        for a in skipped:
            err.print(f"  - {a}", markup=False)


def _show(report: ProjectReport) -> None:
    spec = report.spec
    table = Table(title=f"{spec.name} · {len(spec.entities)} entities · {len(spec.endpoints)} endpoints")
    for col in ("method", "path", "what", "status"):
        table.add_column(col)
    for ep in spec.endpoints:
        table.add_row(ep.method, ep.path, ep.summary, str(ep.success_status))
    out.print(table)
    tree = Tree(str(report.folder))
    for name in report.files:
        tree.add(name)
    out.print(tree)
    _checks_and_tests(report.checks, report.tests, "tests")
    probe = report.probe
    if probe is not None:
        ok = sum(s["ok"] for s in probe.steps)
        started = "started" if probe.started else "did NOT start"
        out.print(f"probe: app {started}; {ok}/{len(probe.steps)} requests answered as the spec says")
        for s in probe.steps:
            if not s["ok"]:
                got = escape(f"got {s['status']}, expected {s['expect']} {s['answer']}")
                out.print(f"  [red]{escape(s['method'])} {escape(s['path'])}[/]: {got}", highlight=False)
        if probe.log:
            out.print(probe.log, markup=False)
    _assumptions(spec.assumptions)
    colour = {"enforced": "green", "covered": "green", "not enforced": "yellow"}
    for title, outcomes in (("business rules", report.rules), ("actions", report.actions)):
        if outcomes:
            out.print(f"{title}:")
        for r in outcomes:
            status = "served" if title == "actions" and r.status == "enforced" else r.status
            out.print(f"  - [{colour[r.status]}]{status}[/]: {escape(r.rule)} ({escape(r.why)})")
    if report.done:
        verdict = "[green]done[/]: tests pass and the app answers every endpoint"
    else:
        missing = f" ({len(report.missing)} operation(s) of the document not built)" if report.missing else ""
        verdict = "[red]not done[/]" + missing
    out.print(f"{verdict} · {report.seconds:.1f} s · report: {report.folder / 'aigc-report.json'}")
    out.print(f"run it: cd {report.folder} && {report.to_json()['run']}", markup=False)


def _checks_and_tests(checks: dict[str, dict[str, Any]], tests: TestRun | None, title: str) -> None:
    failed_checks = [f for f, c in checks.items() if not c["passed"]]
    out.print(f"static checks: {'all passed' if not failed_checks else 'failed in ' + ', '.join(failed_checks)}")
    if tests is not None:
        out.print(f"{title}: {tests.passed} passed, {tests.failed} failed ({tests.status}, {tests.seconds:.1f} s)")
        for o_ in tests.outcomes:  # names and errors come from the sandbox: never read as markup
            if not o_.passed:
                out.print(f"  [red]FAILED[/] {escape(o_.name)}: {escape(o_.error)}", highlight=False)


def _show_service(report: ServiceReport) -> None:
    table = Table(title=f"{report.title} · {len(report.operations)} operations")
    for col in ("operation", "handler", "built"):
        table.add_column(col)
    outcomes = {h.operation: h for h in report.handlers}
    for op in report.operations:
        h = outcomes.get(op.where)
        built = "[green]yes[/]" if h and h.code else "[red]no[/]"
        why = escape(h.why) if h else "no model was asked to write it"
        table.add_row(escape(op.where), f"backend/handlers/{op.name}.py", f"{built}: {why}")
    out.print(table)
    _checks_and_tests(report.checks, report.tests, "tests from the document")
    for skipped in report.skipped_checks:
        out.print(f"  not checked: {escape(skipped)}", highlight=False)
    out.print("app: started" if report.started else f"[red]app did NOT start[/]: {escape(report.start_error)}")
    if report.done:
        verdict = "[green]done[/]: every operation has a verified handler, the tests pass and the app starts"
    else:
        missing = f" ({len(report.missing)} operation(s) not built: {escape(', '.join(report.missing))})"
        verdict = "[red]not done[/]" + (missing if report.missing else "")
    out.print(f"{verdict} · {report.seconds:.1f} s · report: {report.folder / 'aigc-report.json'}")
    out.print(f"run it: cd {report.folder} && {report.to_json()['run']}", markup=False)


def _serve(folder: Path, token_auth: bool, host: str, port: int, home: Path, done: bool) -> None:
    """Serve the project from the sandbox until Ctrl-C: the app has no network, so a proxy on `host`
    (the one aigc serve's previews use) forwards to its unix socket."""
    import hashlib
    import socket

    import uvicorn

    from aigc.project.runner import serving_project
    from aigc.server.preview import Upstream, preview_app

    if not done:
        err.print("[yellow]serving it anyway: the report above says what does not work yet[/]")
    key = hashlib.sha256(str(folder.resolve()).encode()).hexdigest()[:12]
    log_path = home / "logs" / f"app-{key}.log"  # where the app cannot write; its data stays in data/
    with serving_project(
        folder, home, data=folder / "data", log_path=log_path, token_auth=token_auth, on_event=progress
    ) as served:
        app = preview_app(lambda _: Upstream(served.socket), host=host, prefix=False)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        with socket.socket(family) as listener:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                listener.bind((host, port))
            except (OSError, OverflowError) as exc:
                raise UsageError(f"cannot listen on {host}:{port}: {exc}") from exc
            url = f"http://{host}:{listener.getsockname()[1]}/"
            out.print(f"serving {folder} at {url} (its log: {log_path}; Ctrl-C stops it)", soft_wrap=True)
            uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False)).run(sockets=[listener])
