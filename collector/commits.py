"""What the collector knows about a commit before looking at its code.

Every source (local repositories, a list of advisory commits, a metadata stream) turns
its input into `CommitInfo` records: repository, commit id, parents, message and the
changed files with their line counts. The filter reads nothing else, so it runs at the
speed of the stream. This module holds plain records only; reading git is
`safecoder.collector.git_repos`, deciding is `safecoder.collector.filter`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ChangedFile:
    path: str
    additions: int | None = None  # None: binary, or not known to the source
    deletions: int | None = None

    @property
    def changed_lines(self) -> int | None:
        if self.additions is None or self.deletions is None:
            return None
        return self.additions + self.deletions

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "additions": self.additions, "deletions": self.deletions}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ChangedFile:
        return cls(path=data["path"], additions=data.get("additions"), deletions=data.get("deletions"))


@dataclass(frozen=True)
class CommitInfo:
    """One commit's metadata. `files` is None when the source does not list them."""

    repository: str
    sha: str
    message: str
    parents: tuple[str, ...] | None = None
    files: tuple[ChangedFile, ...] | None = None
    # CWEs an advisory database names for this commit; they replace the keyword guess.
    advisory_cwes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_merge(self) -> bool:
        return self.parents is not None and len(self.parents) > 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "repository": self.repository,
            "sha": self.sha,
            "message": self.message,
            "parents": list(self.parents) if self.parents is not None else None,
            "files": [f.to_dict() for f in self.files] if self.files is not None else None,
            "advisory_cwes": list(self.advisory_cwes),
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CommitInfo:
        files = data.get("files")
        parents = data.get("parents")
        return cls(
            repository=data["repository"],
            sha=data["sha"],
            message=data.get("message", ""),
            parents=tuple(parents) if parents is not None else None,
            files=tuple(ChangedFile.from_dict(f) for f in files) if files is not None else None,
            advisory_cwes=tuple(data.get("advisory_cwes", ())),
            extra=dict(data.get("extra", {})),
        )
