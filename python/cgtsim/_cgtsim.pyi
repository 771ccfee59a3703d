"""Type hints of the native module `cgtsim._cgtsim` (use it through `cgtsim`)."""

from typing import Any, Dict, List, Optional, Tuple

__version__: str

class ScenarioError(ValueError):
    """A scenario that is not valid, located in its text."""

    path: str
    line: int
    column: int
    message: str
    excerpt: str
    key: Optional[str]
    """For a dict (Scenario.from_dict), the path of the offending key."""

class Scenario:
    """A checked scenario."""

    @staticmethod
    def from_dict(d: Dict[str, Any], name: str = "<dict>") -> "Scenario":
        """A scenario from a dict of the same structure as the TOML file."""
    @staticmethod
    def from_toml(text: str, name: str = "<text>") -> "Scenario":
        """A scenario from TOML text."""
    def with_values(self, values: Dict[str, Any]) -> "Scenario":
        """This scenario with values set by path, as a sweep sets them."""
    def to_toml(self) -> str:
        """The scenario as TOML text."""
    def to_dict(self) -> Dict[str, Any]:
        """The scenario as a dict (the structure of the TOML file)."""
    @property
    def name(self) -> str: ...
    @property
    def replications(self) -> int: ...
    @property
    def seed(self) -> int: ...
    @property
    def products(self) -> List[str]: ...
    @property
    def resources(self) -> List[str]: ...

class RunOutput:
    """A finished run, as the native module returns it (wrapped by `cgtsim.Result`)."""

    def summary_json(self) -> str: ...
    def summary_csv(self) -> bytes: ...
    def series_csv(self) -> bytes: ...
    def metrics(self) -> List[Tuple[str, str]]: ...
    def values(self) -> Tuple[int, int, bytes]: ...
    def events(self) -> List[int]: ...
    def provenance(self) -> List[Tuple[str, str]]: ...
    def report(self, path: str) -> None: ...

def load(path: str) -> Scenario: ...
def run(
    scenario: Scenario,
    replications: Optional[int] = None,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
    timeseries: Optional[str] = None,
) -> RunOutput: ...
def sweep(
    scenario: Scenario,
    design: Dict[str, Any],
    out: str,
    threads: Optional[int] = None,
) -> Tuple[int, int, int]: ...

class SizeOutput:
    """A finished sizing search, as the native module returns it (wrapped by
    `cgtsim.SizeResult`)."""

    def dims(self) -> List[Tuple[str, bool]]: ...
    def targets(self) -> List[Tuple[str, str, float]]: ...
    def objective(self) -> Optional[str]: ...
    def candidates(
        self,
    ) -> List[
        Tuple[
            List[int],
            List[Tuple[float, float, float, float, int]],
            bool,
            str,
            Optional[Tuple[float, float, float, float, int]],
        ]
    ]: ...
    def answer(self) -> Optional[List[int]]: ...
    def unreachable(self) -> Optional[str]: ...
    def seed(self) -> int: ...
    def report(self, path: str) -> None: ...

def size(
    scenario: Scenario,
    resources: List[str],
    targets: List[str],
    plants: List[str],
    minimise: Optional[str],
    max_replications: int,
    seed: Optional[int] = None,
    threads: Optional[int] = None,
) -> SizeOutput: ...
