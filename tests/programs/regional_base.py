"""Only the regional base of every configured region (component tests of the base layer).

Same composition code as the platform (`stacks.compose.base.build_base`) without the other
layers, so these tests are fast and fail only for reasons of the base.
"""

from stacks.compose.base import build_base
from stacks.compose.types import RegionContext
from stacks.config import load_config
from stacks.platform import RegionalPlatform, aws_provider
from stacks.tags import base_tags

cfg = load_config()
provider = aws_provider(cfg)
for region in cfg.regions:
    parent = RegionalPlatform(f"{cfg.environment}-{region.name}", region.name)
    base = build_base(RegionContext(cfg=cfg, region=region, aws_provider=provider, parent=parent,
                                    tags=base_tags(cfg)))
