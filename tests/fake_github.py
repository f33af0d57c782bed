"""A small GitHub REST API on 127.0.0.1 that keeps state, for the publish tests.

It speaks the endpoints benchsync calls (pulls, labels, issue labels added and removed,
comments),
checks the token, and can be told to fail: ``fail(method, path_prefix, status,
headers, times)`` answers that many matching requests with the error first.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

TOKEN = "test-token-not-secret"


@dataclass
class Failure:
    method: str
    prefix: str
    status: int
    headers: dict[str, str]
    times: int
    body: Any = None  # raw bytes to answer with, or a JSON value; default a message


@dataclass
class State:
    repo: str
    base: str = ""
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    labels: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: list[tuple[int, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    requests: list[tuple[str, str, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self,
        method: str,
        prefix: str,
        status: int,
        headers: dict[str, str] | None = None,
        times: int = 1,
        body: Any = None,
    ) -> None:
        self.failures.append(Failure(method, prefix, status, headers or {}, times, body))

    def open_pulls(self) -> list[dict[str, Any]]:
        return [p for p in self.pulls.values() if p["state"] == "open"]


def _handler(state: State) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            # Recorded before the answer leaves: once the client has read it, the test may
            # look at the requests (the last call of a publish has nothing after it to wait).
            state.requests.append((self.command, self.path, status))
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> Any:
            length = int(self.headers.get("Content-Length") or 0)
            return json.loads(self.rfile.read(length)) if length else None

        def _base(self) -> str:
            return f"http://{self.headers['Host']}"

        def _pull(self, pull: dict[str, Any]) -> dict[str, Any]:
            base = self._base()
            number = pull["number"]
            return {
                **pull,
                "url": f"{base}/repos/{state.repo}/pulls/{number}",
                "html_url": f"https://github.invalid/{state.repo}/pull/{number}",
                "issue_url": f"{base}/repos/{state.repo}/issues/{number}",
                "labels": [state.labels[n] for n in pull["label_names"] if n in state.labels],
            }

        def _route(self) -> None:
            body = self._body() if self.command in ("POST", "PATCH") else None
            with state.lock:
                for failure in state.failures:
                    if (
                        failure.times > 0
                        and failure.method == self.command
                        and self.path.startswith(failure.prefix)
                    ):
                        failure.times -= 1
                        answer = failure.body
                        if answer is None:
                            answer = {"message": "scripted failure"}
                        self._send(failure.status, answer, failure.headers)
                        return
                auth = self.headers.get("Authorization", "")
                if auth not in (f"token {TOKEN}", f"Bearer {TOKEN}"):
                    self._send(401, {"message": "Bad credentials"})
                    return
                url = urlparse(self.path)
                prefix = f"/repos/{state.repo}"
                if not url.path.startswith(prefix + "/"):
                    self._send(404, {"message": "Not Found"})
                    return
                rest = url.path[len(prefix) :]
                self._dispatch(rest, parse_qs(url.query), body)

        def _dispatch(self, rest: str, query: dict[str, list[str]], body: Any) -> None:
            method = self.command
            if rest == "/pulls" and method == "GET":
                head = query.get("head", [""])[0]
                base = query.get("base", [""])[0]
                found = [
                    self._pull(p)
                    for p in state.open_pulls()
                    if (not head or f"{state.repo.split('/')[0]}:{p['head']['ref']}" == head)
                    and (not base or p["base"]["ref"] == base)
                ]
                self._send(200, found)
                return
            if rest == "/pulls" and method == "POST":
                number = len(state.pulls) + 1
                state.pulls[number] = {
                    "number": number,
                    "id": 1000 + number,
                    "state": "open",
                    "title": body["title"],
                    "body": body["body"],
                    "head": {"ref": body["head"], "label": body["head"]},
                    "base": {"ref": body["base"], "label": body["base"]},
                    "label_names": [],
                }
                self._send(201, self._pull(state.pulls[number]))
                return
            match = re.fullmatch(r"/pulls/(\d+)", rest)
            if match and method == "PATCH":
                pull = state.pulls.get(int(match.group(1)))
                if pull is None:
                    self._send(404, {"message": "Not Found"})
                    return
                for key in ("title", "body", "state"):
                    if key in body:
                        pull[key] = body[key]
                self._send(200, self._pull(pull))
                return
            if rest == "/labels" and method == "GET":
                self._send(200, list(state.labels.values()))
                return
            match = re.fullmatch(r"/labels/([^/]+)", rest)
            if match and method == "GET":
                label = state.labels.get(match.group(1))
                if label is None:
                    self._send(404, {"message": "Not Found"})
                else:
                    self._send(200, label)
                return
            if rest == "/labels" and method == "POST":
                name = body["name"]
                if name in state.labels:
                    self._send(422, {"message": "Validation Failed"})
                    return
                state.labels[name] = {
                    "name": name,
                    "color": body.get("color", "ffffff"),
                    "description": body.get("description"),
                    "url": f"{self._base()}/repos/{state.repo}/labels/{name}",
                }
                self._send(201, state.labels[name])
                return
            match = re.fullmatch(r"/issues/(\d+)/labels", rest)
            if match and method == "POST":
                pull = state.pulls.get(int(match.group(1)))
                names = body if isinstance(body, list) else body.get("labels", [])
                if pull is None or any(n not in state.labels for n in names):
                    self._send(422, {"message": "Validation Failed"})
                    return
                for name in names:
                    if name not in pull["label_names"]:
                        pull["label_names"].append(name)
                self._send(200, [state.labels[n] for n in pull["label_names"]])
                return
            match = re.fullmatch(r"/issues/(\d+)/labels/([^/]+)", rest)
            if match and method == "DELETE":
                pull = state.pulls.get(int(match.group(1)))
                name = unquote(match.group(2))
                if pull is None or name not in pull["label_names"]:
                    self._send(404, {"message": "Label does not exist"})
                    return
                pull["label_names"].remove(name)
                self._send(200, [state.labels[n] for n in pull["label_names"]])
                return
            match = re.fullmatch(r"/issues/(\d+)/comments", rest)
            if match and method == "POST":
                state.comments.append((int(match.group(1)), body["body"]))
                self._send(201, {"id": len(state.comments), "body": body["body"]})
                return
            self._send(404, {"message": f"no fake for {method} {rest}"})

        def do_GET(self) -> None:
            self._route()

        def do_POST(self) -> None:
            self._route()

        def do_PATCH(self) -> None:
            self._route()

        def do_DELETE(self) -> None:
            self._route()

    return Handler


@contextmanager
def fake_github(repo: str = "octo/site") -> Iterator[tuple[str, State]]:
    """Serve the fake API on 127.0.0.1 (a free port); yields (base URL, state)."""
    state = State(repo)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    # shutdown() waits for the serving loop to look at its flag: every 10 ms, not 0.5 s
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
