"""Serving a :class:`~crmbridge.webhooks.WebhookApp` with uvicorn (https://www.uvicorn.org/), the
optional extra ``crmbridge[webhooks]``: in the foreground (``crmbridge webhooks serve``) or in a
background thread (:class:`WebhookServer`, for tests and for embedding in a sync program)."""

from __future__ import annotations

import threading
import time
from typing import Any

from ..errors import ConfigError

__all__ = ["WebhookServer", "uvicorn_module"]


def uvicorn_module() -> Any:
    try:
        import uvicorn
    except ImportError:
        raise ConfigError(
            "serving webhooks needs uvicorn: pip install 'crmbridge[webhooks]'"
        ) from None
    return uvicorn


class WebhookServer:
    """uvicorn serving ``app`` on ``host:port`` (port 0: any free one) in a daemon thread.
    ``with WebhookServer(app) as server: server.url``."""

    def __init__(self, app: Any, host: str = "127.0.0.1", port: int = 0) -> None:
        uvicorn = uvicorn_module()
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.host = host
        self.port = port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def start(self, timeout: float = 10.0) -> WebhookServer:
        self._thread = threading.Thread(target=self.server.run, name="webhooks", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise ConfigError(f"the webhook server did not start on {self.host}:{self.port}")
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> WebhookServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
