"""The Python interface against the command line: same scenario and seed, same results.

The command line is `CGTSIM_BIN`, else target/release/cgtsim (built by `cargo test
--release`, which .ci/run runs first). Run from the repository: `pytest python/tests`.
"""

import io
import json
import os
import _thread
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

import cgtsim

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("CGTSIM_BIN", str(ROOT / "target" / "release" / "cgtsim"))
SCENARIOS = sorted(
    str(p.relative_to(ROOT))
    for p in (ROOT / "scenarios").rglob("*.toml")
    if "sweeps" not in p.parts
)
# What differs between two runs of the same work: when and how it ran.
VOLATILE = {"wall_time_s", "threads"}


@pytest.fixture(autouse=True)
def at_root(monkeypatch):
    # Scenario paths (and the arrival logs they name) are relative to the repository.
    monkeypatch.chdir(ROOT)


@pytest.fixture
def ctrl_c():
    """A Ctrl-C 0.5 s from now. Python's own SIGINT handler is installed for the test:
    a process started in the background inherits SIGINT ignored, and Python then
    leaves it so (a simulated Ctrl-C would do nothing)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    yield time.monotonic()
    timer.cancel()
    signal.signal(signal.SIGINT, previous)


def cli(*args):
    done = subprocess.run([BIN, *args], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout


def stable(summary):
    return {k: v for k, v in summary.items() if k not in VOLATILE}


@pytest.mark.parametrize("path", SCENARIOS)
def test_every_bundled_scenario_gives_the_cli_results(path):
    cli_json = json.loads(cli("run", path, "--replications", "3", "--threads", "1", "--json"))
    res = cgtsim.run(cgtsim.load(path), replications=3, threads=1)
    assert stable(res.summary_json()) == stable(cli_json)


def test_tables_equal_the_cli_files(tmp_path):
    path = "scenarios/reference/cart.toml"
    cli("run", path, "--replications", "4", "--seed", "7", "--out", str(tmp_path), "--timeseries", "month")
    res = cgtsim.run(path, replications=4, seed=7, timeseries="month")
    read = lambda name: pd.read_csv(tmp_path / name, **cgtsim._exact_floats(pd))
    for mine, name in [
        (res.summary(), "summary.csv"),
        (res.replications(), "replications.csv"),
        (res.timeseries(), "timeseries.csv"),
    ]:
        theirs = read(name)
        assert list(mine.columns) == list(theirs.columns), name
        mine, theirs = mine.drop(columns=["wall_time_s"], errors="ignore"), theirs.drop(
            columns=["wall_time_s"], errors="ignore"
        )
        pd.testing.assert_frame_equal(mine, theirs, check_exact=True, obj=name)


def test_threads_do_not_change_results():
    sc = cgtsim.load("scenarios/ccrm-nordic.toml")
    one = cgtsim.run(sc, replications=6, seed=11, threads=1)
    two = cgtsim.run(sc, replications=6, seed=11, threads=2)
    assert stable(one.summary_json()) == stable(two.summary_json())
    pd.testing.assert_frame_equal(
        one.replications().drop(columns="wall_time_s"),
        two.replications().drop(columns="wall_time_s"),
        check_exact=True,
    )


def test_a_bad_file_raises_a_located_scenario_error(tmp_path):
    bad = tmp_path / "bad.toml"
    text = (ROOT / "scenarios/reference/mmc.toml").read_text()
    text = text.replace("capacity = 5", "capacity = -5")
    bad.write_text(text)
    with pytest.raises(cgtsim.ScenarioError) as err:
        cgtsim.load(bad)
    e = err.value
    line = next(i for i, l in enumerate(text.splitlines(), 1) if "capacity = -5" in l)
    assert (e.path, e.line) == (str(bad), line)
    assert e.column == text.splitlines()[line - 1].index("-5") + 1
    assert "capacity" in e.message and e.excerpt.strip().startswith("server")
    # The same message as the command line's.
    done = subprocess.run([BIN, "run", str(bad)], capture_output=True, text=True)
    assert done.returncode == 2 and str(e) in done.stderr
    assert isinstance(e, ValueError)


def test_a_missing_file_raises_a_scenario_error_with_no_line(tmp_path):
    with pytest.raises(cgtsim.ScenarioError) as err:
        cgtsim.load(tmp_path / "absent.toml")
    assert err.value.line == 0 and "cannot read" in err.value.message


MMC = {
    "simulation": {"warmup": "100d", "horizon": "1000d", "replications": 5, "seed": 1},
    "resources": {"server": {"capacity": 5}},
    "products": [
        {
            "name": "mmc",
            "type": "autologous",
            "arrivals": {"rate": 4.5, "per": "day"},
            "steps": [
                {"name": "service", "uses": ["server"], "duration": {"exponential": {"mean": "1d"}}}
            ],
        }
    ],
}


def test_from_dict_runs_like_the_file(tmp_path):
    sc = cgtsim.Scenario.from_dict(MMC, name="mmc")
    assert sc.products == ["mmc"] and sc.resources == ["server"] and sc.replications == 5
    f = tmp_path / "mmc.toml"
    f.write_text(sc.to_toml())
    a = cgtsim.run(sc).summary_json()
    b = json.loads(cli("run", str(f), "--json"))
    drop = lambda d: {k: v for k, v in stable(d).items() if k != "scenario"}
    assert drop(a) == drop(b)
    assert cgtsim.Scenario.from_dict(sc.to_dict()).to_toml() == sc.to_toml()


def test_from_dict_errors_are_located_and_name_the_fix():
    bad = json.loads(json.dumps(MMC))
    bad["products"][0]["steps"][0]["uses"] = ["srever"]
    with pytest.raises(cgtsim.ScenarioError) as err:
        cgtsim.Scenario.from_dict(bad)
    assert err.value.line > 0 and "srever" in err.value.excerpt
    assert "unknown resource" in err.value.message
    # Named by its path in the dict (the line is that of the TOML text it stands for).
    assert err.value.key == "products.mmc.steps.service.uses"
    assert "(at `products.mmc.steps.service.uses`)" in err.value.message
    with pytest.raises(TypeError):
        cgtsim.Scenario.from_dict({"simulation": {"horizon": object()}})


def test_with_values_changes_the_model_as_a_sweep_path():
    sc = cgtsim.Scenario.from_dict(MMC)
    base = cgtsim.run(sc).summary()
    more = cgtsim.run(sc.with_values({"resources.server.capacity": 7})).summary()
    wait = lambda s: s.set_index("metric").loc["products.mmc.steps.service.wait.mean", "mean"]
    assert wait(more) < wait(base)
    named = sc.with_values({"products.mmc.steps.service.duration": "0.5d"})
    assert wait(cgtsim.run(named).summary()) < wait(base)
    with pytest.raises(cgtsim.ScenarioError, match="suite"):
        sc.with_values({"resources.suite.capacity": 6})
    with pytest.raises(cgtsim.ScenarioError) as err:
        sc.with_values({"resources.server.capacity": 0})
    # Not located at a line of text written anew: named by path and value instead.
    assert err.value.line == 0
    assert err.value.message.endswith(
        "(at `products.mmc.steps.service.uses`; with `resources.server.capacity = 0`)"
    )


def test_bad_arguments_are_refused():
    sc = cgtsim.Scenario.from_dict(MMC)
    with pytest.raises(ValueError, match="replications"):
        cgtsim.run(sc, replications=0)
    with pytest.raises(ValueError, match="threads"):
        cgtsim.run(sc, threads=0)
    with pytest.raises(ValueError, match="timeseries"):
        cgtsim.run(sc, timeseries="fortnightly")
    with pytest.raises(OverflowError):
        cgtsim.run(sc, seed=-1)


def test_report_writes_the_html_page(tmp_path):
    res = cgtsim.run(cgtsim.Scenario.from_dict(MMC), timeseries="month")
    res.report(tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text()
    assert page.lstrip().lower().startswith("<!doctype html") and "mmc" in page


def test_ctrl_c_stops_a_run_cleanly(ctrl_c):
    sc = cgtsim.Scenario.from_dict(MMC).with_values({"simulation.horizon": "100000d"})
    with pytest.raises(KeyboardInterrupt):
        # About 55 s uninterrupted; the run stops after the replications under way.
        cgtsim.run(sc, replications=1_000, threads=2)
    assert time.monotonic() - ctrl_c < 5
    # The module still works afterwards.
    assert cgtsim.run(cgtsim.Scenario.from_dict(MMC), replications=2).provenance()["replications"] == "2"


def test_a_sweep_through_the_api_equals_the_cli_sweep(tmp_path):
    sc = cgtsim.Scenario.from_dict(MMC)
    (tmp_path / "mmc.toml").write_text(sc.to_toml())
    (tmp_path / "sweep.toml").write_text(
        'base = "mmc.toml"\nreplications = 3\nseed = 5\n\n[grid]\n'
        '"resources.server.capacity" = [5, 6]\nload = [1.0, 0.8]\n\n'
        '[linked]\nload = { scale = ["products.mmc.arrivals.rate"] }\n'
    )
    cli("sweep", str(tmp_path / "sweep.toml"), "--out", str(tmp_path / "cli"), "--threads", "2")
    # Every column but the sweep's hash (of the sweep file's text, which the API writes
    # its own way) is the command line's.
    theirs = pd.read_csv(tmp_path / "cli" / "results.csv", **cgtsim._exact_floats(pd))
    theirs = theirs.drop(columns="sweep_sha256")
    grid = {"resources.server.capacity": [5, 6], "load": [1.0, 0.8]}
    linked = {"load": {"scale": ["products.mmc.arrivals.rate"]}}
    mine = cgtsim.sweep(sc, grid=grid, linked=linked, replications=3, seed=5, threads=1)
    mine = mine.drop(columns="sweep_sha256")
    pd.testing.assert_frame_equal(mine, theirs, check_exact=True)
    assert sorted(mine["variant"].unique()) == [0, 1, 2, 3]
    # Kept in `out`, a sweep run again skips what is stored and gives the same table.
    out = tmp_path / "api"
    first = cgtsim.sweep(sc, grid=grid, linked=linked, replications=3, seed=5, out=out)
    again = cgtsim.sweep(sc, grid=grid, linked=linked, replications=3, seed=5, out=out)
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    pd.testing.assert_frame_equal(first.drop(columns="sweep_sha256"), theirs, check_exact=True)


def test_a_latin_hypercube_sweep_and_its_refusals():
    sc = cgtsim.Scenario.from_dict(MMC)
    lhs = {"samples": 4, "ranges": {"resources.server.capacity": {"min": 5, "max": 9}}}
    res = cgtsim.sweep(sc, lhs=lhs, replications=2)
    caps = res.drop_duplicates("variant")["resources.server.capacity"].tolist()
    assert len(caps) == 4 and all(5 <= c <= 9 for c in caps)
    with pytest.raises(cgtsim.ScenarioError, match="suite"):
        cgtsim.sweep(sc, grid={"resources.suite.capacity": [1]})
    with pytest.raises(cgtsim.ScenarioError, match="seed"):
        cgtsim.sweep(sc, grid={"simulation.seed": [1, 2]})
    with pytest.raises(ValueError, match="either grid or lhs"):
        cgtsim.sweep(sc)


def test_size_finds_the_cli_answer_through_the_same_candidates(tmp_path):
    sc = cgtsim.Scenario.from_dict(MMC)
    (tmp_path / "mmc.toml").write_text(sc.to_toml())
    target = "products.mmc.steps.service.wait.mean <= 0.2d"
    out = cli(
        "size", str(tmp_path / "mmc.toml"), "--resource", "server", "--target", target,
        "--max-replications", "40", "--seed", "3",
    )
    res = cgtsim.size(sc, resources="server", targets=target, max_replications=40, seed=3)
    assert out.strip().splitlines()[-1] == f"answer: server = {res.answer['server']}"
    rows = [l.split() for l in out.splitlines()[2:-1]]
    table = res.candidates()
    assert [int(r[0]) for r in rows] == table["server"].tolist()
    assert [r[1] for r in rows] == [f"{m:.4f}" for m in table["mean"]]
    assert [r[-1] for r in rows] == table["verdict"].tolist()
    assert set(table["target"]) == {"products.mmc.steps.service.wait.mean"}
    res.report(tmp_path / "size.html")
    assert "server" in (tmp_path / "size.html").read_text()


def test_size_refusals_and_an_unreachable_target():
    sc = cgtsim.Scenario.from_dict(MMC)
    with pytest.raises(ValueError, match="unknown resource"):
        cgtsim.size(sc, resources="suite", targets="products.mmc.v2v.mean <= 3d")
    with pytest.raises(ValueError, match="target"):
        cgtsim.size(sc, resources="server", targets="products.mmc.nothing <= 3d")
    with pytest.raises(ValueError, match="max-replications"):
        cgtsim.size(sc, resources="server", targets="products.mmc.v2v.mean <= 3d", max_replications=1)
    # Vein-to-vein here is at least the 1-day service: no capacity brings it under.
    res = cgtsim.size(sc, resources="server", targets="products.mmc.v2v.mean <= 0.5d", max_replications=20)
    assert res.answer is None and "cannot be reached" in res.unreachable


def test_the_planner_example_answers_its_question():
    done = subprocess.run(
        [sys.executable, "examples/python/devices_for_growth.py", "10"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    answers = [l for l in done.stdout.splitlines() if l.startswith("demand x")]
    assert len(answers) == 4 and all("keep p90 within 40 days" in l for l in answers)


def test_the_salib_example_runs_where_salib_is_installed():
    pytest.importorskip("SALib")
    done = subprocess.run(
        [sys.executable, "examples/python/salib_sensitivity.py", "4"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "mu_star" in done.stdout and "devices" in done.stdout


def test_without_pandas_the_tables_are_arrow_tables_of_the_same_values(monkeypatch, tmp_path):
    pa = pytest.importorskip("pyarrow")
    sc = cgtsim.Scenario.from_dict(MMC)
    res = cgtsim.run(sc, replications=3, timeseries="month")
    sized = cgtsim.size(sc, resources="server", targets="products.mmc.steps.service.wait.mean <= 0.2d", max_replications=20)
    frames = [res.summary(), res.replications(), res.timeseries(), sized.candidates()]
    monkeypatch.setattr(cgtsim, "_backend", lambda: "arrow")
    tables = [res.summary(), res.replications(), res.timeseries(), sized.candidates()]
    for frame, table in zip(frames, tables):
        assert isinstance(table, pa.Table)
        pd.testing.assert_frame_equal(table.to_pandas(), frame, check_exact=True, check_dtype=False)
    swept = cgtsim.sweep(sc, grid={"resources.server.capacity": [5, 6]}, replications=2)
    assert isinstance(swept, pa.Table) and swept.num_rows > 0


def test_the_type_hints_let_a_checker_catch_wrong_calls(tmp_path):
    pytest.importorskip("mypy")
    good = tmp_path / "good.py"
    good.write_text(
        "import cgtsim\n"
        "sc: cgtsim.Scenario = cgtsim.load('x.toml').with_values({'a.b': 1})\n"
        "res: cgtsim.Result = cgtsim.run(sc, replications=3, seed=1, threads=2)\n"
        "n: int = sc.replications\n"
        "s = cgtsim.size(sc, resources='suite', targets='products.x.v2v.p90 <= 28d')\n"
    )
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import cgtsim\n"
        "sc = cgtsim.load('x.toml')\n"
        "cgtsim.run(sc, replications='many')\n"
        "name: int = sc.name\n"
    )
    check = lambda f: subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", str(f)], capture_output=True, text=True
    )
    ok = check(good)
    assert ok.returncode == 0, ok.stdout
    wrong = check(bad)
    assert wrong.returncode == 1
    assert 'Argument "replications" to "run"' in wrong.stdout and "bad.py:4" in wrong.stdout


@pytest.mark.parametrize("call", ["sweep", "size"])
def test_ctrl_c_stops_a_sweep_and_a_sizing_too(call, ctrl_c, tmp_path):
    sc = cgtsim.Scenario.from_dict(MMC).with_values({"simulation.horizon": "100000d"})
    with pytest.raises(KeyboardInterrupt):
        if call == "sweep":
            grid = {"resources.server.capacity": list(range(5, 15))}
            cgtsim.sweep(sc, grid=grid, replications=50, threads=2, out=tmp_path / "s")
        else:
            # The 90th percentile of a 1-day exponential service is 2.303 days: every
            # candidate stays undecided for thousands of replications.
            target = "products.mmc.v2v.p90 <= 2.3d"
            cgtsim.size(sc, resources="server", targets=target, max_replications=10_000, threads=2)
    # Uninterrupted, the sweep takes about 36 s and the sizing 18 s; both stop after the
    # replications under way.
    assert time.monotonic() - ctrl_c < 5
