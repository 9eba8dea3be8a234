"""boto3 clients per (service, region), wrapped so every AWS error becomes a one-line OpsError.

Commands talk to several regions at once (a domain spans them), so clients are created lazily
per region. Tests inject clients (moto-backed or botocore `Stubber`-backed) through `overrides`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from ops.errors import AwsFailure, MissingPermission, translate

RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})


class Guarded:
    """A boto3 client whose calls raise `OpsError` (with the IAM action and resource) on failure."""

    def __init__(self, client: Any, region: str):
        self.client = client
        self.region = region
        self.service = str(client.meta.service_model.signing_name)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self.client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._guard(lambda: method(*args, **kwargs), kwargs)

        return call

    def _guard(self, fn: Callable[[], Any], params: dict[str, Any]) -> Any:
        try:
            return fn()
        except ClientError as exc:
            raise translate(exc, self.service, params, self.region) from None
        except NoCredentialsError:
            raise MissingPermission("no AWS credentials found (set AWS_PROFILE or run `aws sso login`)") from None
        except BotoCoreError as exc:
            raise AwsFailure(f"{self.service} call failed in {self.region}: {exc}") from None

    def pages(self, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Paginated results; errors raised while iterating are translated too."""
        iterator = iter(self.client.get_paginator(operation).paginate(**params))
        while True:
            page = self._guard(lambda: next(iterator, None), params)
            if page is None:
                return
            yield page


class Clients:
    """Lazily created, cached clients; `overrides[(service, region)]` wins (tests)."""

    def __init__(self, session: boto3.Session | None = None,
                 overrides: dict[tuple[str, str], Any] | None = None):
        self._session = session
        self._overrides = dict(overrides or {})
        self._cache: dict[tuple[str, str], Guarded] = {}

    def __call__(self, service: str, region: str) -> Guarded:
        key = (service, region)
        if key not in self._cache:
            raw = self._overrides.get(key)
            if raw is None and self._session is not None:
                raw = self._session.client(service, region_name=region, config=RETRIES)  # type: ignore[call-overload]
            elif raw is None:  # boto3's default session: one credential chain and model cache per process
                raw = boto3.client(service, region_name=region, config=RETRIES)  # type: ignore[call-overload]
            self._cache[key] = Guarded(raw, region)
        return self._cache[key]
