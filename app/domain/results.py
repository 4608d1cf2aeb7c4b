"""A task's result files by kind (pure): `image`, `video`, and a video task's further clips
`video2` … `video4` (clip 1 is `video`; protocol notes v2 §5). Each is archived under its kind and
served at `/files/<task>/<token>/<kind><ext>` (docs/storage.md). Each clip also has a poster (its
first frame, `<kind>-poster.webp`), made when the clip is archived."""

from __future__ import annotations

from app.domain.task import Task

CLIP_URLS = "videoClipUrls"  # task property: clip number ("1".."4") → the bot's MP4 link
CLIP_MESSAGES = "videoClipMessages"  # clip number → the clip's message (its Extend buttons)
MORE_CLIPS = ("video2", "video3", "video4")
RESULT_KINDS = ("image", "video", *MORE_CLIPS)
VIDEO_KINDS = ("video", *MORE_CLIPS)
POSTER_SUFFIX = "-poster"
POSTER_EXTENSION = ".webp"


def poster_of(kind: str) -> str:
    """The name of a clip's poster (`video` → `video-poster`)."""
    return f"{kind}{POSTER_SUFFIX}"


POSTER_KINDS = tuple(poster_of(kind) for kind in VIDEO_KINDS)


def clip_of_poster(name: str) -> str | None:
    """The clip kind a poster name belongs to, or None when `name` is no poster."""
    return name.removesuffix(POSTER_SUFFIX) if name in POSTER_KINDS else None


def result_source(task: Task, kind: str) -> str | None:
    """The bot's URL of a task's `kind` result, or None when it has none."""
    if kind == "image":
        return task.image_url
    if kind == "video":
        return task.video_url
    if kind in MORE_CLIPS:
        clips = task.prop(CLIP_URLS)
        url = clips.get(kind.removeprefix("video")) if isinstance(clips, dict) else None
        return str(url) if url and url != task.video_url else None
    return None


def media_kind(kind: str) -> str:
    """`image` or `video`: the media type family a result kind (or a poster) holds."""
    return "image" if kind == "image" or kind in POSTER_KINDS else "video"
