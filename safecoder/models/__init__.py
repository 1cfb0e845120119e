"""Model references and loading: `default`, local paths, registry versions, hub ids."""

from safecoder.models.reference import ModelNotFoundError, ResolvedModel, resolve

__all__ = ["ModelNotFoundError", "ResolvedModel", "resolve"]
