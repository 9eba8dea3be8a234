"""Pulumi entry point: load the typed config, build the platform, export its outputs."""

from stacks.config import load_config
from stacks.platform import build_platform

build_platform(load_config()).export()
