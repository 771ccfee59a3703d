"""cgtsim from Python: discrete-event simulation of cell and gene therapy manufacturing.

    >>> import cgtsim
    >>> sc = cgtsim.load("scenarios/ccrm-nordic.toml")
    >>> res = cgtsim.run(sc.with_values({"resources.suite.capacity": 6}), replications=20)
    >>> res.summary()            # one row per metric, as summary.csv
    >>> res.replications()       # one row per replication and metric, as replications.csv

Runs go through the same code as the command line (`cgtsim run`): the same scenario and
seed give the same figures, whatever the number of threads. The GIL is released while
simulating, and Ctrl-C stops a run after the replications under way (KeyboardInterrupt).

Tables are pandas DataFrames when pandas is installed, else pyarrow Tables.
"""

from __future__ import annotations

import io
import sys
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Union

from . import _cgtsim
from ._cgtsim import Scenario, ScenarioError, __version__

__all__ = [
    "Scenario",
    "ScenarioError",
    "Result",
    "SizeResult",
    "load",
    "run",
    "size",
    "sweep",
    "__version__",
]

PathLike = Union[str, "os.PathLike[str]"]


def load(path: PathLike) -> Scenario:
    """Reads, parses and checks a scenario file (TOML).

    Raises ScenarioError, located in the file (`path`, `line`, `column`, `message`).
    """
    return _cgtsim.load(os.fspath(path))


def run(
    scenario: Union[Scenario, PathLike],
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    timeseries: Optional[str] = None,
) -> "Result":
    """Runs a scenario (a Scenario, or the path of a scenario file), as `cgtsim run`.

    replications and seed default to the scenario's; threads to RAYON_NUM_THREADS, else
    SLURM_CPUS_PER_TASK, else every core (results do not depend on it). timeseries
    records a time series by "week", "month", "year" or a duration such as "14d".
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    return Result(_cgtsim.run(scenario, replications, seed, threads, timeseries))


def sweep(
    scenario: Union[Scenario, PathLike],
    grid: Optional[Dict[str, Any]] = None,
    lhs: Optional[Dict[str, Any]] = None,
    linked: Optional[Dict[str, Any]] = None,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    out: Optional[PathLike] = None,
) -> Any:
    """Runs a sweep over a base scenario, as `cgtsim sweep`: every variant with common
    random numbers; returns results.csv as a table (one row per variant and metric, the
    axis values as columns).

    grid maps a path (or a linked name) to its values, every combination a variant:
    {"resources.suite.capacity": [4, 6, 8]}. lhs is a Latin hypercube instead:
    {"samples": 50, "ranges": {"resources.suite.capacity": {"min": 4, "max": 12}}}.
    linked names axes that move several paths: {"demand": {"scale": [path, ...]}}.
    replications and seed default to the scenario's. With out, the variants are kept in
    that directory (as `cgtsim sweep --out`): the same call again skips the variants
    stored there, and `cgtsim report DIR` draws them.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if (grid is None) == (lhs is None):
        raise ValueError("give either grid or lhs")
    design: Dict[str, Any] = {}
    if replications is not None:
        design["replications"] = replications
    if seed is not None:
        design["seed"] = seed
    if grid is not None:
        design["grid"] = grid
    if lhs is not None:
        design["lhs"] = lhs
    if linked is not None:
        design["linked"] = linked
    if out is not None:
        _cgtsim.sweep(scenario, design, os.fspath(out), threads)
        return _csv_table(Path(out, "results.csv").read_bytes())
    with tempfile.TemporaryDirectory(prefix="cgtsim-sweep-") as tmp:
        _cgtsim.sweep(scenario, design, tmp, threads)
        return _csv_table(Path(tmp, "results.csv").read_bytes())


def size(
    scenario: Union[Scenario, PathLike],
    resources: Union[str, Sequence[str]] = (),
    targets: Union[str, Sequence[str]] = (),
    plants: Union[str, Sequence[str]] = (),
    minimise: Optional[str] = None,
    max_replications: int = 200,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
) -> "SizeResult":
    """The smallest capacity of one or more resources that meets every target with 95 %
    confidence, as `cgtsim size`: targets such as "products.car-t.v2v.p90 <= 28d" (a `*`
    stands for one part of a name: every product's). With minimise (a metric such as
    "costs.per_infused"), the least-cost candidate among those that meet every target;
    plants may then be open or closed.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    one = lambda x: [x] if isinstance(x, str) else list(x)
    native = _cgtsim.size(
        scenario,
        one(resources),
        one(targets),
        one(plants),
        minimise,
        max_replications,
        seed,
        threads,
    )
    return SizeResult(native)


class SizeResult:
    """A finished sizing search: the answer and every candidate tried."""

    def __init__(self, native: Any) -> None:
        self._native = native
        dims = native.dims()
        answer = native.answer()
        self.answer: Optional[Dict[str, Union[int, str]]] = (
            None
            if answer is None
            else {name: _capacity(c, plant) for (name, plant), c in zip(dims, answer)}
        )
        """The capacities found (a plant: "open" or "closed"), or None."""
        self.unreachable: Optional[str] = native.unreachable()
        """Without an answer, why: the best value each target reached."""
        self.seed: int = native.seed()

    def candidates(self) -> Any:
        """One row per candidate tried (in order) and target: the capacities, the
        target, the estimate with its 95 % CI, and the verdict (and the objective's
        estimate, with minimise)."""
        dims = self._native.dims()
        targets = self._native.targets()
        objective = self._native.objective()
        columns: Dict[str, List[Any]] = {"candidate": []}
        for name, _ in dims:
            columns[name] = []
        for k in ["target", "op", "target_value", "mean", "sd", "ci95_low", "ci95_high", "n", "met", "verdict"]:
            columns[k] = []
        if objective is not None:
            for k in ["objective", "objective_mean", "objective_ci95_low", "objective_ci95_high"]:
                columns[k] = []
        for i, (caps, estimates, met, verdict, obj) in enumerate(self._native.candidates()):
            for (metric, op, value), (mean, sd, lo, hi, n) in zip(targets, estimates):
                columns["candidate"].append(i)
                for (name, plant), c in zip(dims, caps):
                    columns[name].append(_capacity(c, plant))
                for k, v in zip(
                    ["target", "op", "target_value", "mean", "sd", "ci95_low", "ci95_high", "n", "met", "verdict"],
                    [metric, op, value, mean, sd, lo, hi, n, met, verdict],
                ):
                    columns[k].append(v)
                if objective is not None:
                    columns["objective"].append(objective)
                    o = obj or (float("nan"),) * 4
                    columns["objective_mean"].append(o[0])
                    columns["objective_ci95_low"].append(o[2])
                    columns["objective_ci95_high"].append(o[3])
        return _table(columns)

    def report(self, path: PathLike) -> None:
        """Writes the HTML page of the search (as `cgtsim size --report FILE`)."""
        self._native.report(os.fspath(path))

    def __repr__(self) -> str:
        found = self.answer if self.answer is not None else "no answer"
        return f"<cgtsim.SizeResult {found}>"


def _capacity(c: int, plant: bool) -> Union[int, str]:
    if plant:
        return "open" if c else "closed"
    return c


def _table(columns: Dict[str, List[Any]]) -> Any:
    if _backend() == "pandas":
        import pandas as pd

        return pd.DataFrame(columns)
    import pyarrow as pa

    return pa.table(columns)


def _backend() -> str:
    try:
        import pandas  # noqa: F401

        return "pandas"
    except ImportError:
        pass
    try:
        import pyarrow  # noqa: F401

        return "arrow"
    except ImportError:
        raise ImportError(
            "cgtsim's tables need pandas or pyarrow: pip install pandas (or pyarrow)"
        ) from None


def _csv_table(data: bytes) -> Any:
    """A CSV table cgtsim wrote, as a DataFrame (numbers read back exactly)."""
    if _backend() == "pandas":
        import pandas as pd

        return pd.read_csv(io.BytesIO(data), **_exact_floats(pd))
    import pyarrow.csv as pacsv

    return pacsv.read_csv(io.BytesIO(data))


def _exact_floats(pd: Any) -> Dict[str, str]:
    """read_csv's option for floats read back exactly: the default from pandas 3 on
    (which deprecates the option), `round_trip` before."""
    major = int(pd.__version__.split(".")[0])
    return {} if major >= 3 else {"float_precision": "round_trip"}


class Result:
    """A finished run: its summary, every replication's values, its time series."""

    def __init__(self, native: Any) -> None:
        self._native = native

    def summary_json(self) -> Dict[str, Any]:
        """summary.json as a dict: what `cgtsim run --json` prints."""
        return json.loads(self._native.summary_json())

    def summary(self) -> Any:
        """One row per metric: mean, sd, 95 % CI and n over the replications, with the
        provenance columns (as summary.csv)."""
        return _csv_table(self._native.summary_csv())

    def timeseries(self) -> Any:
        """One row per period and metric (as timeseries.csv); empty without a series."""
        data = self._native.series_csv()
        if not data:
            data = b"period_start,metric,mean,ci_low,ci_high,unit,n\n"
        return _csv_table(data)

    def provenance(self) -> Dict[str, str]:
        """Where the results came from: seed, replications, events, wall time,
        cgtsim's version, the scenario and its SHA-256."""
        return dict(self._native.provenance())

    def replications(self) -> Any:
        """One row per replication and metric (then `run.events`), with the provenance
        columns: replications.csv as a table."""
        n, m, raw = self._native.values()
        metrics = self._native.metrics()
        names = [name for name, _ in metrics] + ["run.events"]
        units = [unit for _, unit in metrics] + ["events"]
        events = self._native.events()
        prov = self.provenance()
        typed = {
            "seed": int(prov["seed"]),
            "replications": int(prov["replications"]),
            "events": int(prov["events"]),
            "wall_time_s": float(prov["wall_time_s"]),
            "cgtsim_version": prov["cgtsim_version"],
            "scenario": prov["scenario"],
            "scenario_sha256": prov["scenario_sha256"],
        }
        if _backend() == "pandas":
            import numpy as np
            import pandas as pd

            values = np.frombuffer(raw, dtype="<f8").reshape(n, m)
            table = np.hstack([values, np.asarray(events, dtype="f8").reshape(n, 1)])
            columns = {
                "replication": np.repeat(np.arange(n, dtype="int64"), m + 1),
                "metric": np.tile(np.array(names, dtype=object), n),
                "unit": np.tile(np.array(units, dtype=object), n),
                "value": table.ravel(),
            }
            df = pd.DataFrame(columns)
            for k, v in typed.items():
                df[k] = v
            return df
        import array

        import pyarrow as pa

        values = array.array("d")
        values.frombytes(raw)
        if sys.byteorder != "little":
            values.byteswap()
        flat = []
        for r in range(n):
            flat.extend(values[r * m : (r + 1) * m])
            flat.append(float(events[r]))
        rows = n * (m + 1)
        columns = {
            "replication": pa.array([r for r in range(n) for _ in range(m + 1)], pa.int64()),
            "metric": pa.array(names * n, pa.string()),
            "unit": pa.array(units * n, pa.string()),
            "value": pa.array(flat, pa.float64()),
        }
        for k, v in typed.items():
            columns[k] = pa.array([v] * rows)
        return pa.table(columns)

    def report(self, path: PathLike) -> None:
        """Writes the self-contained HTML report (as `cgtsim run --report FILE`)."""
        self._native.report(os.fspath(path))

    def __repr__(self) -> str:
        p = self.provenance()
        return (
            f"<cgtsim.Result {p['scenario']}: {p['replications']} replications, "
            f"seed {p['seed']}, {p['events']} events>"
        )
