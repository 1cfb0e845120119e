"""The model registry: versions, manifests, aliases, promotion and rollback."""

from safecoder.registry.manifest import Manifest
from safecoder.registry.store import Registration, Registry, RegistryError

__all__ = ["Manifest", "Registration", "Registry", "RegistryError"]
