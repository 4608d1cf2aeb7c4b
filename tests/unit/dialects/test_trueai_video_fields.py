"""trueai's video fields of a task (novicezk_trueai.py): clip posters, length, origin image."""

from __future__ import annotations

from typing import Any

from app.dialects.novicezk_trueai import trueai_fields
from app.domain.results import CLIP_URLS
from app.domain.task import Task
from app.domain.video import VIDEO_FACTS

CDN = "https://cdn.discordapp.com/attachments/1/2"


def _video(**changes: Any) -> Task:
    properties = {
        "_origin": "https://relay.example",
        "_file_token": "t0k",
        CLIP_URLS: {"1": f"{CDN}/a_1.mp4", "2": f"{CDN}/a_2.mp4"},
        **changes.pop("properties", {}),
    }
    values: dict[str, Any] = {
        "id": "17",
        "dialect": "novicezk",
        "action": "ANIMATE",
        "status": "SUCCESS",
        "video_url": f"{CDN}/a_1.mp4",
        "final_prompt": "<https://s.mj.run/abc> a boat --video 1 --motion low",
        "properties": properties,
        **changes,
    }
    return Task(**values)


def test_every_clip_has_its_poster_at_mjrelays_own_url() -> None:
    fields = trueai_fields(_video())
    assert fields["videoUrls"] == [
        {
            "url": "https://relay.example/files/17/t0k/video.mp4",
            "thumbnail": "https://relay.example/files/17/t0k/video-poster.webp",
        },
        {
            "url": "https://relay.example/files/17/t0k/video2.mp4",
            "thumbnail": "https://relay.example/files/17/t0k/video2-poster.webp",
        },
    ]


def test_a_stored_public_poster_url_wins() -> None:
    public = {"_public_files": {"video-poster": "https://bucket.example/p.webp"}}
    fields = trueai_fields(_video(properties=public))
    assert fields["videoUrls"][0]["thumbnail"] == "https://bucket.example/p.webp"


def test_length_is_null_until_measured() -> None:
    unknown = trueai_fields(_video())
    known = trueai_fields(_video(properties={VIDEO_FACTS: {"duration": 5, "frames": 120}}))
    assert (unknown["videoDuration"], unknown["frameCount"]) == (None, None)
    assert (known["videoDuration"], known["frameCount"]) == (5, 120)


def test_the_origin_image_is_the_clients_url_else_the_bots_first_link() -> None:
    given = _video(inputs=[{"name": "input-0.png", "url": "https://img.example/start.png"}])
    assert trueai_fields(given)["videoGenOriginImageUrl"] == "https://img.example/start.png"
    assert trueai_fields(_video())["videoGenOriginImageUrl"] == "https://s.mj.run/abc"
    assert trueai_fields(_video(final_prompt="a boat --video 1"))["videoGenOriginImageUrl"] is None
    image = _video(action="IMAGINE", video_url=None, properties={CLIP_URLS: {}})
    shown = trueai_fields(image)
    assert shown["videoGenOriginImageUrl"] is None and shown["videoUrls"] == []
