"""Pulumi entry point: load the typed config, build the platform, export its outputs."""

from stacks.config import load_config
from stacks.gc_tuning import defer_full_collections
from stacks.platform import build_platform

defer_full_collections()
build_platform(load_config()).export()
