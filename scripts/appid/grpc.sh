#!/usr/bin/env bash
# App-ID capture: gRPC (h2c) with the real grpcio client and server.
#   scripts/appid/grpc.sh OUTDIR      -> OUTDIR/grpc.pcap + OUTDIR/grpc.labels
# The service is built with grpc.method_handlers_generic_handler and raw-bytes
# serialisers, so no protoc is needed: /rampart.test.Echo/Say (unary) and
# /rampart.test.Echo/Stream (server streaming), on 50051 and on 9443.
source "$(dirname "$0")/lib.sh"
appid_begin grpc "${1:?usage: $0 OUTDIR}"
cat >"$WORK/server.py" <<'PY'
import sys, time
from concurrent import futures
import grpc
ident = lambda b: b
def say(request, context): return b"\x0a\x05hello" + request
def stream(request, context):
    for i in range(3): yield bytes([0x08, i])
handler = grpc.method_handlers_generic_handler("rampart.test.Echo", {
    "Say": grpc.unary_unary_rpc_method_handler(say, request_deserializer=ident, response_serializer=ident),
    "Stream": grpc.unary_stream_rpc_method_handler(stream, request_deserializer=ident, response_serializer=ident),
})
server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
server.add_generic_rpc_handlers((handler,))
server.add_insecure_port(f"[::]:{sys.argv[1]}")
server.start()
server.wait_for_termination()
PY
cat >"$WORK/client.py" <<'PY'
import sys
import grpc
ident = lambda b: b
with grpc.insecure_channel(sys.argv[1]) as channel:
    say = channel.unary_unary("/rampart.test.Echo/Say", request_serializer=ident, response_deserializer=ident)
    say(b"\x0a\x03abc", timeout=5)
    stream = channel.unary_stream("/rampart.test.Echo/Stream", request_serializer=ident, response_deserializer=ident)
    list(stream(b"", timeout=5))
PY
serve python3 "$WORK/server.py" 50051
serve python3 "$WORK/server.py" 9443
wait_port t 50051; wait_port t 9443
capture_start
label tcp 50051 grpc
label tcp 9443 grpc
cli python3 "$WORK/client.py" "$SRV4:50051"
cli python3 "$WORK/client.py" "[$SRV6]:9443"
capture_stop
