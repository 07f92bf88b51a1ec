#!/usr/bin/env python3
"""A local model server for Rampart's AI end-to-end test (scripts/firewall-ai-e2e.sh): the
OpenAI chat completions API (/v1/chat/completions, whole and streamed as server-sent
events), the Anthropic messages API (/v1/messages, whole and streamed) and an MCP server
over streamable HTTP (/mcp: initialize, tools/list, tools/call), each shaped as the public
API references describe, so the real SDKs talk to it unchanged. Every request it receives
is appended to the log (method, path, body) so the test can tell a blocked request never
arrived. Answers are chunked (as the APIs send them); the answer's text repeats the user's
last message, or carries an AWS key id when asked to ("leak a key").

    python3 ai_server.py ADDRESS PORT LOGFILE
"""
import json
import random
import string
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = None
KEY = "AKIAIOSFODNN7EXAMPLE"


def answer_text(messages):
    last = ""
    for m in messages:
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, list):
                c = " ".join(p.get("text", "") for p in c if isinstance(p, dict))
            last = c or ""
    if "leak a key" in last:
        return f"Here is the key you asked for: {KEY}. Keep it safe."
    if "a link" in last:
        return "Download the tool from http://evil.example/payload.exe?token=abc today, or read https://docs.example/guide."
    if "long answer" in last:
        return " ".join(f"number {i}," for i in range(1, 601))
    return "You said: " + last[:200] + ". Paris is the capital of France."


def obfuscated(request, chunk):
    """A delta chunk as OpenAI sends it by default: padded with random characters of random
    length in `obfuscation` (against size side channels), unless the request's
    `stream_options.include_obfuscation` is false."""
    if (request.get("stream_options") or {}).get("include_obfuscation", True) is False:
        return chunk
    alphabet = string.ascii_letters + string.digits
    return dict(chunk, obfuscation="".join(random.choice(alphabet) for _ in range(random.randint(1, 16))))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        with open(LOG, "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body.decode("utf-8", "replace")}) + "\n")
        return body

    def send_json(self, status, obj, headers=()):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, text):
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_stream(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_GET(self):
        # MCP's optional server-to-client stream: not offered (the specification allows 405).
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_DELETE(self):
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        raw = self.read_body()
        try:
            req = json.loads(raw or b"{}")
        except ValueError:
            return self.send_json(400, {"error": {"message": "invalid JSON", "type": "invalid_request_error"}})
        if self.path.startswith("/v1/chat/completions"):
            return self.openai(req)
        if self.path.startswith("/v1/messages"):
            return self.anthropic(req)
        if self.path.startswith("/mcp"):
            return self.mcp(req)
        self.send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def openai(self, req):
        text = answer_text(req.get("messages", []))
        model = req.get("model", "gpt-4o-mini")
        created = int(time.time())
        if not req.get("stream"):
            return self.send_json(200, {
                "id": "chatcmpl-e2e", "object": "chat.completion", "created": created, "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 20, "completion_tokens": len(text.split()), "total_tokens": 20 + len(text.split())}})
        self.start_stream()
        words = text.split(" ")
        base = {"id": "chatcmpl-e2e", "object": "chat.completion.chunk", "created": created, "model": model}
        self.chunk("data: " + json.dumps(dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])) + "\n\n")
        for i in range(0, len(words), 2):
            piece = " ".join(words[i:i + 2]) + (" " if i + 2 < len(words) else "")
            self.chunk("data: " + json.dumps(obfuscated(req, dict(base, choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}]))) + "\n\n")
        self.chunk("data: " + json.dumps(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])) + "\n\n")
        self.chunk("data: [DONE]\n\n")
        self.end_stream()

    def anthropic(self, req):
        text = answer_text(req.get("messages", []))
        model = req.get("model", "claude-sonnet-4-5")
        usage = {"input_tokens": 20, "output_tokens": len(text.split())}
        if not req.get("stream"):
            return self.send_json(200, {
                "id": "msg_e2e", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None, "usage": usage})
        self.start_stream()

        def event(name, obj):
            self.chunk(f"event: {name}\ndata: {json.dumps(obj)}\n\n")
        event("message_start", {"type": "message_start", "message": {
            "id": "msg_e2e", "type": "message", "role": "assistant", "model": model, "content": [],
            "stop_reason": None, "stop_sequence": None, "usage": {"input_tokens": 20, "output_tokens": 1}}})
        event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        words = text.split(" ")
        for i in range(0, len(words), 2):
            piece = " ".join(words[i:i + 2]) + (" " if i + 2 < len(words) else "")
            event("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}})
        event("content_block_stop", {"type": "content_block_stop", "index": 0})
        event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                "usage": {"output_tokens": usage["output_tokens"]}})
        event("message_stop", {"type": "message_stop"})
        self.end_stream()

    TOOLS = [
        {"name": "add", "description": "Adds two numbers.",
         "inputSchema": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}}, "required": ["a", "b"]}},
        {"name": "delete_everything", "description": "Deletes every file of the workspace.",
         "inputSchema": {"type": "object", "properties": {}}},
    ]

    def mcp(self, req):
        method = req.get("method")
        rid = req.get("id")
        if rid is None:  # a notification
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if method == "initialize":
            version = req.get("params", {}).get("protocolVersion", "2025-06-18")
            return self.send_json(200, {"jsonrpc": "2.0", "id": rid, "result": {
                "protocolVersion": version, "capabilities": {"tools": {"listChanged": False}},
                "serverInfo": {"name": "rampart-e2e", "version": "1.0"}}}, headers=[("Mcp-Session-Id", "e2e-session")])
        if method == "tools/list":
            return self.send_json(200, {"jsonrpc": "2.0", "id": rid, "result": {"tools": self.TOOLS}})
        if method == "tools/call":
            p = req.get("params", {})
            if p.get("name") == "add":
                a = p.get("arguments", {})
                total = a.get("a", 0) + a.get("b", 0)
                return self.send_json(200, {"jsonrpc": "2.0", "id": rid, "result": {
                    "content": [{"type": "text", "text": str(total)}], "isError": False}})
            return self.send_json(200, {"jsonrpc": "2.0", "id": rid, "result": {
                "content": [{"type": "text", "text": "done"}], "isError": False}})
        if method == "ping":
            return self.send_json(200, {"jsonrpc": "2.0", "id": rid, "result": {}})
        self.send_json(200, {"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": "method not found"}})


if __name__ == "__main__":
    LOG = sys.argv[3]
    ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler).serve_forever()
