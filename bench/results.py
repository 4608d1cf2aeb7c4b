"""What a scenario hands back: figures against baselines and targets, tables, plots and notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Target:
    """A goal from the issue: on our value (`≥ 2,000/s`) or on our ratio to the baseline."""

    text: str
    threshold: float
    on: Literal["value", "ratio"] = "value"
    higher_is_better: bool = True

    def met(self, value: float, ratio: float | None) -> bool | None:
        subject = value if self.on == "value" else ratio
        if subject is None:
            return None
        return subject >= self.threshold if self.higher_is_better else subject <= self.threshold


@dataclass(frozen=True)
class Figure:
    """One measured figure of ours, optionally beside a baseline measured in the same run."""

    measure: str
    ours: float
    unit: str
    baseline: str | None = None
    baseline_value: float | None = None
    target: Target | None = None

    @property
    def ratio(self) -> float | None:
        if self.baseline_value is None or self.baseline_value == 0:
            return None
        return self.ours / self.baseline_value

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.target.met(self.ours, self.ratio)


@dataclass(frozen=True)
class Table:
    """A supplementary table (per-round figures, CPU split …), rendered as is."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass
class ScenarioResult:
    name: str
    title: str
    summary: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    plots: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def missed(self) -> list[Figure]:
        return [f for f in self.figures if f.met is False]
