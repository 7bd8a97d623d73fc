#!/usr/bin/env python3
"""Alert latency under load (issue 23): the time from the acknowledgement
of the batch that tips a flag to the alert at an SSE client and at a
webhook, while a producer streams background events at a target rate.

Driven by scripts/bench-alerts.sh, which starts the service; stdlib only.

    bench-alerts.py ADDR TOKEN FEED_TOKEN BACKGROUND.ndjson WEBHOOK_PORT SECONDS RATE
"""
import http.client, http.server, json, socket, sys, threading, time

addr, token, feed, background, hook_port, seconds, rate = sys.argv[1:8]
host, port = addr.split(":")
seconds, rate, hook_port = float(seconds), int(rate), int(hook_port)
sse_seen, hook_seen, acked = {}, {}, {}
lock = threading.Lock()
stop = threading.Event()


def post(body, tok):
    c = http.client.HTTPConnection(host, int(port), timeout=60)
    c.request("POST", "/v1/events", body, {"Authorization": f"Bearer {tok}"})
    r = c.getresponse()
    data = r.read()
    if r.status != 200:
        raise SystemExit(f"POST /v1/events: {r.status} {data[:300]!r}")
    return json.loads(data)


def sse():
    s = socket.create_connection((host, int(port)))
    s.sendall(f"GET /v1/alerts/stream HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n".encode())
    f = s.makefile("rb")
    for line in f:
        i = line.find(b"data: ")
        if i >= 0:
            a = json.loads(line[i + 6:])
            with lock:
                sse_seen.setdefault(a["session"], time.monotonic())


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        a = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with lock:
            hook_seen.setdefault(a["session"], time.monotonic())
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def load(lines, senders=4):
    """Background events at `rate` per second, in batches every 100 ms,
    sent on `senders` connections at once (a platform's feed does not wait
    for one batch's checkpoint before sending the next)."""
    per, start = max(1, rate // 10), time.monotonic()
    batches = [lines[i:i + per] for i in range(0, len(lines), per)]
    nxt, sent = [0], [0]

    def worker():
        while not stop.is_set():
            with lock:
                k = nxt[0]
                nxt[0] += 1
            if k >= len(batches):
                return
            due = k * per / rate - (time.monotonic() - start)
            if due > 0:
                time.sleep(due)
            post(b"".join(batches[k]), feed)
            with lock:
                sent[0] += len(batches[k])

    ws = [threading.Thread(target=worker) for _ in range(senders)]
    for w in ws:
        w.start()
    for w in ws:
        w.join()
    return sent[0], time.monotonic() - start


def probe(n):
    s = f"probe{n}"
    ev = [{"type": "session_started", "id": f"{s}-0", "at": "2026-12-01T10:00:00+08:00", "session": s, "anchor": "pa", "platform": "douyin"}]
    ev += [{"type": "viewer_joined", "id": f"{s}-j{i}", "at": f"2026-12-01T10:00:{i:02d}+08:00", "session": s, "account": f"{s}-u{i}"} for i in range(40)]
    ev.append({"type": "metrics_reported", "id": f"{s}-m", "at": "2026-12-01T10:01:00+08:00", "session": s, "online": 20000, "views": 500000})
    body = "\n".join(json.dumps(e) for e in ev).encode()
    post(body, feed)
    with lock:
        acked[s] = time.monotonic()


threading.Thread(target=sse, daemon=True).start()
server = http.server.ThreadingHTTPServer(("127.0.0.1", hook_port), Hook)
threading.Thread(target=server.serve_forever, daemon=True).start()
time.sleep(1)
with open(background, "rb") as f:
    lines = f.readlines()
result = {}
t = threading.Thread(target=lambda: result.update(load=load(lines)))
t.start()
n, start = 0, time.monotonic()
while time.monotonic() - start < seconds:
    probe(n)
    n += 1
    time.sleep(1.0)
stop.set()
t.join()
time.sleep(5)  # the last alerts


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else float("nan")


sent, took = result["load"]
for name, seen in (("SSE", sse_seen), ("webhook", hook_seen)):
    lat = [seen[s] - acked[s] for s in acked if s in seen]
    missed = len(acked) - len(lat)
    print(f"{name:8} probes {len(acked)}, alerts {len(lat)} (missed {missed}); latency after ack p50 {pct(lat, 50):.3f} s, p99 {pct(lat, 99):.3f} s, max {max(lat, default=float('nan')):.3f} s")
print(f"background: {sent:,} events in {took:.1f} s = {sent / took:,.0f} events/s (target {rate:,})")
