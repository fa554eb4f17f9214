"""Scan a source tree: read each file, parse it once with libcst, fold it into FileFacts."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

from scopeplan.scanner.facts import FileFacts
from scopeplan.scanner.files import discover, module_name, read

__all__ = ["FileFacts", "discover", "scan", "scan_source"]


def scan(root: Path, paths: list[Path] | None = None) -> list[FileFacts]:
    """FileFacts for every Python file under root (or the given paths), in path order."""
    root = root.resolve()
    base = root if root.is_dir() else root.parent
    files = discover(root) if paths is None else paths
    out = []
    for path in files:
        relative = path.resolve().relative_to(base)
        data = read(path)
        if isinstance(data, str):
            out.append(FileFacts(relative.as_posix(), module_name(relative)[0], error=data))
        else:
            out.append(scan_source(data, relative))
    return out


def scan_source(data: bytes, relative: Path) -> FileFacts:
    """Fold one file's bytes; a file that cannot be decoded or parsed becomes an error row."""
    import libcst as cst  # imported here: a run that parses nothing never pays for it

    from scopeplan.scanner.walk import walk

    name, package = module_name(relative)
    path = relative.as_posix()
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        text = data.decode(encoding)
    except SyntaxError as exc:
        if "invalid or missing encoding" in str(exc):
            return FileFacts(path, name, error="not valid utf-8 text, and it declares no other encoding")
        return FileFacts(path, name, error=f"cannot decode the file: {exc}")
    except LookupError as exc:
        return FileFacts(path, name, error=f"cannot decode the file: {exc}")
    except UnicodeDecodeError as exc:
        return FileFacts(path, name, error=f"not valid {exc.encoding} text (byte {exc.start}); is it binary?")
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        hint = " (Python 2 code?)" if _looks_like_python2(text) else ""
        return FileFacts(path, name, error=f"not valid Python 3{hint}: line {exc.raw_line}, column "
                                           f"{exc.raw_column + 1}: {exc.message}")
    except (RecursionError, MemoryError, ValueError) as exc:
        return FileFacts(path, name, error=f"cannot parse the file: {type(exc).__name__}")
    try:
        return walk(module, path, name, text.splitlines(), package)
    except RecursionError:
        return FileFacts(path, name, error="the file nests too deeply to analyse")
    except Exception as exc:  # a bug in scopeplan must cost one file, not the run
        return FileFacts(path, name, error=f"scopeplan failed on this file ({type(exc).__name__}: {exc}); "
                                           "please report it")


def _looks_like_python2(text: str) -> bool:
    return any(line.lstrip().startswith(("print ", "exec ")) or "except Exception, " in line
               for line in text.splitlines())
