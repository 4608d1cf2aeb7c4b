"""trueai's `accountFilter` (spec v2 §7): which accounts may take a task, as a client asks it.

`modes` are speed modes in order of preference (lower case, see app/domain/speed.py), `remix`
wants an account that shows Midjourney's remix modals (true) or one that does not (false),
`niji_remix` the same of niji・journey's Remix (each bot keeps its own, spec v2 §6), and
`remix_auto_considered` is the task's own choice of auto-submitting a remix modal with its
prompt. `remark` narrows to accounts whose name contains it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.speed import prompt_mode

MAX_INSTANCE_ID_CHARS = 100
MAX_REMARK_CHARS = 100


@dataclass(frozen=True, kw_only=True)
class AccountFilter:
    instance_id: str | None = None
    modes: tuple[str, ...] = ()
    remix: bool | None = None
    niji_remix: bool | None = None
    remix_auto_considered: bool | None = None
    remark: str | None = None

    def echo(self) -> dict[str, object]:
        """The filter as trueai shows it in a task (`accountFilter`), fields given only."""
        out: dict[str, object] = {
            "instanceId": self.instance_id,
            "modes": [m.upper() for m in self.modes] or None,
            "remix": self.remix,
            "nijiRemix": self.niji_remix,
            "remixAutoConsidered": self.remix_auto_considered,
            "remark": self.remark,
        }
        return {k: v for k, v in out.items() if v is not None}


def placement(
    route_mode: str | None, account_filter: AccountFilter | None, prompt: str
) -> dict[str, Any]:
    """The task columns that say where and how a new task runs (docs/accounts.md).

    The requested mode follows trueai's priority: the route prefix, then the filter's modes (the
    worker tries them in order), then a `--fast`/`--relax`/`--turbo` in the prompt.
    """
    f = account_filter or AccountFilter()
    request_mode = route_mode or (None if f.modes else prompt_mode(prompt))
    return {
        "request_mode": request_mode,
        "filter_account_id": f.instance_id,
        "filter_modes": list(f.modes) or None,
        "filter_remix": f.remix,
        "filter_niji_remix": f.niji_remix,
        "remix_auto": f.remix_auto_considered,
    }
