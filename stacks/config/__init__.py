"""Typed stack configuration: parse once, validate across fields, fail with named keys."""

from stacks.config.errors import ConfigError, ConfigIssue
from stacks.config.load import load_config, parse
from stacks.config.models import PlatformConfig

__all__ = ["ConfigError", "ConfigIssue", "PlatformConfig", "load_config", "parse"]
