"""A local stand-in for the chat and SMS providers, speaking their documented endpoints on
one spare port (point `LIVEROOM_TELEGRAM_API_URL`, `LIVEROOM_WHATSAPP_API_URL` and
`LIVEROOM_SMS_API_URL` at `url`):

- Telegram Bot API: `POST /bot<token>/sendMessage`, `/sendPhoto`, `GET|POST /bot<token>/
  getFile?file_id=` and the download `GET /file/bot<token>/<file_path>`;
- WhatsApp Cloud API: `POST /<phone_number_id>/messages`, the media `GET /<media_id>`
  (-> `{"url": …}`) and the download at that URL (bearer token required);
- Twilio: `POST /2010-04-01/Accounts/<sid>/Messages.json` and a message's media
  `GET /2010-04-01/Accounts/<sid>/Messages/<MM…>/Media/<ME…>`.

Every request is recorded (method, path, query, headers, body). `fail(status)` makes the
next sends answer an error; `hold()` keeps the next send open (recorded first) until
`release()`. `media[...]` holds the files the media endpoints serve.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)  # when it arrived

    def json(self):
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode()).items()}


@dataclass
class Failure:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: dict = field(default_factory=dict)


class Providers:
    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.failures: list[Failure] = []
        self.media: dict[str, bytes] = {}  # Telegram file_path / WhatsApp media id / ME sid
        self.held = threading.Event()
        self.holding = False
        self.lock = threading.Lock()
        self.ids = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Providers:
        self.thread.start()
        return self

    def __exit__(self, *_) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()

    def fail(self, status: int, times: int = 1, **headers: str) -> None:
        """The next `times` sends answer `status` (with `headers`, e.g. Retry-After)."""
        body = {"ok": False, "error_code": status, "description": f"stand-in {status}"}
        with self.lock:
            self.failures += [Failure(status, headers, body)] * times

    def hold(self) -> None:
        """The next send is recorded, then kept open until `release()`."""
        self.held.clear()
        self.holding = True

    def release(self) -> None:
        self.holding = False
        self.held.set()

    def sends(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST"]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Request]:
        """At least `count` sends recorded (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while len(self.sends()) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.sends())} of {count} sends arrived")
            time.sleep(0.02)
        return self.sends()


def _handler(stand_in: Providers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_) -> None:
            pass

        def do_GET(self) -> None:
            self.serve("GET")

        def do_POST(self) -> None:
            self.serve("POST")

        def serve(self, method: str) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(method, url.path, parse_qs(url.query), dict(self.headers),
                              self.rfile.read(length))
            with stand_in.lock:
                stand_in.requests.append(request)
                failure = stand_in.failures.pop(0) if (
                    method == "POST" and stand_in.failures) else None
                hold = method == "POST" and stand_in.holding
                stand_in.holding = stand_in.holding and not hold
            if hold:
                stand_in.held.wait()
            if failure:
                return self.answer(failure.status, failure.body, failure.headers)
            self.route(method, request)

        def route(self, method: str, request: Request) -> None:
            path, base = request.path, stand_in.url
            n = next(stand_in.ids)
            if m := re.fullmatch(r"/bot[^/]+/(sendMessage|sendPhoto)", path):
                sent = request.json()
                return self.answer(200, {"ok": True, "result": {
                    "message_id": n, "date": int(time.time()),
                    "chat": {"id": int(sent["chat_id"]), "type": "private"},
                    **({"text": sent["text"]} if m.group(1) == "sendMessage" else
                       {"photo": [{"file_id": "p", "file_unique_id": "p", "width": 1,
                                   "height": 1}]})}})
            if re.fullmatch(r"/bot[^/]+/getFile", path):
                file_id = (request.query.get("file_id") or [""])[0] or (
                    request.json().get("file_id") if request.body else "")
                if file_id not in stand_in.media:
                    return self.answer(400, {"ok": False, "error_code": 400,
                                             "description": "Bad Request: invalid file_id"})
                return self.answer(200, {"ok": True, "result": {
                    "file_id": file_id, "file_unique_id": file_id,
                    "file_size": len(stand_in.media[file_id]), "file_path": file_id}})
            if m := re.fullmatch(r"/file/bot[^/]+/(.+)", path):
                return self.file(stand_in.media.get(m.group(1)))
            if m := re.fullmatch(r"/([0-9]+)/messages", path):
                to = request.json().get("to", "")
                return self.answer(200, {"messaging_product": "whatsapp",
                                         "contacts": [{"input": to, "wa_id": to}],
                                         "messages": [{"id": f"wamid.STANDIN{n:08d}"}]})
            if m := re.fullmatch(r"/2010-04-01/Accounts/(AC\w+)/Messages\.json", path):
                form = request.form()
                return self.answer(201, {"sid": f"SM{n:032x}", "account_sid": m.group(1),
                                         "to": form.get("To"), "from": form.get("From"),
                                         "body": form.get("Body"), "status": "queued"})
            if m := re.fullmatch(r"/2010-04-01/Accounts/AC\w+/Messages/MM\w+/Media/(ME\w+)",
                                 path):
                return self.file(stand_in.media.get(m.group(1)))
            if m := re.fullmatch(r"/whatsapp-media/(\w+)", path):
                if not request.headers.get("Authorization", "").startswith("Bearer "):
                    return self.answer(401, {"error": {"message": "no token", "code": 190}})
                return self.file(stand_in.media.get(m.group(1)))
            if method == "GET" and (m := re.fullmatch(r"/(\w+)", path)) and (
                    m.group(1) in stand_in.media):
                data = stand_in.media[m.group(1)]
                return self.answer(200, {
                    "messaging_product": "whatsapp", "url": f"{base}/whatsapp-media/"
                    f"{m.group(1)}", "mime_type": "image/jpeg", "sha256": "",
                    "file_size": len(data), "id": m.group(1)})
            self.answer(404, {"error": "not found"})

        def file(self, data: bytes | None) -> None:
            if data is None:
                return self.answer(404, {"error": "no such file"})
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def answer(self, status: int, body: dict, headers: dict[str, str] | None = None):
            data = json.dumps(body).encode()
            try:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name.replace("_", "-"), value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:  # the client went away while held
                pass

    return Handler
