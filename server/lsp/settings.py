"""The settings an editor sends: validated at the wire, then folded into `LspConfig`.

Editors send settings twice: as `initializationOptions` when they connect, and in
`workspace/didChangeConfiguration` (as `{"safecoder": {...}}`, or the bare object)
when the user changes one. Both carry the same camelCase object, every key optional:

    {"enabled": true, "serverUrl": "http://127.0.0.1:8000", "apiKey": "...",
     "gate": "rerank", "completions": true, "diagnostics": true, "fixes": true,
     "completionDebounceMs": 150, "diagnosticsDebounceMs": 300, "maxTokens": 64,
     "temperature": 0.2, "model": "default"}

`enabled: false` switches completions, diagnostics and fixes off at once. An empty
`serverUrl` means "run the model in the language server's process". The API key lives
only in memory (the VS Code extension keeps it in its SecretStorage).

Not here: what the settings do; the features read the resulting `LspConfig`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from safecoder.config import ConfigError
from safecoder.server.lsp.config import LspConfig

SECTION = "safecoder"


class SettingsError(ConfigError):
    """Editor settings that are malformed or out of range; the message names the setting."""


class ClientSettings(BaseModel):
    """The editor-facing settings; unknown keys are refused so typos do not pass silently."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool | None = None
    serverUrl: str | None = None
    apiKey: str | None = None
    gate: Literal["off", "annotate", "rerank", "block"] | None = None
    completions: bool | None = None
    diagnostics: bool | None = None
    fixes: bool | None = None
    completionDebounceMs: int | None = None
    diagnosticsDebounceMs: int | None = None
    maxTokens: int | None = None
    temperature: float | None = None
    model: str | None = None

    def apply(self, config: LspConfig) -> LspConfig:
        """`config` with these settings on top; range checks are `LspConfig`'s own."""
        changes: dict[str, Any] = {}
        if self.serverUrl is not None:
            changes["server_url"] = self.serverUrl.strip() or None
        for wire_name, field_name in (
            ("gate", "gate"), ("completions", "completions"), ("diagnostics", "diagnostics"),
            ("fixes", "fixes"), ("completionDebounceMs", "completion_debounce_ms"),
            ("diagnosticsDebounceMs", "diagnostics_debounce_ms"), ("maxTokens", "max_tokens"),
            ("temperature", "temperature"), ("model", "model"),
        ):
            value = getattr(self, wire_name)
            if value is not None:
                changes[field_name] = value
        if self.enabled is False:
            changes.update(completions=False, diagnostics=False, fixes=False)
        try:
            return config.replace(**changes)
        except ConfigError as exc:
            raise SettingsError(f"SafeCoder setting rejected: {exc}") from None


def parse_settings(raw: Any) -> ClientSettings:
    """Validate what an editor sent (`None`, the bare object, or `{"safecoder": {...}}`)."""
    if raw is None:
        return ClientSettings()
    if not isinstance(raw, dict):
        raise SettingsError(
            f"SafeCoder settings must be a JSON object, got {type(raw).__name__}; "
            f"check the `{SECTION}` section of your editor's settings"
        )
    if SECTION in raw and isinstance(raw[SECTION], dict):
        raw = raw[SECTION]
    try:
        return ClientSettings.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(settings)'}: {error['msg']}" for error in exc.errors()
        )
        raise SettingsError(
            f"SafeCoder settings rejected ({problems}); fix them in the `{SECTION}` section of your editor's settings"
        ) from None
