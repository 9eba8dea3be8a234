"""The mesh trust anchor in config: parse its PEM and recognise the samples this repository ships.

A sample root's private key is public knowledge (anyone with the repository can mint workload
certificates under it), so prod refuses it by SHA-256 fingerprint of the certificate (DER).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from pathlib import Path

EXAMPLE_ROOT_FILE = Path(__file__).with_name("mesh_example_root.pem")
RETIRED_SAMPLE_FINGERPRINTS = frozenset({
    "88f1ae08d6157247d4123fde261095ca99e9ca59ba50e1866ec9f4ff43659bb0",
    # the Linkerd trust anchor this repository's prod stack file carried until the move to Istio
})
_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)


class PemError(ValueError):
    pass


def certificate_fingerprints(pem: str) -> list[str]:
    """SHA-256 (hex) of each certificate in `pem`; PemError when there is none or one is not base64."""
    blocks = _BLOCK.findall(pem)
    if not blocks:
        raise PemError("is not a PEM certificate (-----BEGIN CERTIFICATE-----)")
    out = []
    for block in blocks:
        try:
            der = base64.b64decode("".join(block.split()), validate=True)
        except (binascii.Error, ValueError):
            raise PemError("holds a certificate block that is not valid base64") from None
        out.append(hashlib.sha256(der).hexdigest())
    return out


def sample_fingerprints() -> frozenset[str]:
    """Fingerprints of every sample root shipped in this repository."""
    return frozenset(certificate_fingerprints(EXAMPLE_ROOT_FILE.read_text())) | RETIRED_SAMPLE_FINGERPRINTS
