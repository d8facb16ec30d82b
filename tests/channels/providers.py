"""A stand-in for the providers' media endpoints, as each documents them, recording what it
was asked: WhatsApp `GET /{media-id}` -> `{"url", "mime_type", "sha256", "file_size",
"id", "messaging_product"}` then `GET` that URL (both with the Bearer token); Telegram
`GET /bot<token>/getFile?file_id=` -> `{"ok": true, "result": {"file_path"}}` then
`GET /file/bot<token>/<file_path>`; Twilio's media URL with basic auth (SID:token)."""

from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import orjson

WHATSAPP_TOKEN = "EAAG-test-token"
TELEGRAM_TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"
TWILIO_SID, TWILIO_TOKEN = "AC" + "a" * 32, "twilio-auth-token"


class Providers:
    """`photos` maps a media id / file id / media path to its bytes; `asked` records
    (method, path, authorization)."""

    def __init__(self) -> None:
        self.photos: dict[str, bytes] = {}
        self.asked: list[tuple[str, str, str]] = []
        providers = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                auth = self.headers.get("Authorization", "")
                providers.asked.append(("GET", self.path, auth))
                status, body = providers.answer(self.path, auth)
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, target: str, auth: str) -> tuple[int, bytes]:
        path, query = urlsplit(target).path, parse_qs(urlsplit(target).query)
        bearer = auth == f"Bearer {WHATSAPP_TOKEN}"
        basic = auth == "Basic " + base64.b64encode(
            f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if path.startswith("/whatsapp/download/") and bearer:
            return self._photo(path.rsplit("/", 1)[1])
        if path.startswith("/whatsapp/") and bearer:
            media_id = path.rsplit("/", 1)[1]
            if media_id not in self.photos:
                return 404, b'{"error": {"message": "Unsupported get request."}}'
            return 200, orjson.dumps({
                "messaging_product": "whatsapp", "id": media_id, "mime_type": "image/jpeg",
                "url": f"{self.url}/whatsapp/download/{media_id}", "sha256": "x",
                "file_size": str(len(self.photos[media_id]))})
        if path == f"/bot{TELEGRAM_TOKEN}/getFile":
            file_id = query.get("file_id", [""])[0]
            if file_id not in self.photos:
                return 400, b'{"ok": false, "error_code": 400, "description": "Bad Request"}'
            return 200, orjson.dumps({"ok": True, "result": {
                "file_id": file_id, "file_unique_id": "u", "file_path": f"photos/{file_id}.jpg"}})
        if path.startswith(f"/file/bot{TELEGRAM_TOKEN}/photos/"):
            return self._photo(path.rsplit("/", 1)[1].removesuffix(".jpg"))
        if path.startswith("/twilio/") and basic:
            return self._photo(path.rsplit("/", 1)[1])
        return 401, b"unauthorized"

    def _photo(self, name: str) -> tuple[int, bytes]:
        return (200, self.photos[name]) if name in self.photos else (404, b"not found")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
