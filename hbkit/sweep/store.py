"""The results file: an append-only JSONL file of result rows, keyed by job."""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hbkit.sweep.jobs import _json_default

__all__ = ["ResultStore"]


class ResultStore:
    """An append-only JSONL file of result rows, keyed by job.

    :param path: the file (created with its folder on the first write)
    """

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)

    def read(self, repair: bool = False) -> list[dict[str, Any]]:
        """Every complete row, in file order. A torn last line (no newline, or not JSON) is
        ignored, and cut off the file if ``repair``."""
        if not self.path.exists():
            return []
        data = self.path.read_bytes()
        rows: list[dict[str, Any]] = []
        keep = 0  # bytes of the file that hold complete lines
        lines = data.split(b"\n")
        for i, line in enumerate(lines[:-1]):  # the last piece has no newline after it
            try:
                row = json.loads(line)
            except ValueError:
                if i == len(lines) - 2 and not lines[-1]:
                    break  # a torn last line that still got its newline (cannot come from our writer)
                warnings.warn(f"{self.path}: line {i + 1} is not JSON, skipped", stacklevel=2)
                keep += len(line) + 1
                continue
            rows.append(row)
            keep += len(line) + 1
        if repair and keep < len(data):
            with open(self.path, "r+b") as f:
                f.truncate(keep)
                f.flush()
                os.fsync(f.fileno())
        return rows

    def done(self, retry_errors: bool = False) -> dict[str, dict[str, Any]]:
        """key -> row of every job already in the file (the last ``ok`` row wins; error rows
        count as done unless ``retry_errors``)."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.read():
            ok_before = out.get(row["key"], {}).get("status") == "ok"
            if row.get("status") == "ok" or (not retry_errors and not ok_before):
                out[row["key"]] = row
        return out

    def append(self, row: Mapping[str, Any]) -> None:
        """Append one row: one ``write`` of the whole line, then ``fsync``."""
        line = (json.dumps(row, sort_keys=True, separators=(",", ":"), default=_json_default) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, line)
            while written < len(line):  # a short write (rare, e.g. a full disk) is completed
                written += os.write(fd, line[written:])
            os.fsync(fd)
        finally:
            os.close(fd)
