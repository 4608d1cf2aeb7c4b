"""matplotlib, headless. Scenarios call `pyplot()`; None when matplotlib is not installed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

COLORS = {"mjrelay": "#1f77b4", "pgqueuer": "#ff7f0e", "procrastinate": "#2ca02c"}


def pyplot() -> Any | None:
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def color(name: str) -> str:
    return COLORS.get(name, "#7f7f7f")


def save(fig: Any, plots_dir: Path, name: str) -> Path:
    """Write `name` into plots_dir; returns its path relative to the docs folder."""
    path = plots_dir / name
    fig.savefig(path, dpi=110, bbox_inches="tight")
    fig.clf()
    return Path(plots_dir.name) / name
