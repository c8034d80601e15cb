"""A local HTTP server speaking the OpenAI chat-completions protocol with scripted replies.

Used only to test the OpenAI-compatible client path and chain wiring — never answer quality.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class ScriptedChatServer:
    """Scripted replies; or, with `status`, every request answered with that HTTP error (401: a refused
    key); or, with `hang`, every request held without a reply until the server stops (a timeout); with
    `break_after`, a streamed reply stops after that many chunks with an error event (a broken stream)."""

    def __init__(self, replies: list[str] | None = None, status: int | None = None, hang: bool = False,
                 break_after: int | None = None) -> None:
        self.replies: list[str] = list(replies or [])
        self.requests: list[dict] = []
        self.status = status
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server API
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with server._lock:
                    server.requests.append(body)
                if not self.path.endswith("/chat/completions"):
                    self.send_error(404)
                    return
                if hang:
                    server._stopping.wait()
                    return
                if server.status is not None:
                    self._error(server.status)
                    return
                with server._lock:
                    reply = server.replies.pop(0) if server.replies else "所提供的报告中未找到相关内容。"
                if body.get("stream"):
                    self._stream(reply, body.get("model", "scripted"))
                else:
                    self._json(reply, body.get("model", "scripted"))

            def _error(self, status: int) -> None:
                payload = json.dumps({"error": {"message": f"scripted error {status}", "type": "invalid_request_error",
                                                "code": "invalid_api_key" if status == 401 else None}}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _json(self, reply: str, model: str) -> None:
                payload = json.dumps({
                    "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                }).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def _stream(self, reply: str, model: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                pieces = [reply[i : i + 5] for i in range(0, len(reply), 5)] or [""]
                for index, piece in enumerate(pieces):
                    if break_after is not None and index == break_after:
                        error = {"error": {"message": "upstream overloaded", "type": "server_error"}}
                        self.wfile.write(f"data: {json.dumps(error)}\n\n".encode())
                        self.wfile.flush()
                        return
                    chunk = {
                        "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": model,
                        "choices": [{"index": 0, "delta": ({"role": "assistant"} if index == 0 else {}) | {"content": piece},
                                     "finish_reason": None}],
                    }
                    self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                    self.wfile.flush()
                done = {"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
                self.wfile.flush()

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ScriptedChatServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
