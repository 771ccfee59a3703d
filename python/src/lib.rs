//! `cgtsim._cgtsim`: the native part of the Python package `cgtsim` (`python/cgtsim`
//! wraps it in the Python conventions: DataFrames, paths, keyword arguments).
//!
//! Everything goes through `cgtsim::cli::api`, the functions the command line itself is
//! built on, so a scenario gives the same results here as with `cgtsim run` for the same
//! seed. The GIL is released while simulating; the calling thread wakes every 50 ms to
//! let Python handle signals, and Ctrl-C stops the run after the replications under way
//! (`KeyboardInterrupt`).
//!
//! This module converts values between Python and Rust and must not compute results.

use cgtsim::cli::api::{self, ApiError, RunOptions, Source};
use cgtsim::cli::scenario::ScenarioError as RustScenarioError;
use pyo3::create_exception;
use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

create_exception!(
    cgtsim,
    ScenarioError,
    PyValueError,
    "A scenario that is not valid, located: `path`, `line` and `column` (1-based; 0 when \
     the problem is not at one place of the text), `message` (what is wrong and how to \
     fix it) and `excerpt` (the offending line)."
);

/// The Python exception for a located scenario error, with its parts as attributes.
fn scenario_error(py: Python<'_>, e: &RustScenarioError) -> PyErr {
    let err = ScenarioError::new_err(e.to_string());
    let value = err.value(py);
    let _ = value.setattr("path", &e.path);
    let _ = value.setattr("line", e.line);
    let _ = value.setattr("column", e.column);
    let _ = value.setattr("message", &e.message);
    let _ = value.setattr("excerpt", &e.excerpt);
    let _ = value.setattr("key", py.None());
    err
}

fn api_error(py: Python<'_>, e: ApiError) -> PyErr {
    match e {
        ApiError::Scenario(e) => scenario_error(py, &e),
        ApiError::Usage(m) => PyValueError::new_err(m),
        ApiError::Io(m) => PyOSError::new_err(m),
        ApiError::Interrupted(m) => PyKeyboardInterrupt::new_err(m),
    }
}

/// A scenario error of text written from a dict: located as usual (in that text, whose
/// line `excerpt` shows), and named by the dict's path in `message`, and as `key`.
fn dict_error(py: Python<'_>, e: &RustScenarioError, text: &str) -> PyErr {
    let key = (e.line > 0).then(|| api::path_at(text, e.line)).flatten();
    let mut e = e.clone();
    if let Some(k) = &key {
        e.message = format!("{} (at `{k}`)", e.message);
    }
    let err = scenario_error(py, &e);
    let _ = err.value(py).setattr("key", key);
    err
}

/// A Python value as a TOML value (dicts, lists, tuples, str, int, float, bool);
/// `at` is its path, for messages.
fn to_toml(v: &Bound<'_, PyAny>, at: &str) -> PyResult<toml::Value> {
    if v.is_instance_of::<PyBool>() {
        return Ok(toml::Value::Boolean(v.extract()?));
    }
    if v.is_instance_of::<PyInt>() {
        let i: i64 = v.extract().map_err(|_| {
            PyValueError::new_err(format!("{at}: {v} does not fit a 64-bit whole number"))
        })?;
        return Ok(toml::Value::Integer(i));
    }
    if v.is_instance_of::<PyFloat>() {
        return Ok(toml::Value::Float(v.extract()?));
    }
    if v.is_instance_of::<PyString>() {
        return Ok(toml::Value::String(v.extract()?));
    }
    if let Ok(d) = v.cast::<PyDict>() {
        let mut t = toml::Table::new();
        for (k, x) in d.iter() {
            let key: String = k.extract().map_err(|_| {
                PyTypeError::new_err(format!("{at}: a key must be a str, not {k:?}"))
            })?;
            let path = if at.is_empty() {
                key.clone()
            } else {
                format!("{at}.{key}")
            };
            t.insert(key, to_toml(&x, &path)?);
        }
        return Ok(toml::Value::Table(t));
    }
    if v.is_instance_of::<PyList>() || v.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, x) in v.try_iter()?.enumerate() {
            out.push(to_toml(&x?, &format!("{at}[{i}]"))?);
        }
        return Ok(toml::Value::Array(out));
    }
    // numpy scalars and other numbers: through float or int.
    if let Ok(i) = v.call_method0("__index__").and_then(|i| i.extract::<i64>()) {
        return Ok(toml::Value::Integer(i));
    }
    if let Ok(f) = v.call_method0("__float__").and_then(|f| f.extract::<f64>()) {
        return Ok(toml::Value::Float(f));
    }
    Err(PyTypeError::new_err(format!(
        "{at}: a scenario holds dicts, lists, str, int, float and bool, not {}",
        v.get_type().name()?
    )))
}

/// A TOML value as a Python value.
fn to_py<'py>(py: Python<'py>, v: &toml::Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match v {
        toml::Value::String(s) => s.into_pyobject(py)?.into_any(),
        toml::Value::Integer(i) => i.into_pyobject(py)?.into_any(),
        toml::Value::Float(f) => f.into_pyobject(py)?.into_any(),
        toml::Value::Boolean(b) => b.into_pyobject(py)?.to_owned().into_any(),
        toml::Value::Datetime(d) => d.to_string().into_pyobject(py)?.into_any(),
        toml::Value::Array(a) => {
            let list = PyList::empty(py);
            for x in a {
                list.append(to_py(py, x)?)?;
            }
            list.into_any()
        }
        toml::Value::Table(t) => {
            let d = PyDict::new(py);
            for (k, x) in t {
                d.set_item(k, to_py(py, x)?)?;
            }
            d.into_any()
        }
    })
}

/// A checked scenario: what `cgtsim.load` and `Scenario.from_dict` return.
#[pyclass(module = "cgtsim", frozen)]
struct Scenario {
    src: Source,
}

#[pymethods]
impl Scenario {
    /// A scenario from a dict of the same structure as the TOML file (durations as
    /// strings such as "14d", as in the file). `name` shows in messages and provenance;
    /// relative paths in it (arrival logs) are read from the current directory.
    #[staticmethod]
    #[pyo3(signature = (d, name = "<dict>"))]
    fn from_dict(py: Python<'_>, d: &Bound<'_, PyDict>, name: &str) -> PyResult<Scenario> {
        let toml::Value::Table(t) = to_toml(d.as_any(), "")? else {
            unreachable!("a dict is a table")
        };
        let text = toml::to_string(&t).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Source::parse(name, &text)
            .map(|src| Scenario { src })
            .map_err(|e| dict_error(py, &e, &text))
    }

    /// A scenario from TOML text.
    #[staticmethod]
    #[pyo3(signature = (text, name = "<text>"))]
    fn from_toml(py: Python<'_>, text: &str, name: &str) -> PyResult<Scenario> {
        Source::parse(name, text)
            .map(|src| Scenario { src })
            .map_err(|e| scenario_error(py, &e))
    }

    /// This scenario with values set by path, as a sweep sets them:
    /// `{"resources.suite.capacity": 6}`; arrays of tables (products, steps, assays)
    /// are walked by the `name` of an element.
    fn with_values(&self, py: Python<'_>, values: &Bound<'_, PyDict>) -> PyResult<Scenario> {
        let mut pairs = Vec::new();
        for (k, v) in values.iter() {
            let path: String = k
                .extract()
                .map_err(|_| PyTypeError::new_err("a path must be a str"))?;
            let value = to_toml(&v, &path)?;
            pairs.push((path, value));
        }
        self.src
            .with_values(&pairs)
            .map(|src| Scenario { src })
            .map_err(|e| scenario_error(py, &e))
    }

    /// The scenario as TOML text.
    fn to_toml(&self) -> String {
        self.src.text().to_string()
    }

    /// The scenario as a dict (the structure of the TOML file).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let t: toml::Table =
            toml::from_str(self.src.text()).map_err(|e| PyValueError::new_err(e.to_string()))?;
        to_py(py, &toml::Value::Table(t))
    }

    /// The name it is shown by (a file's path, or the `name` it was given).
    #[getter]
    fn name(&self) -> String {
        self.src.shown().to_string()
    }

    /// Replications the scenario asks for.
    #[getter]
    fn replications(&self) -> u64 {
        self.src.scenario().replications
    }

    /// The scenario's seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.src.scenario().seed
    }

    /// The products' names.
    #[getter]
    fn products(&self) -> Vec<String> {
        let spec = &self.src.scenario().spec;
        spec.products.iter().map(|p| p.name.clone()).collect()
    }

    /// The resources' names.
    #[getter]
    fn resources(&self) -> Vec<String> {
        let spec = &self.src.scenario().spec;
        spec.resources.iter().map(|r| r.name.clone()).collect()
    }

    fn __repr__(&self) -> String {
        let spec = &self.src.scenario().spec;
        format!(
            "<cgtsim.Scenario {}: {} products, {} resources, {} replications, seed {}>",
            self.src.shown(),
            spec.products.len(),
            spec.resources.len(),
            self.src.scenario().replications,
            self.src.scenario().seed
        )
    }
}

/// Reads, parses and checks a scenario file.
#[pyfunction]
fn load(py: Python<'_>, path: PathBuf) -> PyResult<Scenario> {
    Source::load(&path)
        .map(|src| Scenario { src })
        .map_err(|e| scenario_error(py, &e))
}

/// A finished run (the Python class `cgtsim.Result` turns it into tables).
#[pyclass(module = "cgtsim", frozen)]
struct RunOutput {
    out: api::RunOutput,
}

#[pymethods]
impl RunOutput {
    /// `summary.json` as JSON text.
    fn summary_json(&self) -> String {
        serde_json::to_string(&self.out.summary_json()).expect("JSON values serialise")
    }

    /// `summary.csv`.
    fn summary_csv<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.out.summary_csv())
    }

    /// `timeseries.csv` (empty without a time series).
    fn series_csv<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.out.series_csv())
    }

    /// The metrics' (name, unit), in the order of each replication's values.
    fn metrics(&self) -> Vec<(String, String)> {
        self.out.metrics()
    }

    /// (replications, metrics, values): every replication's values as little-endian
    /// f64, replication by replication.
    fn values<'py>(&self, py: Python<'py>) -> (usize, usize, Bound<'py, PyBytes>) {
        let rows = self.out.values();
        let m = rows.first().map_or(0, Vec::len);
        let mut bytes = Vec::with_capacity(rows.len() * m * 8);
        for row in rows {
            for v in row {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
        }
        (rows.len(), m, PyBytes::new(py, &bytes))
    }

    /// Every replication's events.
    fn events(&self) -> Vec<u64> {
        self.out.events().to_vec()
    }

    /// The provenance columns and their values (as in the CSV files).
    fn provenance(&self) -> Vec<(String, String)> {
        self.out
            .provenance()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect()
    }

    /// Writes the HTML report to `path`.
    fn report(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let out = &self.out;
        py.detach(|| out.write_report(&path))
            .map_err(|e| api_error(py, e))
    }
}

/// Runs `work` without the GIL on a thread of its own, waking every 50 ms to let Python
/// handle signals; a KeyboardInterrupt (or any signal handler's exception) sets
/// `cancelled`, and the error is raised once `work` has returned.
fn without_gil<T: Send>(
    py: Python<'_>,
    cancelled: &AtomicBool,
    work: impl FnOnce() -> T + Send,
) -> PyResult<T> {
    let (value, signal) = py.detach(|| {
        std::thread::scope(|s| {
            let (done, finished) = std::sync::mpsc::channel::<()>();
            let handle = s.spawn(move || {
                let value = work();
                let _ = done.send(());
                value
            });
            let mut signal = None;
            // Woken at once when the work is done (a sleep would add up to its period to
            // every call), else every 50 ms for the signals.
            while let Err(RecvTimeoutError::Timeout) =
                finished.recv_timeout(Duration::from_millis(50))
            {
                if signal.is_none()
                    && let Err(e) = Python::attach(|py| py.check_signals())
                {
                    cancelled.store(true, Ordering::Relaxed);
                    signal = Some(e);
                }
            }
            let value = match handle.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            };
            (value, signal)
        })
    });
    match signal {
        Some(e) => Err(e),
        None => Ok(value),
    }
}

/// Runs an API call without the GIL (see `without_gil`), with a cancel flag of its own,
/// its error as a Python exception.
fn call<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&AtomicBool) -> Result<T, ApiError> + Send,
) -> PyResult<T> {
    let cancelled = AtomicBool::new(false);
    without_gil(py, &cancelled, || work(&cancelled))?.map_err(|e| api_error(py, e))
}

/// Runs a scenario (see `cgtsim.run`).
#[pyfunction]
#[pyo3(signature = (scenario, replications = None, seed = None, threads = None, timeseries = None))]
fn run(
    py: Python<'_>,
    scenario: &Scenario,
    replications: Option<u64>,
    seed: Option<u64>,
    threads: Option<usize>,
    timeseries: Option<String>,
) -> PyResult<RunOutput> {
    let opts = RunOptions {
        replications,
        seed,
        threads,
        timeseries,
    };
    let src = &scenario.src;
    call(py, |cancelled| api::run(src, &opts, cancelled)).map(|out| RunOutput { out })
}

/// Runs a sweep into `out` (see `cgtsim.sweep`); returns (ran, skipped, events).
#[pyfunction]
#[pyo3(signature = (scenario, design, out, threads = None))]
fn sweep(
    py: Python<'_>,
    scenario: &Scenario,
    design: &Bound<'_, PyDict>,
    out: PathBuf,
    threads: Option<usize>,
) -> PyResult<(usize, usize, u64)> {
    let toml::Value::Table(design) = to_toml(design.as_any(), "")? else {
        unreachable!("a dict is a table")
    };
    let src = &scenario.src;
    call(py, |cancelled| {
        api::sweep(src, &design, &out, threads, cancelled)
    })
    .map(|o| (o.ran, o.skipped, o.events))
}

/// A finished sizing search (the Python function `cgtsim.size` turns it into tables).
#[pyclass(module = "cgtsim", frozen)]
struct SizeOutput {
    out: api::SizeOutcome,
}

#[pymethods]
impl SizeOutput {
    /// Per dimension: (name, is a plant).
    fn dims(&self) -> Vec<(String, bool)> {
        self.out.dims.clone()
    }

    /// Per target: (metric, "<=" or ">=", value).
    fn targets(&self) -> Vec<(String, String, f64)> {
        (self.out.targets.iter())
            .map(|(m, op, v)| (m.clone(), op.to_string(), *v))
            .collect()
    }

    /// The metric minimised, if any.
    fn objective(&self) -> Option<String> {
        self.out.objective.clone()
    }

    /// Per candidate tried, in order: (capacities, [(mean, sd, ci95_low, ci95_high, n)
    /// per target], met, verdict, objective as (mean, sd, ci95_low, ci95_high, n) or None).
    #[allow(clippy::type_complexity)]
    fn candidates(
        &self,
    ) -> Vec<(
        Vec<u32>,
        Vec<(f64, f64, f64, f64, usize)>,
        bool,
        String,
        Option<(f64, f64, f64, f64, usize)>,
    )> {
        let row = |e: &cgtsim::experiment::Estimate| {
            let [lo, hi] = e.ci95();
            (e.mean, e.sd, lo, hi, e.n)
        };
        (self.out.candidates.iter())
            .map(|c| {
                (
                    c.capacities.clone(),
                    c.estimates.iter().map(row).collect(),
                    c.met,
                    c.verdict.clone(),
                    c.objective.as_ref().map(row),
                )
            })
            .collect()
    }

    /// The answer's capacities per dimension, or None.
    fn answer(&self) -> Option<Vec<u32>> {
        self.out.answer.clone()
    }

    /// Without an answer, why.
    fn unreachable(&self) -> Option<String> {
        self.out.unreachable.clone()
    }

    /// The seed the candidates ran with.
    fn seed(&self) -> u64 {
        self.out.seed
    }

    /// Writes the HTML page of the search.
    fn report(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        self.out.write_report(&path).map_err(|e| api_error(py, e))
    }
}

/// Sizes capacity (see `cgtsim.size`).
#[pyfunction]
#[pyo3(signature = (scenario, resources, targets, plants, minimise, max_replications, seed = None, threads = None))]
#[allow(clippy::too_many_arguments)]
fn size(
    py: Python<'_>,
    scenario: &Scenario,
    resources: Vec<String>,
    targets: Vec<String>,
    plants: Vec<String>,
    minimise: Option<String>,
    max_replications: u64,
    seed: Option<u64>,
    threads: Option<usize>,
) -> PyResult<SizeOutput> {
    let ask = api::SizeQuestion {
        resources,
        plants,
        targets,
        minimise,
        max_replications,
        seed,
        threads,
    };
    let src = &scenario.src;
    call(py, |cancelled| api::size(src, &ask, cancelled)).map(|out| SizeOutput { out })
}

/// The native module.
#[pymodule]
fn _cgtsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add_class::<Scenario>()?;
    m.add_class::<RunOutput>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(size, m)?)?;
    m.add_class::<SizeOutput>()?;
    Ok(())
}
