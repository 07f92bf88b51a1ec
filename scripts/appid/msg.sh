#!/usr/bin/env bash
# Real messaging traffic for the App-ID tests: mosquitto + mosquitto_pub (MQTT 3.1, 3.1.1, 5),
# rabbitmq-server + the pika client (AMQP 0-9-1), Kafka from kafka-python and MongoDB from
# pymongo. Every server listens on its standard port and a non-standard one (AMQP: 35672,
# since 15672 and 25672 are RabbitMQ's management and distribution ports).
#   scripts/appid/msg.sh OUTDIR       (writes OUTDIR/msg.pcap and OUTDIR/msg.labels)
#
# Kafka and MongoDB have no Debian server, so their server side is a small Python listener
# (below, $WORK/listeners.py) that answers the client's first requests with protocol-correct
# bytes:
#   - Kafka: records the request and answers ApiVersions (v0 body) before closing.
#   - MongoDB: answers the driver's handshake (OP_QUERY isMaster or OP_MSG hello) with a
#     minimal hello reply (maxWireVersion 17) and any other OP_MSG command with {ok: 1},
#     encoded by pymongo's own bson module.
source "$(dirname "$0")/lib.sh"
appid_begin msg "${1:?usage: $0 OUTDIR}"
chmod 755 "$WORK"

cat >"$WORK/mosquitto.conf" <<CFG
user root
allow_anonymous true
listener 1883
listener 11883
persistence false
CFG
serve mosquitto -c "$WORK/mosquitto.conf"

cat >"$WORK/listeners.py" <<'PY'
import socket, struct, sys, threading
import bson

def recv_exact(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            raise EOFError
        b += chunk
    return b

def kafka(c):
    size, = struct.unpack(">i", recv_exact(c, 4))
    req = recv_exact(c, size)
    api_key, api_version, corr = struct.unpack(">hhi", req[:8])
    keys = [(0, 0, 9), (1, 0, 13), (3, 0, 12), (18, 0, 3)]
    body = struct.pack(">ih", corr, 0) + struct.pack(">i", len(keys)) + b"".join(struct.pack(">hhh", *k) for k in keys)
    c.sendall(struct.pack(">i", len(body)) + body)

HELLO = {"helloOk": True, "isWritablePrimary": True, "ismaster": True, "maxBsonObjectSize": 16777216,
         "maxMessageSizeBytes": 48000000, "maxWriteBatchSize": 100000, "localTime": None,
         "minWireVersion": 0, "maxWireVersion": 17, "readOnly": False, "ok": 1.0}

def mongo(c):
    rid = 1000
    while True:
        length, req_id, _, opcode = struct.unpack("<iiii", recv_exact(c, 16))
        body = recv_exact(c, length - 16)
        rid += 1
        if opcode == 2004:  # OP_QUERY: flags, cstring collection, skip, return, document
            name_end = body.index(b"\0", 4)
            doc = bson.decode(body[name_end + 9:name_end + 9 + struct.unpack("<i", body[name_end + 9:name_end + 13])[0]])
            reply = bson.encode({k: v for k, v in HELLO.items() if v is not None})
            payload = struct.pack("<iqii", 0, 0, 0, 1) + reply
            c.sendall(struct.pack("<iiii", 16 + len(payload), rid, req_id, 1) + payload)
        elif opcode == 2013:  # OP_MSG: flags, section kind 0 document
            doc = bson.decode(body[5:5 + struct.unpack("<i", body[5:9])[0]])
            first = next(iter(doc))
            answer = HELLO if first.lower() in ("hello", "ismaster") else {"ok": 1.0}
            reply = bson.encode({k: v for k, v in answer.items() if v is not None})
            payload = struct.pack("<I", 0) + b"\0" + reply
            c.sendall(struct.pack("<iiii", 16 + len(payload), rid, req_id, 2013) + payload)
        else:
            return

def serve(kind, port):
    handler = {"kafka": kafka, "mongo": mongo}[kind]
    s = socket.socket(socket.AF_INET6)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port)); s.listen(16)
    while True:
        c, _ = s.accept()
        def run(c=c):
            try:
                handler(c)
            except Exception:
                pass
            finally:
                c.close()
        threading.Thread(target=run, daemon=True).start()

for spec in sys.argv[1:]:
    kind, port = spec.split(":")
    threading.Thread(target=serve, args=(kind, int(port)), daemon=True).start()
threading.Event().wait()
PY
serve python3 "$WORK/listeners.py" kafka:9092 kafka:19092 mongo:27017 mongo:37017

# RabbitMQ with its state under $WORK, no plugins, guest allowed from the client namespace.
mkdir -p "$WORK/rabbit"
cat >"$WORK/rabbit/rabbitmq.conf" <<CFG
listeners.tcp.default = 5672
listeners.tcp.alternate = 35672
loopback_users = none
CFG
echo '[].' >"$WORK/rabbit/enabled_plugins"
RABBITMQ_CONFIG_FILE="$WORK/rabbit/rabbitmq" RABBITMQ_MNESIA_BASE="$WORK/rabbit/mnesia" \
RABBITMQ_LOG_BASE="$WORK/rabbit/log" RABBITMQ_PID_FILE="$WORK/rabbit/pid" HOME="$WORK/rabbit" \
RABBITMQ_ENABLED_PLUGINS_FILE="$WORK/rabbit/enabled_plugins" RABBITMQ_NODENAME=rabbit@localhost \
RABBITMQ_DIST_PORT=25999 serve /usr/lib/rabbitmq/bin/rabbitmq-server
for i in $(seq 1 120); do srv ss -lnt | grep -q ':5672 ' && break; sleep 0.5; done

for p in 1883 11883 5672 35672 9092 19092 27017 37017; do wait_port t $p; done
capture_start
label tcp 1883 mqtt
label tcp 11883 mqtt
label tcp 5672 amqp
label tcp 35672 amqp
label tcp 9092 kafka
label tcp 19092 kafka
label tcp 27017 mongodb
label tcp 37017 mongodb

cli mosquitto_pub -h "$SRV4" -p 1883 -i rampart-pub -t sensors/1 -m hello
cli mosquitto_pub -h "$SRV6" -p 11883 -V mqttv5 -i rampart-v5 -t sensors/2 -m hello
cli mosquitto_pub -h "$SRV4" -p 11883 -V mqttv31 -i rampart-v31 -t sensors/3 -m hello

cat >"$WORK/clients.py" <<'PY'
import sys, logging
logging.disable(logging.CRITICAL)
kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
addr = f"[{host}]" if ":" in host else host
try:
    if kind == "amqp":
        import pika
        connection = pika.BlockingConnection(pika.ConnectionParameters(host=host, port=port, connection_attempts=1,
                                                                       socket_timeout=5, client_properties={"connection_name": "rampart-test"}))
        channel = connection.channel()
        channel.queue_declare(queue="rampart")
        channel.basic_publish(exchange="", routing_key="rampart", body=b"hello")
        connection.close()
    elif kind == "kafka":
        from kafka import KafkaAdminClient
        KafkaAdminClient(bootstrap_servers=f"{addr}:{port}", client_id="rampart-admin",
                         request_timeout_ms=3000)
    elif kind == "mongo":
        from pymongo import MongoClient
        MongoClient(f"mongodb://{addr}:{port}/", serverSelectionTimeoutMS=2000, appname="rampart-test",
                    directConnection=True).admin.command("ping")
except Exception as e:
    print(kind, "client:", type(e).__name__, file=sys.stderr)
PY
cli timeout 15 python3 "$WORK/clients.py" amqp "$SRV4" 5672 || true
cli timeout 15 python3 "$WORK/clients.py" amqp "$SRV6" 35672 || true
cli timeout 15 python3 "$WORK/clients.py" kafka "$SRV4" 9092 || true
cli timeout 15 python3 "$WORK/clients.py" kafka "$SRV6" 19092 || true
cli timeout 15 python3 "$WORK/clients.py" mongo "$SRV4" 27017 || true
cli timeout 15 python3 "$WORK/clients.py" mongo "$SRV6" 37017 || true
capture_stop
