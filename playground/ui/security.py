"""Refuse the Gradio routes this app does not need, before Gradio sees the request.

Gradio can fetch public URLs on a client's behalf (`/file=https://...`), proxy other Spaces
(`/proxy=`), edit its own source (`/vibe-edit`, only in --vibe mode), reload in dev mode and serve
custom components. A classroom app needs none of these, so they answer 403. Local files are
already limited by Gradio to the app's own temporary uploads and `allowed_paths` (none here);
tests/test_security.py checks both.
"""

from __future__ import annotations

import re

# Matched against the URL path, with or without Gradio's /gradio_api prefix.
REFUSED = re.compile(
    r"^(/gradio_api)?/(file=(https?:|//|%2f%2f|http%3a|https%3a)|proxy=|vibe-edit|undo-vibe-edit|vibe-code|"
    r"dev/reload|custom_component/|run-history/|monitoring)",
    re.IGNORECASE,
)


class RefuseUnneededRoutes:
    """A plain ASGI middleware (works for HTTP and websocket scopes)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and REFUSED.match(scope.get("path", "")):
            body = b"This route is disabled in LLM Playground."
            await send({"type": "http.response.start", "status": 403,
                        "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
