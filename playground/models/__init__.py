"""The shared model hub: catalog, sources, loading, device and quantisation policy."""

from playground.models.catalog import CATALOG, Kind, ModelSpec
from playground.models.hub import ModelHub, ModelStatus, ModelUnavailable, UnknownModel, default_hub
from playground.models.loaders import LoadedModel

__all__ = ["CATALOG", "Kind", "LoadedModel", "ModelHub", "ModelSpec", "ModelStatus", "ModelUnavailable", "UnknownModel", "default_hub"]
