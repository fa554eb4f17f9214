"""`[tool.scopeplan]` in the scanned project's pyproject.toml -> Config; CLI flags override it."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from scopeplan import safeio


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the bad key."""


@dataclass(frozen=True)
class Config:
    """Every setting of a run; defaults here, then pyproject.toml, then CLI flags."""

    catalogue: str = "bundled"
    baseline: str = ".scopeplan.json"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    entry_points: tuple[str, ...] = ()
    modules: tuple[tuple[str, tuple[str, ...]], ...] = ()  # function -> module names it is called with
    custom_modules: tuple[str, ...] = ()  # API names of custom modules that do not end in __c
    edition: str | None = None
    users: int | None = None
    runs_per_day: tuple[tuple[str, int], ...] = ()  # entry point -> runs per day ("*" for every one)
    edition_limits: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = ()
    credit_tolerance: float | None = None  # percent; None: credit changes are reported, never fail the gate
    cache_max_age_days: int = 7
    compact: bool = False
    granted: tuple[str, ...] = ()  # scopes configured in the Zoho API console (`check --granted`)
    granted_source: str = ""  # "--granted" or the pyproject.toml they came from
    strict: bool = False
    cache: bool = True
    workers: int = 0  # 0: one per core
    include_tests: bool = False  # test folders and files call the library with placeholders against mocks
    source: str = "defaults"  # where the [tool.scopeplan] table came from


# key in pyproject.toml -> (Config field, expected TOML type, description)
_KEYS: dict[str, tuple[str, type | tuple[type, ...], str]] = {
    "catalogue": ("catalogue", str, "a string: bundled, live or a file path"),
    "baseline": ("baseline", str, "a string: the baseline file path"),
    "include": ("include", list, "a list of glob strings"),
    "exclude": ("exclude", list, "a list of glob strings"),
    "entry-points": ("entry_points", list, "a list of functions, e.g. \"pkg.mod:Class.method\""),
    "granted": ("granted", list, "a list of scope strings configured in the Zoho API console"),
    "modules": ("modules", dict, "a table of function -> list of module API names"),
    "custom-modules": ("custom_modules", list, "a list of custom module API names"),
    "edition": ("edition", str, "a string: free, standard, professional, enterprise or ultimate"),
    "users": ("users", int, "an integer: the number of user licences"),
    "runs-per-day": ("runs_per_day", dict, "a table of entry point -> runs per day"),
    "edition-limits": ("edition_limits", dict, "a table of edition -> {base, per_user, max}"),
    "credit-tolerance": ("credit_tolerance", (int, float), "a number >= 0: percent of allowed credit growth"),
    "cache-max-age-days": ("cache_max_age_days", int, "an integer: days before a cached live catalogue is stale"),
    "compact": ("compact", bool, "true or false"),
    "strict": ("strict", bool, "true or false"),
    "cache": ("cache", bool, "true or false"),
    "workers": ("workers", int, "an integer: worker processes, 0 for one per core"),
    "include-tests": ("include_tests", bool, "true or false"),
}


def load(root: Path, **overrides: object) -> Config:
    """Read `[tool.scopeplan]` from root's pyproject.toml (if any) and apply non-None overrides."""
    base = root if root.is_dir() else root.parent
    pyproject = base / "pyproject.toml"
    config = Config()
    if pyproject.is_file():
        try:
            data = safeio.load_toml(pyproject, safeio.CONFIG_LIMIT, "pyproject.toml")
        except ValueError as exc:  # TOMLDecodeError, UnicodeDecodeError, nested too deeply
            raise ConfigError(f"{pyproject}: not valid TOML ({exc})") from None
        except OSError as exc:  # above the size limit, or unreadable
            raise ConfigError(f"{pyproject}: cannot read it ({exc.strerror})") from None
        table = data.get("tool", {}).get("scopeplan")
        if table is not None:
            config = from_table(table, str(pyproject))
    known = {f.name for f in fields(Config)}
    changes = {k: v for k, v in overrides.items() if v is not None}
    unknown = set(changes) - known
    if unknown:
        raise ConfigError(f"unknown override {sorted(unknown)[0]!r}")
    return replace(config, **changes)


def from_table(table: object, where: str) -> Config:
    """Validate a `[tool.scopeplan]` table; an unknown key or a wrong type names the key."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [tool.scopeplan] must be a table")
    values: dict[str, object] = {"source": where}
    for key, value in table.items():
        if key not in _KEYS:
            raise ConfigError(f"{where}: unknown key tool.scopeplan.{key} (known: {', '.join(sorted(_KEYS))})")
        name, kind, what = _KEYS[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ConfigError(f"{where}: tool.scopeplan.{key} must be {what}, got {value!r}")
        values[name] = _convert(key, value, where, what)
    if "granted" in values:
        values["granted_source"] = f"{Path(where).name} [tool.scopeplan] granted"
    return Config(**values)


def _convert(key: str, value, where: str, what: str):
    def bad():
        return ConfigError(f"{where}: tool.scopeplan.{key} must be {what}, got {value!r}")

    if key == "granted":
        if not all(isinstance(v, str) for v in value):
            raise bad()
        return tuple(value)
    if key in ("include", "exclude", "entry-points", "custom-modules"):
        if not all(isinstance(v, str) for v in value):
            raise bad()
        return tuple(value)
    if key == "modules":
        if not all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in value.values()):
            raise bad()
        return tuple(sorted((k, tuple(v)) for k, v in value.items()))
    if key == "runs-per-day":
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value.values()):
            raise bad()
        return tuple(sorted(value.items()))
    if key == "edition-limits":
        out = []
        for edition, limits in value.items():
            if not isinstance(limits, dict) or not all(
                    k in ("base", "per_user", "max") and (v is None or isinstance(v, int)) for k, v in limits.items()):
                raise bad()
            out.append((edition.lower(), tuple(sorted(limits.items()))))
        return tuple(sorted(out))
    if key == "edition":
        return value.lower()
    if key in ("users", "workers", "credit-tolerance") and (value < 0 or value != value):  # NaN is not a number
        raise bad()
    return value


def find_root(path: Path) -> tuple[Path, str | None]:
    """The project a path belongs to, found as git, ruff and pre-commit do: walking up from it, the nearest
    folder with a pyproject.toml that has [tool.scopeplan], a .scopeplan.json baseline, or .git.

    Returns (root, the marker that decided it); with no marker anywhere above, the path itself and None.
    """
    start = path.absolute()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if _has_table(candidate / "pyproject.toml"):
            return candidate, "pyproject.toml [tool.scopeplan]"
        if (candidate / ".scopeplan.json").is_file():
            return candidate, ".scopeplan.json"
        if (candidate / ".git").exists():
            return candidate, ".git"
    return path, None


def _has_table(pyproject: Path) -> bool:
    if not pyproject.is_file():
        return False
    try:
        data = safeio.load_toml(pyproject, safeio.CONFIG_LIMIT, "pyproject.toml")
    except (OSError, ValueError):  # TOMLDecodeError, UnicodeDecodeError, too big, nested too deeply
        return True  # a broken file is the user's project file: stop here, config.load names the error
    tool = data.get("tool")
    return isinstance(tool, dict) and "scopeplan" in tool
