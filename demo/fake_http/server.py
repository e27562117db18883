"""A fake API served over plain HTTP on 127.0.0.1 from a daemon thread.

A fake subclasses ``LocalServer`` and provides ``route(method, target, headers,
body)``, which turns an HTTP request into a routed request object, and
``handle(request)``, which answers it with a response (``status``, ``headers``,
``content_type`` and an encoded ``body``). ``start()`` / ``stop()`` or ``with``
run it on an ephemeral port. ``route()`` builds the fakes' route tables.
"""

from __future__ import annotations

import contextlib
import logging
import re
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    """A fake's route table entry: ``endpoint`` names the fake's method that answers."""

    method: str
    pattern: re.Pattern[str]
    kind: str
    endpoint: str


def route(method: str, pattern: str, kind: str, endpoint: str) -> Route:
    return Route(method, re.compile(pattern), kind, endpoint)


class ThreadedServer(ThreadingHTTPServer):
    """Tracks open connections so ``stop()`` can close idle keep-alive ones."""

    daemon_threads = True
    fake: Any

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def close_connections(self) -> None:
        with self.connections_lock:
            connections = list(self.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class RequestHandler(BaseHTTPRequestHandler):
    """Hands every request to ``server.fake`` and writes back its response."""

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without TCP_NODELAY, Nagle plus
    # the client's delayed ACK adds ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True
    server_version = "FakeHTTP/1.0"
    sys_version = ""
    # Idle keep-alive connections give their thread back after this many seconds.
    timeout = 30
    # Where request lines are logged (at debug level).
    logger = logger
    server: ThreadedServer

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        self.logger.debug("%s - " + format, self.address_string(), *args)

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake = self.server.fake
        response = fake.handle(fake.route(self.command, self.path, dict(self.headers), body))
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        self.wfile.write(response.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve


class LocalServer:
    """Start / stop / context-manager lifecycle for a fake served over HTTP.

    Subclasses set ``host`` (an instance attribute), ``thread_name`` and, to
    customise the HTTP layer, ``server_class`` and ``handler_class``.
    """

    server_class: type[ThreadedServer] = ThreadedServer
    handler_class: type[RequestHandler] = RequestHandler
    thread_name = "fake-http"
    host: str
    _server: ThreadedServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        """Serve on an ephemeral port in a daemon thread."""
        if self._server is not None:
            return self
        server = self.server_class((self.host, 0), self.handler_class)
        server.fake = self
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{self.thread_name}-{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        """Stop serving and close open keep-alive connections."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _url(self, name: str) -> str:
        """``http://host:port`` of the running server; ``name`` is the fake's, for the error."""
        if self._server is None:
            raise RuntimeError(f"{name} is not running: call start() or use `with fake:`")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"
