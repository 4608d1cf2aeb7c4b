"""Where result files live: `MJRELAY_STORAGE_URL` parsed (pure; no I/O, no obstore)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class StorageLocation:
    """`file:///abs/folder` (a local folder) or `s3://bucket/optional/prefix`."""

    scheme: str  # "file" or "s3"
    path: str = ""  # the folder, for file://
    bucket: str = ""  # for s3://
    prefix: str = ""  # for s3://, without slashes at either end

    @property
    def is_local(self) -> bool:
        return self.scheme == "file"

    def describe(self) -> str:
        """For logs and `storage check`: never holds credentials (they come from AWS_*)."""
        if self.is_local:
            return f"file://{self.path}"
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")


def parse_storage_url(value: str) -> StorageLocation:
    """Raise ValueError with a clear message for anything but file:// or s3:// URLs."""
    parts = urlsplit(value.strip())
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise ValueError("a file:// URL names a local folder: file:///path/to/folder")
        path = unquote(parts.path)
        if not path.startswith("/"):
            raise ValueError("a file:// URL needs an absolute path: file:///path/to/folder")
        return StorageLocation("file", path=str(Path(path)))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError("an s3:// URL names a bucket: s3://bucket/optional/prefix")
        if parts.query or parts.fragment or "@" in parts.netloc:
            raise ValueError(
                "an s3:// URL is only s3://bucket/prefix; credentials come from AWS_* variables"
            )
        return StorageLocation("s3", bucket=parts.netloc, prefix=parts.path.strip("/"))
    raise ValueError("must be a file:///folder or s3://bucket/prefix URL")


def default_location(data_dir: Path) -> StorageLocation:
    return StorageLocation("file", path=str(Path(data_dir).expanduser().resolve() / "files"))
