"""The files a new task keeps (`task_files`): its input images, and a Vary (Region) mask."""

from __future__ import annotations

from typing import Any

from app.domain.images import InputImage
from app.taskstore import StoredFile


def input_files(images: list[InputImage], sources: list[Any]) -> tuple[list[StoredFile], list[Any]]:
    """The task's input files, and its `inputs` column (name, type, size, the URL given)."""
    files, inputs = [], []
    for position, (image, given) in enumerate(zip(images, sources, strict=True)):
        name = f"input-{position}.{image.extension}"
        files.append(
            StoredFile(
                name=name,
                role="input",
                content_type=image.content_type,
                data=image.data,
                position=position,
                source=given if isinstance(given, str) else image.source,
            )
        )
        ref: dict[str, Any] = {
            "name": name,
            "content_type": image.content_type,
            "size": len(image.data),
        }
        if isinstance(given, str):
            ref["url"] = given
        inputs.append(ref)
    return files, inputs


def mask_file(mask: InputImage) -> StoredFile:
    return StoredFile(
        name=f"mask.{mask.extension}",
        role="mask",
        content_type=mask.content_type,
        data=mask.data,
        source="base64",
    )
