"""Speed and memory of cobra_metalign against the budgets of issue 7, measured in one run.

Figures (each printed with its ratio to the floor and its budget, PASS/FAIL):

* floor: cobra reading plus writing iJO1366's SBML in a new process;
* cold ``metalign fix`` on iJO1366 in a new process (``python -m cobra_metalign.cli``,
  outputs to a temporary folder); floor and fix are alternated ``--repeat`` times
  (default 3) and the fastest run of each is reported, so that both are measured
  under the same load;
* warm ``align`` on iJO1366 in this process (catalogue and indexes loaded: the
  second call is timed);
* peak RSS of every process (``os.wait4``) and of this one;
* cold ``metalign fix`` on carveme's BiGG universe (15.6k metabolites);
* start-up of ``metalign --help`` and ``metalign catalog info`` (median of 3), and
  which heavy packages they import (``python -X importtime``);
* with ``--many DIR``: ``align_many`` with 1 and 2 workers on every model file
  under DIR, in models per minute.

This is a report, not a test: it exits 0 whatever the verdicts. Times are wall
clock on a machine that may be shared; the CPU seconds (user + system) beside
them are less sensitive to other load.

Usage::

    PYTHONPATH=$PWD python benchmarks/speed.py [--json OUT] [--skip-universe] [--many DIR]
        [--repeat N] [--universe-repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
IJO1366 = DATA / "models" / "sbml_variety" / "iJO1366_L3_fbcv2_biggexport_cobrapkg.xml.gz"
UNIVERSE = DATA / "reference" / "carveme_bigg_universe.xml.gz"

#: Budgets (2 CPU cores): issue 7, cold fix and universe tightened by issue 10.
WARM_ALIGN_BUDGET_S = 3.0
COLD_FIX_BUDGET_RATIO = 1.0
RSS_BUDGET_MB = 2048.0
UNIVERSE_BUDGET_S = 40.0
STARTUP_BUDGET_S = 1.0

#: Packages that must not be imported by --help and catalog info.
FORBIDDEN = ("torch", "transformers", "peft", "sentence_transformers")
#: Packages worth naming when a start-up imports them.
HEAVY = (
    "torch",
    "transformers",
    "peft",
    "sklearn",
    "scipy",
    "pandas",
    "numpy",
    "cobra",
    "optlang",
    "sympy",
    "libsbml",
    "rapidfuzz",
    "requests",
    "distributed",
    "dask",
)

FLOOR_CODE = (
    "import sys\n"
    "from cobra.io import read_sbml_model, write_sbml_model\n"
    "write_sbml_model(read_sbml_model(sys.argv[1]), sys.argv[2])\n"
)
#: ``metalign`` run by this interpreter (no shell shim in the timing, the same Python as
#: the floor; ``PYTHONPATH`` chooses the source tree).
METALIGN = [sys.executable, "-m", "cobra_metalign.cli"]


def log(text: str = "") -> None:
    """Print a line at once (the run takes minutes)."""
    print(text, flush=True)


# ---------------------------------------------------------------- processes
def run_process(command: list[str], cwd: Path | None = None) -> dict[str, Any]:
    """Run a command; its wall and CPU seconds, peak RSS (MiB) and exit code."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, cwd=cwd)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return {
        "seconds": round(wall, 3),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 3),
        "rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "returncode": process.returncode,
        "stdout": stdout,
        "stderr": stderr,
    }


def import_report(command: list[str]) -> dict[str, Any]:
    """Top-level packages a command imports and their cumulative import time (ms)."""
    traced = [sys.executable, "-X", "importtime", *command[1:]]
    result = subprocess.run(traced, capture_output=True, text=True, check=False)
    packages: dict[str, float] = {}
    pattern = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")
    for line in result.stderr.splitlines():
        found = pattern.match(line)
        if not found:
            continue
        name = found.group(4)
        top = name.split(".")[0]
        if top in HEAVY or top.startswith("cobra_metalign"):
            packages[top] = max(packages.get(top, 0.0), int(found.group(2)) / 1000)
    return {
        "modules": len([1 for line in result.stderr.splitlines() if pattern.match(line)]),
        "heavy_ms": {name: round(ms) for name, ms in sorted(packages.items())},
        "forbidden": sorted(name for name in packages if name in FORBIDDEN),
    }


# -------------------------------------------------------------- measurements
def measure_floor(model: Path, workdir: Path, in_process: bool = True) -> dict[str, Any]:
    """cobra's read + write of ``model`` in a new process (and, if asked, in this one)."""
    result = run_process([sys.executable, "-c", FLOOR_CODE, str(model), str(workdir / "floor.xml")])
    if result["returncode"] != 0:
        raise RuntimeError(f"the floor failed: {result['stderr'][-2000:]}")
    if not in_process:
        return result
    from cobra.io import read_sbml_model, write_sbml_model

    started = time.perf_counter()
    loaded = read_sbml_model(str(model))
    read = time.perf_counter() - started
    started = time.perf_counter()
    write_sbml_model(loaded, str(workdir / "floor_in_process.xml"))
    write = time.perf_counter() - started
    result.update(in_process_read_seconds=round(read, 3), in_process_write_seconds=round(write, 3))
    return result


def measure_fix(command: list[str], model: Path, workdir: Path, tag: str) -> dict[str, Any]:
    """Cold ``metalign fix`` as a new process, outputs into ``workdir``."""
    outputs = workdir / tag
    outputs.mkdir()
    result = run_process(
        [
            *command,
            "fix",
            str(model),
            "-o",
            str(outputs / "model.aligned.xml"),
            "--audit",
            str(outputs / "model.audit.tsv"),
            "--reactions",
            str(outputs / "model.reactions.tsv"),
        ]
    )
    if result["returncode"] != 0:
        raise RuntimeError(f"metalign fix {model} failed: {result['stderr'][-2000:]}")
    result["summary"] = result["stdout"].strip().splitlines()[:12]
    return result


def fastest(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the least wall time, with every run's wall and CPU seconds beside it."""
    best = dict(min(runs, key=lambda run: run["seconds"]))
    best["all_seconds"] = [run["seconds"] for run in runs]
    best["all_cpu_seconds"] = [run["cpu_seconds"] for run in runs]
    best["rss_mb"] = max(run["rss_mb"] for run in runs)
    return best


def measure_pair(
    command: list[str], model: Path, workdir: Path, tag: str, repeat: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The floor and the cold ``fix`` of ``model``, alternated ``repeat`` times; the fastest of each.

    Alternating puts both under the same load; the minimum is the run least slowed by
    other processes on a shared machine.
    """
    floors, fixes = [], []
    for number in range(repeat):
        floors.append(measure_floor(model, workdir, in_process=False))
        fixes.append(measure_fix(command, model, workdir, f"{tag}_{number}"))
        log(
            f"  run {number + 1}/{repeat}: floor {floors[-1]['seconds']:.2f} s, "
            f"fix {fixes[-1]['seconds']:.2f} s (load {os.getloadavg()[0]:.1f})"
        )
    return fastest(floors), fastest(fixes)


def measure_warm_align(model: Path) -> dict[str, Any]:
    """``align`` in this process: once to load everything, then timed."""
    from cobra_metalign.alignment import align
    from cobra_metalign.catalog.store import load_catalog
    from cobra_metalign.io.model import read_model

    started = time.perf_counter()
    catalog = load_catalog()
    load = time.perf_counter() - started
    loaded = read_model(model)
    started = time.perf_counter()
    align(loaded, catalog)
    first = time.perf_counter() - started
    cpu = time.process_time()
    started = time.perf_counter()
    result = align(loaded, catalog)
    second = time.perf_counter() - started
    return {
        "seconds": round(second, 3),
        "cpu_seconds": round(time.process_time() - cpu, 3),
        "first_call_seconds": round(first, 3),
        "catalog_load_seconds": round(load, 3),
        "metabolites": len(result.audit),
        "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def measure_startup(command: list[str], args: list[str], repeat: int = 3) -> dict[str, Any]:
    """Median wall time of ``command args`` over ``repeat`` runs, and what it imports."""
    runs = [run_process([*command, *args]) for _ in range(repeat)]
    failed = [r for r in runs if r["returncode"] != 0]
    if failed:
        raise RuntimeError(f"{' '.join(args)} failed: {failed[0]['stderr'][-2000:]}")
    return {
        "seconds": round(statistics.median(r["seconds"] for r in runs), 3),
        "cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in runs), 3),
        "rss_mb": max(r["rss_mb"] for r in runs),
        "all_seconds": [r["seconds"] for r in runs],
        "imports": import_report([*command, *args]),
    }


def measure_many(folder: Path, workdir: Path, worker_counts: tuple[int, ...]) -> dict[str, Any]:
    """``align_many`` on every model file under ``folder`` with each number of workers."""
    from cobra_metalign.many import align_many

    paths = sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    results: dict[str, Any] = {"models": len(paths)}
    for workers in worker_counts:
        summary = align_many(paths, workdir / f"many_{workers}", workers=workers)
        failed = summary[summary["status"] == "failed"]
        results[f"workers_{workers}"] = {
            **summary.attrs,
            "models_per_minute_with_startup": round(
                60.0 * len(paths) / summary.attrs["wall_seconds"], 3
            ),
            "ok": int((summary["status"] == "ok").sum()),
            "cpu_seconds_total": round(float(summary["cpu_seconds"].sum()), 3),
            "seconds_total": round(float(summary["seconds"].sum()), 3),
            "failed": {name: row["error"] for name, row in failed.iterrows()},
            "seconds": {name: float(s) for name, s in summary["seconds"].items()},
        }
    return results


# ------------------------------------------------------------------- report
def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows of the printed table: figure, seconds, CPU, RSS, ratio to its floor, budget.

    iJO1366 figures are divided by iJO1366's floor, the universe's by the universe's.
    """
    floor = figures["floor"]["seconds"]
    name = figures.get("model_name", "iJO1366")
    rows: list[dict[str, Any]] = []

    def add(
        name: str,
        figure: dict[str, Any],
        budget: str,
        ok: bool | None,
        base: dict[str, Any] | None = None,
        rss_only: bool = False,
    ) -> None:
        timed = not rss_only
        rows.append(
            {
                "figure": name,
                "seconds": figure["seconds"] if timed else None,
                "cpu_seconds": figure.get("cpu_seconds") if timed else None,
                "rss_mb": figure.get("rss_mb"),
                "x_floor": round(figure["seconds"] / base["seconds"], 2)
                if timed and base
                else None,
                "x_floor_cpu": round(figure["cpu_seconds"] / base["cpu_seconds"], 2)
                if timed and base
                else None,
                "budget": budget,
                "verdict": "" if ok is None else verdict(ok),
            }
        )

    add(f"floor: cobra read+write {name} (process)", figures["floor"], "-", None, figures["floor"])
    fix = figures["cold_fix"]
    add(
        f"cold metalign fix {name} (process)",
        fix,
        f"<= {COLD_FIX_BUDGET_RATIO:g}x floor",
        fix["seconds"] <= COLD_FIX_BUDGET_RATIO * floor,
        figures["floor"],
    )
    add(
        f"  peak RSS of cold fix {name}",
        fix,
        f"< {RSS_BUDGET_MB:g} MiB",
        fix["rss_mb"] < RSS_BUDGET_MB,
        rss_only=True,
    )
    warm = figures["warm_align"]
    add(
        f"warm align {name} (in process, 2nd call)",
        warm,
        f"<= {WARM_ALIGN_BUDGET_S:g} s",
        warm["seconds"] <= WARM_ALIGN_BUDGET_S,
        figures["floor"],
    )
    if "universe_fix" in figures:
        universe = figures["universe_fix"]
        universe_floor = figures["universe_floor"]
        add("floor: cobra read+write universe (process)", universe_floor, "-", None, universe_floor)
        add(
            "cold metalign fix carveme universe",
            universe,
            f"< {UNIVERSE_BUDGET_S:g} s",
            universe["seconds"] < UNIVERSE_BUDGET_S,
            universe_floor,
        )
        add(
            "  peak RSS of fix carveme universe",
            universe,
            f"< {RSS_BUDGET_MB:g} MiB",
            universe["rss_mb"] < RSS_BUDGET_MB,
            rss_only=True,
        )
    for key, label in (
        ("help", "metalign --help"),
        ("catalog_info", "metalign catalog info"),
    ):
        if key not in figures:
            continue
        figure = figures[key]
        add(
            f"{label} (median of 3)",
            figure,
            f"< {STARTUP_BUDGET_S:g} s, no torch",
            figure["seconds"] < STARTUP_BUDGET_S and not figure["imports"]["forbidden"],
        )
    return rows


def print_table(rows: list[dict[str, Any]]) -> None:
    header = (
        f"{'figure':<44} {'wall s':>8} {'cpu s':>8} {'RSS MiB':>8} {'x floor':>8} "
        f"{'x cpu':>6}  {'budget':<22} verdict"
    )
    log(header)
    log("-" * len(header))

    def cell(value: float | None, fmt: str) -> str:
        return "-" if value is None else format(value, fmt)

    for row in rows:
        log(
            f"{row['figure']:<44} {cell(row['seconds'], '.2f'):>8} "
            f"{cell(row['cpu_seconds'], '.2f'):>8} {cell(row['rss_mb'], '.0f'):>8} "
            f"{cell(row['x_floor'], '.2f'):>8} {cell(row['x_floor_cpu'], '.2f'):>6}  "
            f"{row['budget']:<22} {row['verdict']}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="Also write every figure as JSON here.")
    parser.add_argument(
        "--skip-universe", action="store_true", help="Skip the carveme universe (minutes)."
    )
    parser.add_argument(
        "--many",
        type=Path,
        metavar="DIR",
        help="Also run align_many with 1 and 2 workers on every model file under DIR.",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="Runs of the iJO1366 floor and fix, alternated; the fastest of each is reported.",
    )
    parser.add_argument(
        "--universe-repeat",
        type=int,
        default=1,
        help="Runs of the universe floor and fix, alternated (each pair takes a minute or more).",
    )
    parser.add_argument(
        "--model", type=Path, default=IJO1366, help="The model of the first figures [iJO1366]."
    )
    parser.add_argument("--universe", type=Path, default=UNIVERSE, help="The carveme universe.")
    args = parser.parse_args(argv)

    figures: dict[str, Any] = {
        "cpus": len(os.sched_getaffinity(0)),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "python": sys.version.split()[0],
        "model_name": "iJO1366" if args.model == IJO1366 else args.model.name.split(".")[0],
    }
    log(f"{figures['cpus']} usable cores; load average {figures['load_average_start']}")
    with tempfile.TemporaryDirectory(prefix="metalign_speed_") as tmp:
        workdir = Path(tmp)
        log("start-up: metalign --help, metalign catalog info ...")
        figures["help"] = measure_startup(METALIGN, ["--help"])
        figures["catalog_info"] = measure_startup(METALIGN, ["catalog", "info"])
        log(f"floor (cobra read + write) and cold metalign fix of {args.model.name} ...")
        figures["floor"], figures["cold_fix"] = measure_pair(
            METALIGN, args.model, workdir, "ijo1366", max(1, args.repeat)
        )
        floor_in_process = measure_floor(args.model, workdir)
        for key in ("in_process_read_seconds", "in_process_write_seconds"):
            figures["floor"][key] = floor_in_process[key]
        log("warm align ...")
        figures["warm_align"] = measure_warm_align(args.model)
        if not args.skip_universe:
            log(f"floor and cold metalign fix of {args.universe.name} (minutes) ...")
            figures["universe_floor"], figures["universe_fix"] = measure_pair(
                METALIGN, args.universe, workdir, "universe", max(1, args.universe_repeat)
            )
        if args.many is not None:
            log(f"align_many on {args.many} with 1 and 2 workers ...")
            figures["many"] = measure_many(args.many, workdir, (1, 2))
    figures["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    log()
    rows = report(figures)
    print_table(rows)
    floor = figures["floor"]
    log()
    log(
        f"floor in this process: read {floor['in_process_read_seconds']:.2f} s, "
        f"write {floor['in_process_write_seconds']:.2f} s; warm align first call "
        f"{figures['warm_align']['first_call_seconds']:.2f} s, catalogue load "
        f"{figures['warm_align']['catalog_load_seconds']:.2f} s; "
        f"this process peak RSS {figures['warm_align']['rss_mb']:.0f} MiB"
    )
    for key in ("floor", "cold_fix", "universe_floor", "universe_fix"):
        if key in figures:
            log(
                f"{key}: every run {figures[key]['all_seconds']} s wall, "
                f"{figures[key]['all_cpu_seconds']} s CPU"
            )
    for key in ("help", "catalog_info"):
        imports = figures[key]["imports"]
        heavy = ", ".join(f"{name} {ms} ms" for name, ms in imports["heavy_ms"].items())
        log(
            f"{key}: {imports['modules']} modules imported; heavy: {heavy or 'none'}; "
            f"forbidden: {', '.join(imports['forbidden']) or 'none'}"
        )
    if "many" in figures:
        many = figures["many"]
        for workers in (1, 2):
            result = many[f"workers_{workers}"]
            log(
                f"align_many, {workers} worker(s): {result['ok']} of {many['models']} models ok "
                f"in {result['wall_seconds']:.1f} s (cluster start {result['startup_seconds']:.1f}"
                f" s): {result['models_per_minute']:.2f} models/min "
                f"({result['models_per_minute_with_startup']:.2f} with start-up)"
            )
            log(
                f"  per-model seconds sum {result['seconds_total']:.1f} s, CPU seconds sum "
                f"{result['cpu_seconds_total']:.1f} s: "
                f"{60.0 * many['models'] / result['cpu_seconds_total']:.2f} models per CPU-minute"
            )
            for name, error in result["failed"].items():
                log(f"  failed {name}: {error}")
    log(f"load average at the end: {figures['load_average_end']}")
    if args.json is not None:
        for key in ("cold_fix", "universe_fix", "floor", "universe_floor"):
            if key in figures:
                figures[key].pop("stdout", None)
                figures[key]["stderr"] = figures[key]["stderr"][-4000:]
        args.json.write_text(json.dumps({"figures": figures, "table": rows}, indent=2) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
