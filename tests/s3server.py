"""A real S3 endpoint for tests: moto's server on 127.0.0.1, reached through s3fs.

moto's in-process `mock_aws()` does not work with s3fs (an async client), so the tests talk
HTTP to a `ThreadedMotoServer` on a free port. Each test takes a bucket of its own instead of
resetting the server, and opens its filesystems with `skip_instance_cache=True` (fsspec would
otherwise hand back a cached instance with a stale listing cache).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any


class S3Server:
    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()

    def storage_options(self, **extra: Any) -> dict[str, Any]:
        """What `open_store(..., storage_options=)` needs to reach this server."""
        return {
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"endpoint_url": self.endpoint},
            "skip_instance_cache": True,
            **extra,
        }

    def filesystem(self) -> Any:
        """A fresh s3fs client, for a test to look at (or tamper with) what the store wrote."""
        import s3fs

        return s3fs.S3FileSystem(**self.storage_options())

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:16]}"
        self.filesystem().mkdir(name)
        return name
