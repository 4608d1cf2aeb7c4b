"""trueai's `POST /mj/submit/video` in the novicezk dialect (protocol notes v2 §7): a video from
a start image, or `action: "extend"` of a clip. Pure: a body becomes a domain command or a
novicezk error envelope.

- New video: `prompt` (required), `image` (URL or data URL, required), `motion` low|high (low),
  `loop`, `endImage` (a public https URL: the bot fetches it and answers "Invalid link"
  otherwise; or a data URL: the task's second input image, which the worker posts to Discord and
  links as `--end`), `batchSize` 1|2|4 (4), `videoType` (recorded; no Discord flag is known for HD),
  `notifyHook`, `state`. It runs as `/imagine <image> <prompt> --video 1 …` on Midjourney.
- Extend: `{action: "extend", taskId, index (0-based), motion, prompt}`: presses
  `animate_<motion>_extend::<index+1>` on the clip (the service moves a press on the video to the
  clip's task: app/api/video_extend.py).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from app.dialects.fields import invalid
from app.dialects.novicezk import DIALECT
from app.dialects.novicezk_requests import (
    _bounded_prompt,
    _decode,
    _opt_str,
    _passthrough,
    _req_str,
    _require_object,
)
from app.domain.actions import Action
from app.domain.commands import CreateTask, PressButton
from app.domain.limits import DEFAULT_LIMITS, MAX_URL_CHARS, InputLimits
from app.domain.video import (
    BATCH_SIZES,
    END_FRAME,
    MOTIONS,
    TURBO_REFUSED,
    end_link_problem,
    names_turbo,
    video_prompt,
)

MAX_VIDEO_TYPE = 64


def _motion(body: dict[str, Any]) -> str:
    motion = body.get("motion")
    if motion in (None, ""):
        return "low"
    if not isinstance(motion, str) or motion.lower() not in MOTIONS:
        raise invalid("motion参数错误: low 或 high (motion must be low or high)")
    return motion.lower()


def _batch(body: dict[str, Any]) -> int:
    batch = body.get("batchSize")
    if batch is None:
        return 4
    if isinstance(batch, bool) or not isinstance(batch, int) or batch not in BATCH_SIZES:
        raise invalid("batchSize参数错误: 1, 2 或 4 (batchSize must be 1, 2 or 4)")
    return batch


def _loop(body: dict[str, Any]) -> bool:
    loop = body.get("loop")
    if loop is not None and not isinstance(loop, bool):
        raise invalid("loop参数错误")
    return bool(loop)


def _image(body: dict[str, Any], limits: InputLimits) -> Any:
    image = body.get("image")
    if image in (None, ""):
        raise invalid("image不能为空 (a video starts from an image)")
    if not isinstance(image, str) or (not image.startswith("data:") and len(image) > MAX_URL_CHARS):
        raise invalid("image参数错误")
    return _decode(image, limits.image_bytes) if image.startswith("data:") else image


def _end_image(body: dict[str, Any], limits: InputLimits) -> Any:
    """The end frame: a public https URL (text, the bot fetches it), or a data URL's image."""
    end = body.get("endImage")
    if end in (None, ""):
        return None
    if not isinstance(end, str):
        raise invalid("endImage参数错误")
    if end.startswith("data:"):
        return _decode(end, limits.image_bytes)
    if len(end) > MAX_URL_CHARS:
        raise invalid("endImage参数错误")
    problem = end_link_problem(end)
    if problem is not None:
        raise invalid(f"endImage参数错误: {problem}")
    return end


def parse_video(body: Any, limits: InputLimits = DEFAULT_LIMITS) -> CreateTask | PressButton:
    """`/mj/submit/video`: a new video, or `action: "extend"` of a clip (module docstring)."""
    body = _require_object(body)
    prompt = _bounded_prompt(_opt_str(body, "prompt") or "", limits)
    extra = dataclasses.replace(_passthrough(body), bot_type=None, account_filter=None)
    if names_turbo(prompt):
        raise invalid(TURBO_REFUSED)
    motion = _motion(body)
    action = body.get("action")
    if action not in (None, ""):
        if not isinstance(action, str) or action.lower() != "extend":
            raise invalid("action参数错误: 只支持 extend (only extend)")
        index = body.get("index")
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index <= 3:
            raise invalid("index参数错误: 0..3")
        return PressButton(
            dialect=DIALECT,
            parent_id=_req_str(body, "taskId"),
            action=Action.ANIMATE,
            index=index + 1,
            variant=motion,
            prompt=prompt or None,
            extra=extra,
        )
    if not prompt.strip():
        raise invalid("prompt不能为空")
    loop = _loop(body)
    end = _end_image(body, limits)
    if loop and end:
        raise invalid("loop 与 endImage 不能同时使用 (loop and endImage exclude each other)")
    video_type = _opt_str(body, "videoType", MAX_VIDEO_TYPE)
    end_url = end if isinstance(end, str) else None
    text = video_prompt(prompt, motion=motion, loop=loop, end_url=end_url, batch=_batch(body))
    params: dict[str, Any] = {"video": True, "motion": motion}
    if video_type:
        params["videoType"] = video_type
    images = [_image(body, limits)]
    if end is not None and end_url is None:
        images.append(end)
        params[END_FRAME] = True
    return CreateTask(
        dialect=DIALECT,
        action=Action.ANIMATE,
        prompt=text,
        images=images,
        params=params,
        extra=extra,
    )
