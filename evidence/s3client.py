"""How zeromeet talks to an S3 API: a minio client with short timeouts, a few retries on
5xx and the system's (or SSL_CERT_FILE's) certificates. The object store adapter
(store.py), the embedded store's supervisor and the tests that read the store raw all
build their client here."""

from __future__ import annotations

import os

import certifi
import urllib3
from minio import Minio


def minio_client(
    endpoint: str,
    access_key: str | None,
    secret_key: str | None,
    *,
    secure: bool = False,
    region: str | None = None,
    connect_timeout: float = 5.0,
    read_timeout: float = 30.0,
    retries: int = 2,
) -> Minio:
    """A minio client whose failures surface in seconds (minio's own defaults wait minutes)."""
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(
            total=retries,
            backoff_factor=0.2,
            status_forcelist=(500, 502, 503, 504),
            # Hand the last 5xx to minio so it becomes a typed error, not MaxRetryError.
            raise_on_status=False,
        ),
    )
    return Minio(
        endpoint,
        access_key=access_key,
        secret_key=secret_key,
        secure=secure,
        region=region,
        http_client=http,
    )
