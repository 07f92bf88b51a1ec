#!/usr/bin/env python3
"""Runs a built rampart's whole prompt-injection detector (rules, classifier, base64 pieces)
over sample files, one prompt a line, and prints how many lines each file has flagged.
Each line becomes the user message of an OpenAI chat request, one TCP session each, in a
capture that `rampart inspect` reads with an AI profile alerting on prompt injection (no
network: the capture is written to a temporary folder). It rates any build, so the model
of another commit can be measured on the same files (docs/ai-security.md, "Accuracy").

Example:
    python3 scripts/ai/rate_samples.py --rampart .build/debug/rampart \\
        Tests/AISamples/injections-fresh.txt Tests/AISamples/benign-fresh.txt
"""
import argparse, json, os, struct, subprocess, sys, tempfile

POLICY = """apiVersion: rampart.io/v1
kind: SecurityPolicy
metadata: {name: rate-samples}
spec:
  aiSecurityProfiles:
    - name: rate
      actions: {prompt-injection: alert, secret: allow, personal-data: allow}
  rules:
    - name: llm
      action: allow
      profiles: [rate]
  defaults:
    intrazone: {action: allow}
    interzone: {action: allow}
"""


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def address(a):
    return bytes(int(x) for x in a.split("."))


def segment(src, sport, dst, dport, seq, ack, flags, payload=b""):
    """An IPv4 TCP packet with correct checksums."""
    th = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, 65535, 0, 0)
    pseudo = address(src) + address(dst) + struct.pack("!BBH", 0, 6, len(th) + len(payload))
    th = th[:16] + struct.pack("!H", checksum(pseudo + th + payload)) + th[18:]
    ih = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(th) + len(payload), 1, 0, 64, 6, 0, address(src), address(dst))
    return ih[:10] + struct.pack("!H", checksum(ih)) + ih[12:] + th + payload


def write_capture(path, prompts):
    with open(path, "wb") as out:
        out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))  # raw IP
        clock = [1_700_000_000_000_000]

        def packet(frame):
            clock[0] += 1000
            out.write(struct.pack("<IIII", clock[0] // 1_000_000, clock[0] % 1_000_000, len(frame), len(frame)) + frame)

        for n, prompt in enumerate(prompts):
            port = 20000 + n
            body = json.dumps({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": prompt}]}).encode()
            head = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: llm.local\r\nContent-Type: application/json\r\n"
                    f"Authorization: Bearer x\r\nContent-Length: {len(body)}\r\n\r\n").encode()
            c, s = 1000, 5000
            packet(segment("10.0.0.1", port, "10.0.0.2", 8000, c - 1, 0, 0x02))
            packet(segment("10.0.0.2", 8000, "10.0.0.1", port, s - 1, c, 0x12))
            packet(segment("10.0.0.1", port, "10.0.0.2", 8000, c, s, 0x10))
            packet(segment("10.0.0.1", port, "10.0.0.2", 8000, c, s, 0x18, head))
            packet(segment("10.0.0.1", port, "10.0.0.2", 8000, c + len(head), s, 0x18, body))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rampart", required=True, help="the rampart executable to rate")
    ap.add_argument("--show", choices=["flagged", "missed"],
                    help="also print the lines flagged (or not flagged); never use it on the fresh sets")
    ap.add_argument("files", nargs="+", help="sample files: one prompt a line, # comments")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="rampart-rate-") as tmp:
        policy = os.path.join(tmp, "policy.yaml")
        with open(policy, "w") as f:
            f.write(POLICY)
        for path in args.files:
            prompts = [l.rstrip("\n") for l in open(path, encoding="utf-8") if l.strip() and not l.startswith("#")]
            capture = os.path.join(tmp, "samples.pcap")
            write_capture(capture, prompts)
            run = subprocess.run([args.rampart, "inspect", capture, "--policy", policy], capture_output=True, text=True)
            if run.returncode != 0:
                sys.exit(f"rate_samples: {args.rampart} inspect failed: {run.stderr.strip()}")
            flagged = set()
            for line in run.stdout.splitlines():
                event = json.loads(line)
                if event.get("event_type") == "ai" and any(d["kind"] == "prompt-injection"
                                                           for d in event["ai"].get("detections", [])):
                    flagged.add(event["src_port"])
            print(f"{os.path.basename(path)}: {len(flagged)}/{len(prompts)} flagged")
            if args.show:
                for n, prompt in enumerate(prompts):
                    if (20000 + n in flagged) == (args.show == "flagged"):
                        print(f"  {prompt[:300]}")


if __name__ == "__main__":
    main()
