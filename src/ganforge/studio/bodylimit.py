"""The studio's request-size limit, an ASGI middleware in front of the gradio app.

Uploads (the Translate tab's images) are the largest requests; everything
else the page sends is a few hundred bytes.  Pixels are bounded separately,
before decoding (:mod:`ganforge.studio.uploads`): a small PNG may declare a huge picture.
"""

from __future__ import annotations

MAX_BODY_BYTES = 8 << 20  # largest HTTP request body: an uploaded photo to translate


class BodyLimit:
    """ASGI middleware: refuse HTTP requests whose body exceeds ``max_bytes`` with 413.

    A declared Content-Length over the limit is refused before reading.  Any
    other body (chunked, or a Content-Length that lies) is read here first, at
    most ``max_bytes`` of it, and replayed to the app: so a body that turns out
    too large is answered 413 before the app has seen a byte of it (raising
    inside the app's ``receive`` would reach the client as a 500).
    """

    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope.get("type") != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > self.max_bytes):
            return await _refuse(send, self.max_bytes)
        buffered, seen = [], 0
        while True:
            message = await receive()
            buffered.append(message)
            if message.get("type") != "http.request":
                break  # e.g. http.disconnect: let the app see it
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                return await _refuse(send, self.max_bytes)
            if not message.get("more_body"):
                break

        async def replay():
            return buffered.pop(0) if buffered else await receive()

        return await self.app(scope, replay, send)


async def _refuse(send, max_bytes: int) -> None:
    body = f"Request too large (limit {max_bytes} bytes).".encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
