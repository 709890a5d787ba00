"""The `nurtura` command: serve, worker, process …, simulate, db upgrade."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from nurtura import library
from nurtura.clock import SystemClock
from nurtura.engine import timing
from nurtura.errors import BadInput, NurturaError, ProcessInvalid
from nurtura.simulate import load_process_file, parse_contacts, parse_events, simulate
from nurtura.store.sql import Store

app = typer.Typer(help="Nurtura: durable marketing-automation processes.", no_args_is_help=True)
process_app = typer.Typer(help="Validate, import, export, list, enable and disable processes.",
                          no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(process_app, name="process")
app.add_typer(db_app, name="db")
err = Console(stderr=True, soft_wrap=True)
out = Console(soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])

DbOpt = Annotated[str, typer.Option("--db", envvar="NURTURA_DB", help="Database URL.")]
DEFAULT_DB = "sqlite:///nurtura.db"


def friendly(fn: F) -> F:
    """Turn Nurtura's errors into a clear message and exit code 1 (2 for bad input)."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ProcessInvalid as exc:
            for p in exc.problems:
                err.print(f"[red]error[/red] {p.path}: {p.message}", highlight=False)
            raise typer.Exit(1) from None
        except NurturaError as exc:
            err.print(f"[red]error[/red] {exc}", highlight=False)
            raise typer.Exit(2 if isinstance(exc, BadInput) else 1) from None

    return wrapper  # type: ignore[return-value]


def _write(text: str, output: Path | None) -> None:
    """To the file given with --out, else to standard output."""
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _now() -> datetime:
    return SystemClock().now()


def _templates(path: Path | None) -> set[str] | None:
    if path is None:
        return None
    if path.is_dir():
        return {p.stem for p in path.iterdir() if p.is_file()}
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


@process_app.command("validate")
@friendly
def process_validate(
    files: list[Path],
    templates: Annotated[Path | None, typer.Option(
        help="A folder of templates (file names are template names) or a file of names.")] = None,
) -> None:
    """Check process files; print every problem with its JSON path; exit 1 if any."""
    catalogue = _templates(templates)
    failed = False
    for path in files:
        try:
            load_process_file(path, catalogue)
            out.print(f"[green]ok[/green] {path}", highlight=False)
        except ProcessInvalid as exc:
            failed = True
            for p in exc.problems:
                err.print(f"[red]error[/red] {p.path}: {p.message}", highlight=False)
    if failed:
        raise typer.Exit(1)


@process_app.command("import")
@friendly
def process_import(files: list[Path], db: DbOpt = DEFAULT_DB,
                   enable: Annotated[bool, typer.Option(help="Enable after import.")] = False
                   ) -> None:
    """Import process files (a new version if the name exists). All are checked first."""
    loaded = [load_process_file(p) for p in files]
    store = Store(db)
    for p in loaded:
        pid, version = store.save_process(p, _now())
        if enable:
            store.set_enabled(p.name, True, _now())
        out.print(f"imported [bold]{p.name}[/bold] (id {pid}, version {version})")


@process_app.command("export")
@friendly
def process_export(name: str, db: DbOpt = DEFAULT_DB,
                   output: Annotated[Path | None, typer.Option("--out")] = None) -> None:
    """Write a process file exactly as it was imported."""
    text = json.dumps(Store(db).process_doc(name), ensure_ascii=False, indent=2) + "\n"
    _write(text, output)


@process_app.command("list")
@friendly
def process_list(db: DbOpt = DEFAULT_DB) -> None:
    """Processes with their state and counters."""
    store = Store(db)
    table = Table("id", "name", "enabled", "version", "entered", "active", "completed")
    for info in store.list_processes():
        s = store.stats(info.id)
        table.add_row(str(info.id), info.name, "on" if info.enabled else "off",
                      str(info.version), str(s["entered"]), str(s["active"]),
                      str(sum(s["completed"].values())))
    out.print(table)


@process_app.command("enable")
@friendly
def process_enable(name: str, db: DbOpt = DEFAULT_DB) -> None:
    """Enable: triggers count from now on; paused runs resume."""
    info = Store(db).set_enabled(name, True, _now())
    out.print(f"enabled {info.name}")


@process_app.command("disable")
@friendly
def process_disable(name: str, db: DbOpt = DEFAULT_DB) -> None:
    """Disable: no new runs; active runs pause where they are."""
    info = Store(db).set_enabled(name, False, _now())
    out.print(f"disabled {info.name}")


@process_app.command("stats")
@friendly
def process_stats(name: str, db: DbOpt = DEFAULT_DB) -> None:
    """Statistics of a process as JSON, with `messages`: per message node sent, delivered,
    opened, clicked, unsubscribed, bounced (each unique and total)."""
    from nurtura.store.tracking import message_stats

    store = Store(db)
    info = store.process_info(name)
    result = store.stats(info.id)
    result["messages"] = message_stats(store, info.id, store.process_doc(name).get("nodes", {}))
    out.print_json(json.dumps(result))


@app.command("simulate")
@friendly
def simulate_cmd(
    process_files: Annotated[list[Path], typer.Argument(metavar="PROCESS.json...")],
    events: Annotated[Path, typer.Option("--events", help="Segment messages, JSON lines.")],
    until: Annotated[str, typer.Option("--until", help="ISO time or a duration from start.")],
    contacts: Annotated[Path | None, typer.Option("--contacts")] = None,
    start: Annotated[str | None, typer.Option("--start")] = None,
    output: Annotated[Path | None, typer.Option("--out")] = None,
) -> None:
    """Run processes on simulated time; one JSON line per action, then the stats line."""
    procs = [load_process_file(p) for p in process_files]
    try:
        event_lines = events.read_text(encoding="utf-8").splitlines()
        contact_lines = contacts.read_text(encoding="utf-8").splitlines() if contacts else []
    except OSError as exc:
        raise BadInput(f"{exc.filename}: {exc.strerror}") from None
    evs = parse_events(event_lines, str(events))
    begin = None
    if start is not None:
        try:
            begin = timing.parse_instant(start)
        except ValueError:
            raise BadInput(f"--start: {start!r} is not an ISO time") from None
    cs = parse_contacts(contact_lines, begin or datetime(1970, 1, 1, tzinfo=UTC),
                        str(contacts))
    result = simulate(procs, evs, cs, begin, until)
    lines = [json.dumps(line, ensure_ascii=False) for line in result.lines]
    lines.append(json.dumps({"stats": result.stats}, ensure_ascii=False))
    text = "\n".join(lines) + "\n"
    _write(text, output)


@app.command("worker")
@friendly
def worker_cmd(db: DbOpt = DEFAULT_DB,
               once: Annotated[bool, typer.Option(help="Handle what is due, then exit.")] = False,
               batch: int = 500,
               deliver: Annotated[bool, typer.Option(
                   help="Also run the delivery loop (emails, SMS, webhooks).")] = True,
               poll: Annotated[float, typer.Option(
                   help="Seconds between looks for due work when idle and not woken.")] = 0.5,
               metrics: Annotated[str | None, typer.Option(
                   help="Serve this worker's Prometheus metrics on [HOST:]PORT "
                        "(host 127.0.0.1 unless given; one process only).")] = None,
               processes: Annotated[int, typer.Option(
                   min=1, max=64,
                   help="Worker processes (one core each). SQLite: each advances its own "
                        "share of the contacts, their writes taking turns.")] = 1) -> None:
    """Run a worker: claim due contacts, advance their runs. On PostgreSQL run as many as
    you like, on any machine; SQLite takes one (of up to --processes processes).
    SIGTERM/Ctrl-C: finish the batch, stop."""
    import threading

    from nurtura.clock import clock_from_env
    from nurtura.runtime import loops, pool
    from nurtura.runtime.delivery import send_at_delivery
    from nurtura.runtime.worker import Worker

    if metrics and processes > 1:
        raise BadInput("--metrics: serves one process's figures; use it with --processes 1")
    clock = clock_from_env()
    store = Store(db)  # brings the schema up to date first
    if once:
        with store.worker_lock():  # SQLite: not beside a running worker
            if processes == 1:
                n = Worker(send_at_delivery(store), clock, batch_size=batch).drain()
            else:
                store.close()  # nothing open is forked
                with pool.DrainPool(db, processes, batch) as drains:
                    n = drains.drain(clock.now())
        out.print(f"handled {n} contacts")
        return
    done = threading.Event()

    def stop(*_: Any) -> None:
        done.set()

    def wait() -> bool:
        if done.wait(1.0):
            err.print("stopping: finishing the batch in hand")
            return False
        return True

    store.close()
    if processes > 1:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        pool.run_processes(db, processes, deliver=deliver, poll=poll, batch=batch, wait=wait,
                           started=lambda: err.print(
                               f"worker on {db} ({processes} processes); Ctrl-C to stop"))
        return
    running = loops.worker_loops(db, clock, deliver=deliver, poll=poll, batch_size=batch)
    if metrics:
        _serve_worker_metrics(metrics)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    loops.run(running, wait, lambda: err.print(f"worker on {db}; Ctrl-C to stop"))


def _serve_worker_metrics(where: str) -> None:
    from prometheus_client import start_http_server

    from nurtura.runtime import metrics

    host, _, port = where.rpartition(":")
    try:
        start_http_server(int(port), addr=host or "127.0.0.1", registry=metrics.WORKER)
    except ValueError:
        raise BadInput(f"--metrics: {where!r} is not [HOST:]PORT") from None
    except OSError as exc:
        raise BadInput(f"--metrics: cannot listen on {where!r}: {exc.strerror}") from None


@app.command("ingest")
@friendly
def ingest_cmd(file: Path, db: DbOpt = DEFAULT_DB) -> None:
    """Store Segment messages (JSON lines) as events; a repeated messageId is ignored."""
    evs = parse_events(file.read_text(encoding="utf-8").splitlines(), str(file), _now())
    n = Store(db).ingest(evs)
    out.print(f"{n} new events, {len(evs) - n} duplicates ignored")


@app.command("serve")
@friendly
def serve_cmd(db: DbOpt = DEFAULT_DB,
              demo: Annotated[bool, typer.Option(help="Load the library processes.")] = False,
              host: str = "127.0.0.1", port: int = 8000,
              worker: Annotated[bool, typer.Option(
                  help="Also run a worker and the delivery loop (in a child process); "
                       "--no-worker serves the API only, beside `nurtura worker`s.")] = True,
              worker_processes: Annotated[int, typer.Option(
                  min=1, max=64,
                  help="The worker's processes (one core each), as `nurtura worker "
                       "--processes`.")] = 1,
              ) -> None:
    """Start Nurtura: the HTTP API, the editor and a worker."""
    from nurtura.runtime.server import serve
    from nurtura.store import tokens

    store = Store(db)
    if demo:
        existing = {i.name for i in store.list_processes()}
        for p in library.processes():
            if p.name not in existing:
                store.save_process(p, _now())
                store.set_enabled(p.name, True, _now())
                out.print(f"loaded demo process [bold]{p.name}[/bold] (enabled)")
        from nurtura.store import templates as store_templates

        store_templates.import_library(store, _now())
        if not tokens.exists(store.engine):
            raw = tokens.create(store.engine, "demo", {"admin"}, _now())
            out.print(f"an admin API token was made for this demo (shown once): {raw}")
    if worker:
        with store.worker_lock():  # refused here, clearly, if a worker runs on this SQLite file
            pass
    store.close()
    out.print(f"Nurtura on http://{host}:{port}/ (API docs at /docs), database {db}")
    serve(db, host, port, worker=worker, processes=worker_processes)


token_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("create")
@friendly
def token_create(
    name: str,
    scope: Annotated[list[str], typer.Option(help="write (ingestion) or admin")] = ["admin"],  # noqa: B006
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Make an API token; it is printed once and stored only as a hash."""
    from nurtura.store import tokens

    try:
        raw = tokens.create(Store(db).engine, name, set(scope), _now())
    except ValueError as exc:
        raise BadInput(f"--scope: {exc}") from None
    sys.stdout.write(raw + "\n")


contacts_app = typer.Typer(help="Bulk contacts: import and export.", no_args_is_help=True)
app.add_typer(contacts_app, name="contacts")


def _mapping(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep:
            raise BadInput(f"--map {pair!r}: use COLUMN=TARGET, e.g. 'Телефон=phone'")
        out[column] = target
    return out


@contacts_app.command("import")
@friendly
def contacts_import(
    file: Path,
    db: DbOpt = DEFAULT_DB,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or jsonl (by extension)")
                   ] = None,
    map_: Annotated[list[str], typer.Option("--map", help="COLUMN=TARGET (email, phone, "
                    "timezone, tags, lists, id, skip, field:NAME)")] = [],  # noqa: B006
    report: Annotated[Path | None, typer.Option(help="Where bad lines go (CSV).")] = None,
) -> None:
    """Import contacts, idempotent by id or email; bad lines go to a report, good ones stay."""
    import time

    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from nurtura.runtime import contacts_io

    kind = fmt or ("csv" if file.suffix.lower() in (".csv", ".tsv", ".txt") else "jsonl")
    if kind not in ("csv", "jsonl"):
        raise BadInput(f"--format {kind!r}: use csv or jsonl")
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{file}: {exc}") from None
    store = Store(db)
    started = time.monotonic()

    def progress(done: int, total: int) -> None:
        rate = done / max(time.monotonic() - started, 1e-6)
        bar.update(task, completed=done, total=total, rate=f"{rate:,.0f}")

    with Progress(TextColumn("importing"), BarColumn(), TextColumn(
                  "{task.completed}/{task.total} lines · {task.fields[rate]} lines/s"),
                  TimeRemainingColumn(), console=err, transient=False) as bar:
        task = bar.add_task("import", total=None, rate="0")
        result = contacts_io.import_text(store, text, kind, _mapping(map_), _now(), progress)
    out.print(f"{result.total} lines: {result.imported} imported (the worker applies them), "
              f"{result.unchanged} unchanged since the last import, {len(result.errors)} bad")
    if result.errors:
        target = report or file.with_name(file.stem + ".errors.csv")
        result.write(str(target))
        out.print(f"bad lines with their reasons: {target}")


@contacts_app.command("export")
@friendly
def contacts_export(
    db: DbOpt = DEFAULT_DB,
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--out")] = None,
) -> None:
    """Export every contact (JSON lines: the import format; CSV: fields as columns)."""
    from nurtura.runtime import contacts_io
    from nurtura.store import admin

    if fmt not in ("csv", "jsonl"):
        raise BadInput(f"--format {fmt!r}: use csv or jsonl")
    store = Store(db)
    if output is None:
        contacts_io.write_export(admin.iter_contacts(store), fmt, sys.stdout)
        return
    with output.open("w", encoding="utf-8", newline="") as fh:
        n = contacts_io.write_export(admin.iter_contacts(store), fmt, fh)
    out.print(f"{n} contacts written to {output}")


user_app = typer.Typer(help="People who sign in to the editor.", no_args_is_help=True)
app.add_typer(user_app, name="user")


@user_app.command("create")
@friendly
def user_create(
    username: str,
    role: Annotated[str, typer.Option(help="admin, author or viewer")] = "admin",
    password: Annotated[str | None, typer.Option(
        envvar="NURTURA_PASSWORD", help="Asked for when not given.")] = None,
    db: DbOpt = DEFAULT_DB,
) -> None:
    """Make a user (the first admin, say); the password is stored as an argon2 hash."""
    from nurtura.store import users

    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    user = users.create_user(Store(db).engine, username, password, role, _now())
    out.print(f"user {user.username} ({user.role}) created")


@db_app.command("upgrade")
@friendly
def db_upgrade(db: DbOpt = DEFAULT_DB) -> None:
    """Apply the schema migrations."""
    Store(db)
    out.print("schema up to date")


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()


# -- messaging: templates and the delivery loop ------------------------------------------------

template_app = typer.Typer(help="Message templates (email, SMS) in the database.",
                           no_args_is_help=True)
app.add_typer(template_app, name="template")


def _template_files(path: Path) -> list[tuple[str, Any]]:
    """(name, JSON) of a template file, every *.json of a folder, or a bundle's templates."""
    if path.is_dir():
        return [item for p in sorted(path.glob("*.json")) for item in _template_files(p)]
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise BadInput(f"{path}: {exc}") from None
    if isinstance(doc, dict) and doc.get("nurtura_bundle") == 1:
        return [("bundle", doc)]
    name = doc.get("name") if isinstance(doc, dict) and isinstance(doc.get("name"), str) else None
    return [(name or path.stem, doc)]


@template_app.command("list")
@friendly
def template_list(db: DbOpt = DEFAULT_DB) -> None:
    """Templates with their channel, category and subject."""
    from nurtura.store import templates as store_templates

    table = Table("name", "channel", "category", "subject")
    for t in store_templates.list_all(Store(db)):
        table.add_row(t["name"], t["channel"], t["category"], t["subject"] or "")
    out.print(table)


@template_app.command("show")
@friendly
def template_show(name: str, db: DbOpt = DEFAULT_DB) -> None:
    """One template as JSON (the import format)."""
    from nurtura.errors import UnknownTemplate
    from nurtura.store import templates as store_templates

    t = store_templates.get(Store(db), name)
    if t is None:
        raise UnknownTemplate(f"no template named {name!r}")
    sys.stdout.write(json.dumps({"name": t.name, **t.to_json()}, ensure_ascii=False,
                                indent=2) + "\n")


@template_app.command("import")
@friendly
def template_import(
    paths: Annotated[list[Path], typer.Argument(
        help="Template files (name = file name or 'name'), folders of them, or bundles.")
    ] = [],  # noqa: B006
    db: DbOpt = DEFAULT_DB,
    shipped: Annotated[bool, typer.Option("--library", help="The shipped templates too.")
                       ] = False,
) -> None:
    """Create or replace templates (and a bundle's processes). All are checked first."""
    from nurtura.api.templates import import_bundle
    from nurtura.channels.templates import from_json
    from nurtura.store import templates as store_templates

    items = [item for p in paths for item in _template_files(p)]
    made = [from_json(name, doc) for name, doc in items if name != "bundle"]
    store = Store(db)
    if shipped:
        for name in store_templates.import_library(store, _now(), replace=True):
            out.print(f"imported template [bold]{name}[/bold] (library)")
    for t in made:
        store_templates.put(store, t, _now())
        out.print(f"imported template [bold]{t.name}[/bold] ({t.channel})")
    for name, doc in items:
        if name == "bundle":
            result = import_bundle(store, doc, _now())
            out.print(f"imported bundle: {len(result['templates'])} templates, "
                      f"{len(result['processes'])} processes")


@template_app.command("export")
@friendly
def template_export(
    names: Annotated[list[str], typer.Argument(help="Templates (default: all).")
                     ] = [],  # noqa: B006
    db: DbOpt = DEFAULT_DB,
    process: Annotated[str | None, typer.Option(
        help="Export this process, the processes it starts and their templates (a bundle).")
    ] = None,
    output: Annotated[Path | None, typer.Option(
        "--out", help="A file (bundle JSON) or an existing folder (one file per template).")
    ] = None,
) -> None:
    """Write templates, or a process with its templates, in the import format."""
    from nurtura.api.templates import bundle
    from nurtura.store import templates as store_templates

    store = Store(db)
    if process is not None:
        store.process_info(process)
        doc = bundle(store, process)
    else:
        wanted = names or sorted(store_templates.names(store))
        found = store_templates.get_many(store, wanted)
        missing = sorted(set(wanted) - set(found))
        if missing:
            raise BadInput(f"no template named {missing[0]!r}")
        doc = {"nurtura_bundle": 1, "processes": [],
               "templates": {k: found[k].to_json() for k in sorted(found)}}
    if output is not None and output.is_dir():
        for name, t in doc["templates"].items():
            (output / f"{name}.json").write_text(
                json.dumps(t, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        out.print(f"{len(doc['templates'])} templates written to {output}")
        return
    text = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    if output is not None:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@template_app.command("delete")
@friendly
def template_delete(name: str, db: DbOpt = DEFAULT_DB,
                    force: Annotated[bool, typer.Option(help="Even if a process sends it.")
                                     ] = False) -> None:
    """Delete a template (refused while a process sends it, unless --force)."""
    from nurtura.errors import Conflict, UnknownTemplate
    from nurtura.store import templates as store_templates

    store = Store(db)
    users = store_templates.users(store, name)
    if users and not force:
        raise Conflict(f"template {name!r} is sent by {', '.join(users)}")
    if not store_templates.remove(store, name):
        raise UnknownTemplate(f"no template named {name!r}")
    out.print(f"deleted template {name}")


def _json_opt(value: str | None, option: str) -> Any:
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise BadInput(f"{option}: not JSON ({exc.msg})") from None


@template_app.command("preview")
@friendly
def template_preview(
    name: str,
    db: DbOpt = DEFAULT_DB,
    contact: Annotated[str | None, typer.Option(help="Render with this stored contact.")
                       ] = None,
    vars_: Annotated[str | None, typer.Option("--vars", help="Run variables, JSON.")] = None,
    event: Annotated[str | None, typer.Option(help="The event, JSON {name, properties}.")
                     ] = None,
    order: Annotated[str | None, typer.Option(help="The order, JSON.")] = None,
    html: Annotated[Path | None, typer.Option(help="Write the HTML part here.")] = None,
) -> None:
    """Render a template: subject, text and the variables that were missing."""
    from nurtura.channels import context
    from nurtura.channels import templates as tpl
    from nurtura.errors import UnknownContact, UnknownTemplate
    from nurtura.store import templates as store_templates

    store = Store(db)
    t = store_templates.get(store, name)
    if t is None:
        raise UnknownTemplate(f"no template named {name!r}")
    c = store.get_contact(contact) if contact is not None else None
    if contact is not None and c is None:
        raise UnknownContact(f"no contact {contact!r}")
    data = context.build(c, {"event": _json_opt(event, "--event"),
                             "vars": _json_opt(vars_, "--vars")}, "https://example.invalid/u/x")
    if order is not None:
        data["order"] = _json_opt(order, "--order")
    try:
        r = tpl.render(t, data, tz=context.contact_zone(c, None), now=_now())
    except Exception as exc:
        raise BadInput(f"the template does not render: {exc}") from None
    if t.channel == "email":
        out.print(f"[bold]Subject:[/bold] {r.subject}", highlight=False)
    sys.stdout.write(r.text if r.text.endswith("\n") else r.text + "\n")
    if html is not None and r.html is not None:
        html.write_text(r.html, encoding="utf-8")
    for m in r.missing:
        err.print(f"[yellow]missing[/yellow] {m} (rendered as empty)", highlight=False)


@app.command("deliver")
@friendly
def deliver_cmd(db: DbOpt = DEFAULT_DB,
                once: Annotated[bool, typer.Option(help="Deliver what is due, then exit.")
                                ] = False) -> None:
    """Run the delivery loop alone: outbox → SMTP, SMS gateway, webhooks (settings from
    NURTURA_* variables, see docs/messaging.md). SIGTERM finishes the current message."""
    import threading

    from nurtura.runtime.delivery import Deliverer

    deliverer = Deliverer(Store(db), SystemClock())
    if once:
        out.print(f"handled {deliverer.drain()} messages")
        deliverer.close()
        return
    stopped = threading.Event()

    def stop(*_: Any) -> None:
        deliverer.stopping = True
        stopped.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    err.print(f"delivering from {db}; Ctrl-C to stop")
    while not stopped.is_set():
        if not deliverer.run_once():
            stopped.wait(1.0)
    deliverer.close()
