#!/usr/bin/env python3
"""A cleartext HTTP/2 server (h2c: prior knowledge and the HTTP/1.1 Upgrade) over the h2
library, for scripts/firewall-h2-e2e.sh: GET serves the files of a folder; POST
/v1/chat/completions answers like an OpenAI-compatible model (one JSON answer, or with
"stream": true server-sent events, one DATA frame each, sent one by one as a model would)
and logs each request body, one line each, so the test can tell what reached the model. A
user message asking to "leak a key" gets AWS's documented example key id in the answer.

    h2c_server.py ADDRESS PORT FOLDER REQUEST_LOG
"""
import json
import os
import socket
import sys
import threading
import time

import h2.config
import h2.connection
import h2.events

# The OpenAI chunk padding as the HTTP/1 test server writes it (same folder: on sys.path).
from ai_server import obfuscated

ADDRESS, PORT, FOLDER, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
log_lock = threading.Lock()
KEY = "AKIAIOSFODNN7EXAMPLE"


def answer_text(request):
    last = ""
    for m in request.get("messages", []):
        if m.get("role") == "user" and isinstance(m.get("content"), str):
            last = m["content"]
    if "leak a key" in last:
        return f"Here is the key you asked for: {KEY}. Keep it safe."
    return "You said: " + last[:200] + ". Paris is the capital of France."


def stream_answer(conn, sock, stream, request):
    """OpenAI's chat.completion.chunk events, two words each, then [DONE]."""
    conn.send_headers(stream, [(":status", "200"), ("content-type", "text/event-stream"), ("cache-control", "no-cache")])
    sock.sendall(conn.data_to_send())
    base = {"id": "chatcmpl-h2", "object": "chat.completion.chunk", "created": int(time.time()),
            "model": request.get("model", "gpt-4o-mini")}
    words = answer_text(request).split(" ")
    events = [dict(base, choices=[{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])]
    for i in range(0, len(words), 2):
        piece = " ".join(words[i:i + 2]) + (" " if i + 2 < len(words) else "")
        events.append(obfuscated(request, dict(base, choices=[{"index": 0, "delta": {"content": piece}, "finish_reason": None}])))
    events.append(dict(base, choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    for event in events:
        conn.send_data(stream, ("data: " + json.dumps(event) + "\n\n").encode())
        sock.sendall(conn.data_to_send())
        time.sleep(0.02)
    conn.send_data(stream, b"data: [DONE]\n\n", end_stream=True)
    sock.sendall(conn.data_to_send())


def answer(conn, sock, stream, status, body, content_type):
    conn.send_headers(stream, [(":status", str(status)), ("content-type", content_type),
                               ("content-length", str(len(body)))])
    # DATA in frames of at most 4 KiB (below the peer's frame size and window).
    for i in range(0, len(body), 4096):
        conn.send_data(stream, body[i:i + 4096], end_stream=i + 4096 >= len(body))
    if not body:
        conn.end_stream(stream)
    sock.sendall(conn.data_to_send())


def respond(conn, sock, stream, headers, body):
    method, path = headers.get(":method"), headers.get(":path", "/")
    if method == "POST" and path == "/v1/chat/completions":
        with log_lock, open(LOG, "a") as f:
            f.write(body.decode("utf-8", "replace").replace("\n", " ") + "\n")
        request = json.loads(body or b"{}")
        if request.get("stream"):
            stream_answer(conn, sock, stream, request)
            return
        reply = {"id": "chatcmpl-1", "object": "chat.completion", "model": request.get("model", "gpt-4o-mini"),
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": answer_text(request)},
                              "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": 12, "completion_tokens": 2, "total_tokens": 14}}
        answer(conn, sock, stream, 200, json.dumps(reply).encode(), "application/json")
        return
    name = os.path.normpath(path.split("?")[0]).lstrip("/")
    full = os.path.join(FOLDER, name)
    if method == "GET" and name and os.path.isfile(full):
        with open(full, "rb") as f:
            answer(conn, sock, stream, 200, f.read(), "application/octet-stream")
    else:
        answer(conn, sock, stream, 404, b"not found\n", "text/plain")


def serve(sock):
    config = h2.config.H2Configuration(client_side=False)
    conn = h2.connection.H2Connection(config=config)
    first = sock.recv(65535)
    headers_of, bodies = {}, {}
    if first.startswith(b"PRI * HTTP/2.0"):
        conn.initiate_connection()
        pending = first
    else:
        # HTTP/1.1 with Upgrade: h2c: answer 101, then the request is stream 1.
        head, _, rest = first.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        fields = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:] if ":" in l)}
        sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        conn.initiate_upgrade_connection(fields.get("http2-settings", ""))
        sock.sendall(conn.data_to_send())
        headers_of[1] = {":method": method, ":path": target}
        respond(conn, sock, 1, headers_of[1], b"")
        pending = rest
    while True:
        if pending:
            events = conn.receive_data(pending)
            for event in events:
                if isinstance(event, h2.events.RequestReceived):
                    headers_of[event.stream_id] = {k.decode() if isinstance(k, bytes) else k:
                                                   v.decode() if isinstance(v, bytes) else v for k, v in event.headers}
                    bodies[event.stream_id] = b""
                elif isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id] = bodies.get(event.stream_id, b"") + event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, h2.events.StreamEnded):
                    respond(conn, sock, event.stream_id, headers_of.get(event.stream_id, {}), bodies.get(event.stream_id, b""))
            sock.sendall(conn.data_to_send())
        pending = sock.recv(65535)
        if not pending:
            return


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((ADDRESS, PORT))
    listener.listen(16)
    while True:
        sock, _ = listener.accept()

        def run(s=sock):
            try:
                serve(s)
            except Exception as error:  # a reset connection (the firewall blocked it) ends its thread
                print(f"connection ended: {error!r}", file=sys.stderr, flush=True)
            finally:
                s.close()
        threading.Thread(target=run, daemon=True).start()


if __name__ == "__main__":
    main()
