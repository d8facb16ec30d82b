"""What a provider's refusal means to the sender: try again later, or never."""

from __future__ import annotations

import httpx


class SendError(Exception):
    """A message not sent. `retryable`: not delivered, worth another try (no connection, a
    provider's 5xx, its 429 with `retry_after` seconds when it said); otherwise permanent (a
    bad number, a blocked bot, bad credentials: it would fail again), or `unknown`: the
    request went out and no answer came (a read timeout, a dropped connection), so it may
    have been sent: never tried again (at most once)."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None,
                 unknown: bool = False) -> None:
        super().__init__(message)
        self.retryable, self.retry_after, self.unknown = retryable, retry_after, unknown


#: failures before the request left: nothing can have been sent
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def checked(provider: str, call) -> httpx.Response:
    """Run `call()` (an httpx request); its response when 2xx, else a SendError."""
    try:
        response = call()
    except NOT_SENT as exc:
        raise SendError(f"{provider}: {type(exc).__name__}: {exc}", retryable=True) from None
    except httpx.HTTPError as exc:  # sent, maybe: no answer
        raise SendError(f"{provider}: no answer ({type(exc).__name__}: {exc})",
                        retryable=False, unknown=True) from None
    if response.is_success:
        return response
    code = response.status_code
    detail = response.text[:300]
    if code == 429 or code >= 500:
        raise SendError(f"{provider}: HTTP {code}: {detail}", retryable=True,
                        retry_after=retry_after(response))
    raise SendError(f"{provider}: HTTP {code}: {detail}", retryable=False)


def retry_after(response: httpx.Response) -> float | None:
    """The `Retry-After` header in seconds (or Telegram's `parameters.retry_after`)."""
    header = response.headers.get("retry-after", "")
    if header.strip().isdigit():
        return float(header)
    try:
        value = response.json().get("parameters", {}).get("retry_after")
    except (ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, int | float) else None


def public_link(public_url: str, media_url: str | None) -> str | None:
    """A photo's address as a provider fetches it: our `/media/<name>` under the public
    URL; an absolute URL as it is."""
    if not media_url:
        return None
    return media_url if media_url.startswith(("http://", "https://")) else (
        public_url + "/" + media_url.lstrip("/"))
