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
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


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
    """Statistics of a process as JSON."""
    store = Store(db)
    out.print_json(json.dumps(store.stats(store.process_info(name).id)))


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
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@app.command("worker")
@friendly
def worker_cmd(db: DbOpt = DEFAULT_DB,
               once: Annotated[bool, typer.Option(help="Handle what is due, then exit.")] = False,
               batch: int = 500) -> None:
    """Run a worker: claim due contacts, advance their runs. SIGTERM finishes the batch."""
    from nurtura.runtime.worker import Worker

    worker = Worker(Store(db), SystemClock(), batch_size=batch)
    if once:
        out.print(f"handled {worker.drain()} contacts")
        return

    def stop(*_: Any) -> None:
        worker.stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    err.print(f"worker on {db}; Ctrl-C to stop")
    worker.run_forever()


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
              host: str = "127.0.0.1", port: int = 8000) -> None:
    """Start Nurtura: the HTTP API, the editor and a worker, in one process."""
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
        if not tokens.exists(store.engine):
            raw = tokens.create(store.engine, "demo", {"admin"}, _now())
            out.print(f"an admin API token was made for this demo (shown once): {raw}")
    store.close()
    out.print(f"Nurtura on http://{host}:{port}/ (API docs at /docs), database {db}")
    serve(db, host, port)


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


@db_app.command("upgrade")
@friendly
def db_upgrade(db: DbOpt = DEFAULT_DB) -> None:
    """Apply the schema migrations."""
    Store(db)
    out.print("schema up to date")


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()
