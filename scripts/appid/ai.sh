#!/usr/bin/env bash
# App-ID capture: AI APIs and the Kubernetes API over plain HTTP/1.1.
#   scripts/appid/ai.sh OUTDIR      -> OUTDIR/ai.pcap + OUTDIR/ai.labels
# The servers are one small Python HTTP/1.1 server written below ($WORK/aiserver.py) that
# answers in each API's JSON shape; the clients are the real ones where they exist:
#   openai-api     the `openai` SDK (chat.completions + embeddings + models) on 8000 and 80
#   anthropic-api  the `anthropic` SDK (messages.create) on 8001 and 443 (plain HTTP)
#   ollama         curl POST /api/chat, /api/generate, GET /api/tags on 11434 and 8002
#   mcp            curl JSON-RPC initialize + tools/list (Mcp-Session-Id) and an SSE GET on 8003 and 3000
#   kubernetes-api curl with a bearer token, as kubectl asks, on 6443 and 8004
source "$(dirname "$0")/lib.sh"
appid_begin ai "${1:?usage: $0 OUTDIR}"
cat >"$WORK/aiserver.py" <<'PY'
import json, socket, sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass

    def reply(self, obj, status=200, ctype="application/json", extra=()):
        body = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD": self.wfile.write(body)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b"{}"
        try: return json.loads(raw)
        except Exception: return {}

    def do_GET(self):
        p = self.path
        if p.endswith("/v1/models"):
            return self.reply({"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model", "created": 0, "owned_by": "test"}]})
        if p == "/api/tags":
            return self.reply({"models": [{"name": "llama3.2:1b", "model": "llama3.2:1b", "size": 1}]})
        if p in ("/sse", "/mcp") and "text/event-stream" in (self.headers.get("Accept") or ""):
            body = b"event: endpoint\ndata: /messages?session_id=abc\n\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.close_connection = True
            return
        if p.startswith("/api/v1/namespaces/default/pods"):
            return self.reply({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "1"}, "items": []})
        if p == "/version":
            return self.reply({"major": "1", "minor": "31", "gitVersion": "v1.31.0"})
        if p.startswith("/apis"):
            return self.reply({"kind": "APIGroupList", "apiVersion": "v1", "groups": []})
        return self.reply({"error": "not found"}, 404)

    def do_POST(self):
        p, req = self.path, self.body()
        model = req.get("model", "m")
        if p.endswith("/chat/completions"):
            return self.reply({"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hi"}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})
        if p.endswith("/embeddings"):
            return self.reply({"object": "list", "model": model,
                "data": [{"object": "embedding", "index": 0, "embedding": [0.1, 0.2, 0.3]}],
                "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        if p.endswith("/v1/messages"):
            return self.reply({"id": "msg_1", "type": "message", "role": "assistant", "model": model,
                "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn", "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1}})
        if p == "/api/chat":
            return self.reply({"model": model, "created_at": "2026-01-01T00:00:00Z",
                "message": {"role": "assistant", "content": "hi"}, "done": True})
        if p == "/api/generate":
            return self.reply({"model": model, "created_at": "2026-01-01T00:00:00Z", "response": "hi", "done": True})
        if p in ("/mcp", "/messages"):
            rid, method = req.get("id"), req.get("method")
            if method == "initialize":
                result = {"protocolVersion": "2025-03-26", "capabilities": {"tools": {}},
                          "serverInfo": {"name": "rampart-test", "version": "1"}}
            elif method == "tools/list":
                result = {"tools": [{"name": "echo", "description": "echo", "inputSchema": {"type": "object"}}]}
            else:
                result = {}
            return self.reply({"jsonrpc": "2.0", "id": rid, "result": result}, extra=[("Mcp-Session-Id", "s-1")])
        return self.reply({"error": "not found"}, 404)

class Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()

Server(("::", int(sys.argv[1])), Handler).serve_forever()
PY
cat >"$WORK/openai_client.py" <<'PY'
import sys
from openai import OpenAI
c = OpenAI(base_url=sys.argv[1], api_key="sk-test", max_retries=0)
c.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello"}])
c.embeddings.create(model="text-embedding-3-small", input="hello")
c.models.list()
PY
cat >"$WORK/anthropic_client.py" <<'PY'
import sys
from anthropic import Anthropic
c = Anthropic(base_url=sys.argv[1], api_key="sk-ant-test", max_retries=0)
c.messages.create(model="claude-haiku-4-5", max_tokens=16, messages=[{"role": "user", "content": "hello"}])
PY
for port in 8000 80 8001 443 11434 8002 8003 3000 6443 8004; do serve python3 "$WORK/aiserver.py" $port; done
for port in 8000 80 8001 443 11434 8002 8003 3000 6443 8004; do wait_port t $port; done
capture_start
label tcp 8000 openai-api
label tcp 80 openai-api
label tcp 8001 anthropic-api
label tcp 443 anthropic-api
label tcp 11434 ollama
label tcp 8002 ollama
label tcp 8003 mcp
label tcp 3000 mcp
label tcp 6443 kubernetes-api
label tcp 8004 kubernetes-api
C="curl -sS -o /dev/null"
# openai-api: the real SDK; vLLM/LiteLLM/llama.cpp speak the same, with curl once
cli python3 "$WORK/openai_client.py" "http://$SRV4:8000/v1"
cli python3 "$WORK/openai_client.py" "http://[$SRV6]/v1"
cli $C -H 'Content-Type: application/json' -H 'Authorization: Bearer x' \
    --data '{"model":"meta-llama/Llama-3.1-8B-Instruct","prompt":"hi","max_tokens":4}' "http://$SRV4:8000/v1/completions"
# anthropic-api: the real SDK
cli python3 "$WORK/anthropic_client.py" "http://$SRV4:8001"
cli python3 "$WORK/anthropic_client.py" "http://$SRV4:443"
# ollama
for port in 11434 8002; do
    cli $C -H 'Content-Type: application/json' --data '{"model":"llama3.2:1b","messages":[{"role":"user","content":"hi"}],"stream":false}' "http://$SRV4:$port/api/chat"
    cli $C --data '{"model":"llama3.2:1b","prompt":"hi","stream":false}' "http://$SRV4:$port/api/generate"
done
cli $C "http://$SRV4:11434/api/tags"
# mcp: streamable HTTP (initialize, then tools/list with the session id) and an SSE GET
for port in 8003 3000; do
    cli $C -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
        --data '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}' \
        "http://$SRV4:$port/mcp"
    cli $C -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' -H 'Mcp-Session-Id: s-1' \
        --data '{"jsonrpc":"2.0","id":2,"method":"tools/list"}' "http://$SRV4:$port/mcp"
done
cli $C -H 'Accept: text/event-stream' "http://$SRV4:8003/sse"
# kubernetes-api: what kubectl sends
for port in 6443 8004; do
    cli $C -H 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.test' -H 'Accept: application/json' \
        -A 'kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef0' "http://$SRV4:$port/api/v1/namespaces/default/pods?limit=500"
done
cli $C -H 'Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.test' -A 'kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef0' "http://$SRV4:6443/version"
capture_stop
