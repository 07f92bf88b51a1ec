#!/usr/bin/env python3
"""A deliberately vulnerable web application for scripts/firewall-tools-e2e.sh: the target
of real attack tools (nmap and its scripts, sqlmap, curl with exploit strings) sent through
the firewall. Standard library only; run it inside a test's network namespace, never on a
host's address.

    vulnerable_app.py ADDRESS PORT LOG

`/` links to `/item?id=1` (so crawlers such as nmap's http-sql-injection find a
parameter); `/item?id=N` runs `SELECT name FROM items WHERE id = N` with N pasted into the
query: injectable on purpose (boolean-based blind: `1 AND 1=1` answers the item, `1 AND
1=2` does not). Every request the application receives is appended to LOG as one line
"METHOD TARGET UA=USER-AGENT" (headers that carry exploit strings too), so a test can
tell which attacks reached it. Prints "ready" to standard output once it listens.
"""

import http.server
import sqlite3
import sys
import urllib.parse

ADDRESS, PORT, LOG = sys.argv[1], int(sys.argv[2]), sys.argv[3]

DATABASE = sqlite3.connect(":memory:", check_same_thread=False)
DATABASE.executescript(
    """
    CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO items VALUES (1, 'teapot'), (2, 'kettle'), (3, 'saucepan');
    CREATE TABLE users (id INTEGER PRIMARY KEY, login TEXT, password TEXT);
    INSERT INTO users VALUES (1, 'admin', 's3cret');
    """
)


class Handler(http.server.BaseHTTPRequestHandler):
    server_version = "VulnerableShop/1.0"
    protocol_version = "HTTP/1.0"

    def log_request(self, code="-", size="-"):
        pass  # the application's own log below says what arrived

    def record(self):
        extra = " ".join(f"{name}={value}" for name, value in self.headers.items() if name.lower() != "host")
        with open(LOG, "a", encoding="utf-8", errors="replace") as log:
            log.write(f"{self.command} {self.path} {extra}\n")

    def answer(self, status, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/":
            self.answer(200, '<html><body><a href="/item?id=1">teapot</a> <a href="/item?id=2">kettle</a></body></html>\n')
            return
        if url.path == "/item":
            item = urllib.parse.parse_qs(url.query).get("id", ["1"])[0]
            try:
                # Injectable on purpose: the parameter is pasted into the query.
                rows = DATABASE.execute("SELECT name FROM items WHERE id = " + item).fetchall()
            except sqlite3.Error as error:
                self.answer(500, f"<html><body>database error: {error}</body></html>\n")
                return
            names = "".join(f"<li>{row[0]}</li>" for row in rows)
            self.answer(200, f"<html><body><ul>{names}</ul></body></html>\n")
            return
        self.answer(404, "<html><body>not found</body></html>\n")

    do_HEAD = do_GET

    def do_POST(self):
        self.record()
        self.answer(404, "<html><body>not found</body></html>\n")

    def do_OPTIONS(self):
        self.record()
        self.answer(200, "")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


server = Server((ADDRESS, PORT), Handler)
print("ready", flush=True)
server.serve_forever()
