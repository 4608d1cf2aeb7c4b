"""The application-command index: Midjourney's and niji's ids and versions, Pika's (ours)."""

from __future__ import annotations

from typing import Any

from app.sandbox.messages import (
    MJ_APPLICATION_ID,
    MJ_BOT,
    NIJI_APPLICATION_ID,
    NIJI_BOT,
    PIKA_APPLICATION_ID,
    PIKA_BOT,
)

Json = dict[str, Any]

INDEX_VERSION = "1300000000000000999"


def _option(kind: int, name: str, description: str, required: bool = False, **extra: Any) -> Json:
    data: Json = {"type": kind, "name": name, "description": description}
    if required:
        data["required"] = True
    data.update(extra)
    return data


def _command(app_id: str, id: str, version: str, name: str, description: str, rank: int,
             options: list[Json] | None = None) -> Json:  # fmt: skip
    return {
        "id": id,
        "type": 1,
        "application_id": app_id,
        "version": version,
        "name": name,
        "description": description,
        "options": options or [],
        "dm_permission": True,
        "contexts": [0, 1, 2],
        "integration_types": [0, 1],
        "global_popularity_rank": rank,
    }


_DIMENSIONS = [
    {"name": "Portrait", "value": "--ar 2:3"},
    {"name": "Square", "value": "--ar 1:1"},
    {"name": "Landscape", "value": "--ar 3:2"},
]
_BLEND_OPTIONS = [
    _option(11, "image1", "First image to add to the blend", True),
    _option(11, "image2", "Second image to add to the blend", True),
    _option(3, "dimensions", "The dimensions of the image.", choices=_DIMENSIONS),
    _option(11, "image3", "Third image to add to the blend (optional)"),
    _option(11, "image4", "Fourth image to add to the blend (optional)"),
    _option(11, "image5", "Fifth image to add to the blend (optional)"),
]
# /prefer: sub-commands (type 1) and the `option` group (type 2) of Midjourney's docs.
_PREFER_OPTIONS = [
    _option(1, "remix", "Toggle remix mode.", options=[]),
    _option(1, "suffix", "Set a suffix added to the end of every prompt.",
            options=[_option(3, "new_value", "The suffix (empty clears it)", max_length=500)]),
    _option(2, "option", "Manage your custom options.", options=[
        _option(1, "set", "Create or delete a custom option.", options=[
            _option(3, "option", "The option's name", True, max_length=32),
            _option(3, "value", "The parameters it stands for (empty deletes it)",
                    max_length=500)]),
        _option(1, "list", "List your custom options.", options=[]),
    ]),
]  # fmt: skip
# The Midjourney-protocol commands: (name, description, popularity rank, options).
_MJ_PROTOCOL: list[tuple[str, str, int, list[Json]]] = [
    ("imagine", "Create images with Midjourney", 1,
     [_option(3, "prompt", "The prompt to imagine", True)]),
    ("blend", "Blend images together seamlessly!", 6, _BLEND_OPTIONS),
    ("describe", "Writes a prompt based on your image.", 2,
     [_option(11, "image", "The image to describe"),
      _option(3, "link", "The link to the image to describe")]),
    ("shorten", "Analyzes and shortens a prompt.", 8,
     [_option(3, "prompt", "The prompt to shorten", True)]),
    ("info", "View information about your profile.", 3, []),
    ("fast", "Switch to fast mode", 5, []),
    ("relax", "Switch to relax mode", 7, []),
    ("turbo", "Switch to turbo mode", 10, []),
    ("settings", "View and adjust your personal settings.", 4, []),
    ("prefer", "Set your personal preferences.", 11, _PREFER_OPTIONS),
    ("show", "Shows the job view based on job id.", 9,
     [_option(3, "job_id", "The job ID of the job you want to show", True)]),
]  # fmt: skip
# (id, version) per command. Midjourney's: spec v2 §1-§6 (turbo is the sandbox's own: no
# source has it). niji's: spec v2 §6 (TA ApiParams); its turbo and prefer are the sandbox's own.
MJ_COMMAND_IDS = {
    "imagine": ("938956540159881230", "1237876415471554623"),
    "blend": ("1062880104792997970", "1237876415471554624"),
    "describe": ("1092492867185950852", "1237876415471554625"),
    "shorten": ("1121575372539039774", "1247736572414001223"),
    "info": ("972289487818334209", "1237876415735660565"),
    "fast": ("972289487818334212", "1237876415735660572"),
    "relax": ("972289487818334213", "1237876415735660573"),
    "turbo": ("972289487818334214", "1237876415735660574"),
    "settings": ("1000850743479255081", "1493662068581077053"),
    "prefer": ("984273800587776053", "1237876415790055476"),
    "show": ("1169435442328911902", "1247736572414001224"),
}
NIJI_COMMAND_IDS = {
    "imagine": ("1023054140580057099", "1248805223892254774"),
    "blend": ("1061216934374424697", "1248805223892254775"),
    "describe": ("1092683500743831652", "1248805223892254776"),
    "shorten": ("1121575453916942376", "1248805223892254777"),
    "show": ("1023054140580057101", "1248805223892254781"),
    "info": ("1023054140580057102", "1248805223892254782"),
    "settings": ("1023054140634579025", "1493662157915684906"),
    "fast": ("1023054140580057107", "1248805223925940261"),
    "relax": ("1023054140634579024", "1248805223925940262"),
    "turbo": ("1023054140634579028", "1248805223925940263"),  # the sandbox's own
    "prefer": ("1023054140634579029", "1248805223925940264"),  # the sandbox's own
}


def _mj_protocol_commands(app_id: str, ids: dict[str, tuple[str, str]]) -> list[Json]:
    return [
        _command(app_id, *ids[name], name, description, rank, options)
        for name, description, rank, options in _MJ_PROTOCOL
    ]


COMMANDS: list[Json] = [
    *_mj_protocol_commands(MJ_APPLICATION_ID, MJ_COMMAND_IDS),
    *_mj_protocol_commands(NIJI_APPLICATION_ID, NIJI_COMMAND_IDS),
    _command(PIKA_APPLICATION_ID, "1123437775926251531", "1123437775926251532", "create",
             "Create a video from a text prompt (and an optional image)", 1,
             [_option(3, "prompt", "Describe the video", True),
              _option(11, "image", "An optional starting image")]),
    _command(PIKA_APPLICATION_ID, "1123437775926251533", "1123437775926251534", "animate",
             "Animate an image", 2,
             [_option(11, "image", "The image to animate", True),
              _option(3, "prompt", "What should happen")]),
]  # fmt: skip


def _application(bot: Json, name: str, description: str, flags: str) -> Json:
    return {
        "id": bot["id"],
        "name": name,
        "description": description,
        "icon": bot["avatar"],
        "bot": bot,
        "bot_id": bot["id"],
        "flags": flags,
    }


APPLICATIONS: list[Json] = [
    _application(MJ_BOT, "Midjourney Bot", "Generate an image based on a text prompt ...",
                 "94371840"),
    _application(NIJI_BOT, "niji・journey Bot", "Generate anime-style images (niji・journey)",
                 "94371840"),
    _application(PIKA_BOT, "Pika", "Create videos from text and images (sandbox)", "8388608"),
]  # fmt: skip


def command_index() -> Json:
    return {
        "applications": APPLICATIONS,
        "application_commands": COMMANDS,
        "version": INDEX_VERSION,
    }


def find_command(application_id: str, command_id: str) -> Json | None:
    for command in COMMANDS:
        if command["application_id"] == application_id and command["id"] == command_id:
            return command
    return None


def search(query: str, limit: int, command_type: int = 1) -> Json:
    """`GET /channels/{id}/application-commands/search` (the pre-2024 lookup)."""
    found = [
        c for c in COMMANDS if c["type"] == command_type and c["name"].startswith(query.lower())
    ]
    found = found[: max(1, limit)]
    app_ids = {c["application_id"] for c in found}
    return {
        "applications": [a for a in APPLICATIONS if a["id"] in app_ids],
        "application_commands": found,
        "cursor": {"next": None, "previous": None, "repaired": None},
    }
