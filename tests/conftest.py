"""Shared pytest fixtures for hbkit."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import hbkit  # noqa: F401  (registers the environments)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def tmp_scenario(tmp_path):
    """Write a scenario file from text and return its path: ``tmp_scenario(text, name)``."""

    def write(text: str, name: str = "bad.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        return path

    return write


@pytest.fixture
def fast_env(monkeypatch):
    """Run with HBKIT_FAST=1 (shrinks training in notebooks and demos)."""
    monkeypatch.setenv("HBKIT_FAST", "1")
    return os.environ
