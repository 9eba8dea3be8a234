"""Preview section "chart images": where every Helm release's images come from.

Read back from the values each release in the plan is given (components/chart_images.py
`pulled_images`), so what is printed is what Helm renders: an image is "cached" when it is in the
release region's ECR (the pull-through cache), else "upstream". Upstream images are listed with
the cache rule that would cover them: Docker Hub (`docker-hub`) and GHCR (`github`) need a
credential before they can be enabled (docs/delivery.md, "Chart images"). A release whose chart
has no row in `CHART_IMAGES` fails the report: its images are unknown until someone reads them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from components.chart_images import CHART_IMAGES, chart_name, pulled_images
from components.ecr import upstream_rule
from stacks.harness.plan import Plan
from stacks.reports import Report

RELEASE = "kubernetes:helm.sh/v3:Release"
ECR = re.compile(r"^\d{12}\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/")


@dataclass(frozen=True)
class ChartImage:
    region: str
    release: str
    chart: str
    image: str
    cached: bool
    rule: str | None
    """The cache rule the upstream needs (`docker-hub`, `github`, ...); None for a cached image."""


def unknown_charts(plan: Plan) -> list[str]:
    """Charts of the plan's releases without a row in `CHART_IMAGES` (their images are unknown)."""
    return sorted({c for r in plan.of_type(RELEASE) if (c := chart_name(str(r.get("chart")))) not in CHART_IMAGES})


def chart_images(plan: Plan) -> list[ChartImage]:
    """Every image of every Helm release in the plan whose chart has a row, in plan order."""
    out: list[ChartImage] = []
    for r in plan.of_type(RELEASE):
        chart = chart_name(str(r.get("chart")))
        if chart not in CHART_IMAGES:
            continue
        for image in pulled_images(chart, r.get("values") or {}):
            m = ECR.match(image)
            cached = m is not None and m.group(1) == r.region
            out.append(ChartImage(r.region or "global", r.name, chart, image, cached,
                                  None if cached else upstream_rule(image)))
    return out


def upstream(plan: Plan) -> list[ChartImage]:
    """The chart images that do not go through the region's pull-through cache."""
    return [i for i in chart_images(plan) if not i.cached]


def report(plan: Plan) -> Report:
    images, unknown = chart_images(plan), unknown_charts(plan)
    if not images and not unknown:
        return Report(name="chart images", lines=["no Helm release in this stack"], data={"images": []})
    lines = [f"chart {c}: no row in components/chart_images.py CHART_IMAGES (read its values.yaml at the pin)"
             for c in unknown]
    for region in sorted({i.region for i in images}):
        here = [i for i in images if i.region == region]
        off = [i for i in here if not i.cached]
        lines.append(f"{region}: {len({i.image for i in here if i.cached})} images through the pull-through "
                     f"cache, {len({i.image for i in off})} upstream")
        by_image: dict[tuple[str, str | None], list[str]] = {}
        for i in off:
            by_image.setdefault((i.image, i.rule), []).append(i.chart)
        for (image, rule), charts in sorted(by_image.items()):
            why = f"rule `{rule}` is off" if rule else "no pull-through rule can cache this registry"
            lines.append(f"  upstream: {image} ({', '.join(sorted(set(charts)))}; {why})")
    cached = len({(i.region, i.image) for i in images if i.cached})
    direct = len({(i.region, i.image) for i in images if not i.cached})
    rules = sorted({i.rule for i in images if not i.cached and i.rule})
    if rules:
        lines.append(f"to cache the rest: add {', '.join(rules)} to delivery.registry.pull_through with "
                     "delivery.registry.upstream_credentials (docs/delivery.md)")
    return Report(name="chart images", lines=lines,
                  data={"images": [i.__dict__ for i in images], "unknown_charts": unknown}, failed=bool(unknown),
                  summary=f"{cached} cached, {direct} upstream" + (f", {len(unknown)} unknown" if unknown else ""))
