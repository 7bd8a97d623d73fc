#!/usr/bin/env python3
"""Crash campaign: SIGKILL liveledger at random points, cut power, check.

    scripts/crash-campaign.py [KILLS] [EVENTS]     (default 120 kills, 200,000 events)

Rounds run until KILLS of them were killed mid-way. Each runs one of
  ingest   `ingest --verbose --batch B` of the events file and a file of
           new events, killed after a random number of acknowledged
           commits plus a random delay;
  level    plain `ingest` of new events, killed while it brings the analysis
           state level and writes the snapshot and judged answers;
  rebuild  `rebuild`, killed at a random moment (id index, snapshot);
and after one round in three, a power cut: every file written since the
last published checkpoint and not covered by it (tiles newer than the
checkpoint, temporary files, the id index, the derived state) is truncated
to a random length, as a lost page cache would leave it.

After every round: `verify` passes, the log holds at least every event
acknowledged so far, and `sessions` answers (damaged derived state is set
aside, never used). At the end, an uninterrupted ingest of every event
leaves each exactly once (log size = distinct ids) and `verify` passes.

Results are appended to docs/crash-campaign.txt. LIVELEDGER_BIN picks the
binary (default target/release/liveledger, else target/debug).
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def binary():
    if os.environ.get("LIVELEDGER_BIN"):
        return os.environ["LIVELEDGER_BIN"]
    for p in ("target/release/liveledger", "target/debug/liveledger"):
        if os.path.exists(os.path.join(ROOT, p)):
            return os.path.join(ROOT, p)
    sys.exit("build liveledger first (cargo build --release)")


BIN = binary()


def events(path, start, n):
    with open(path, "w") as f:
        for i in range(start, start + n):
            s = f"s{i % 3}"
            kind = i % 3
            if kind == 0:
                line = {"type": "viewer_joined", "id": f"k{i}", "at": "2020-04-01T20:00:00+08:00",
                        "session": s, "account": f"u{i}", "device": f"d{i // 4}"}
            elif kind == 1:
                line = {"type": "comment", "id": f"k{i}", "at": "2020-04-01T20:00:01+08:00",
                        "session": s, "account": f"u{i}", "text": "666"}
            else:
                line = {"type": "order_placed", "id": f"k{i}", "at": "2020-04-01T20:00:02+08:00",
                        "session": s, "order": f"o{i}", "product": "p1", "account": f"u{i}",
                        "quantity": 1, "amount": 12900, "currency": "CNY"}
            f.write(json.dumps(line, separators=(",", ":")) + "\n")


def run(data, *args):
    return subprocess.run([BIN, "--data", data, *args], capture_output=True, text=True)


def start(data, *args):
    return subprocess.Popen([BIN, "--data", data, *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def acks(proc, out):
    """Collects the tree sizes of complete `committed:` lines."""
    for line in proc.stderr:
        if line.startswith("committed: tree size ") and ", through " in line and line.endswith("\n"):
            out.append(int(line[len("committed: tree size "):].split(",")[0]))


def power_cut(data, rng):
    """Truncates files written after the published checkpoint (see above)."""
    cp = os.path.join(data, "log", "checkpoint")
    published = os.stat(cp).st_mtime_ns
    cut = []
    for top, _, files in os.walk(data):
        for name in files:
            p = os.path.join(top, name)
            rel = os.path.relpath(p, data)
            derived = rel.startswith(("index", "state")) or name.endswith((".tmp", ".resize"))
            newer_tile = rel.startswith(os.path.join("log", "tile")) and os.stat(p).st_mtime_ns > published
            if (derived or newer_tile) and rng.random() < 0.5:
                size = os.path.getsize(p)
                os.truncate(p, rng.randrange(size + 1) if size else 0)
                cut.append(rel)
    return cut


def main():
    target = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    seed = int(os.environ.get("SEED", time.time_ns() % 2**32))
    rng = random.Random(seed)
    work = tempfile.mkdtemp(prefix="crash-campaign-")
    data = os.path.join(work, "data")
    every = os.path.join(work, "all.ndjson")
    events(every, 0, total)
    acknowledged, kills, cuts, fresh = 0, {"ingest": 0, "level": 0, "rebuild": 0}, 0, 0
    failures = []
    began = time.time()
    r = 0
    while sum(kills.values()) < target and r < 4 * target:
        r += 1
        mode = rng.choice(["ingest", "ingest", "level", "rebuild"]) if r > 1 else "ingest"
        if mode == "rebuild" and not os.path.exists(os.path.join(data, "log", "checkpoint")):
            mode = "ingest"
        seen = []
        if mode in ("ingest", "level"):
            # New events, so there is something to commit (and, for
            # `level`, a tail for the analysis to replay and save).
            extra = os.path.join(work, f"extra{r}.ndjson")
            n = rng.randrange(5000, 60000)
            events(extra, total + fresh, n)
            fresh += n
        if mode == "ingest":
            batch = str(rng.choice([500, 2000, 7000]))
            proc = start(data, "ingest", "--verbose", "--log-only", "--batch", batch, every, extra)
            reader = threading.Thread(target=acks, args=(proc, seen))
            reader.start()
            want = rng.randrange(1, 8)
            deadline = time.time() + 60
            while len(seen) < want and proc.poll() is None and time.time() < deadline:
                time.sleep(0.002)
            time.sleep(rng.random() * 0.03)
        elif mode == "level":
            proc = start(data, "ingest", "--verbose", extra)
            reader = threading.Thread(target=acks, args=(proc, seen))
            reader.start()
            time.sleep(rng.random() * 0.6)
        else:
            proc = start(data, "rebuild")
            reader = None
            time.sleep(rng.random() * 0.6)
        killed = proc.poll() is None
        if killed:
            proc.send_signal(signal.SIGKILL)
            kills[mode] += 1
        proc.wait()
        if reader:
            reader.join()
        acknowledged = max([acknowledged, *seen])
        cut = []
        if killed and rng.random() < 1 / 3:
            cut = power_cut(data, rng)
            cuts += 1
        v = run(data, "verify", "--json")
        size = json.loads(v.stdout or "{}").get("size", -1) if v.returncode == 0 else -1
        s = run(data, "sessions", "--json")
        ok = v.returncode == 0 and size >= acknowledged and s.returncode == 0
        print(f"round {r:3} {mode:7} killed={killed!s:5} cut={len(cut):2} acked={acknowledged} size={size} {'ok' if ok else 'FAILED'}", flush=True)
        if not ok:
            failures.append((r, mode, v.stdout + v.stderr, s.stderr, cut))
    # An uninterrupted run: every event exactly once.
    extra = [os.path.join(work, f) for f in sorted(os.listdir(work)) if f.startswith("extra")]
    final = run(data, "ingest", "--json", every, *extra)
    out = json.loads(final.stdout or "{}")
    distinct = total + fresh
    once = out.get("checkpoint", {}).get("size") == distinct
    verified = run(data, "verify").returncode == 0
    if not (once and verified):
        failures.append(("final", out, final.stderr))
    summary = (
        f"{time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime(began))} seed {seed}, {r} rounds, {total} events + {fresh} added: "
        f"SIGKILLs {sum(kills.values())} (ingest {kills['ingest']}, analysis level {kills['level']}, rebuild {kills['rebuild']}), "
        f"power cuts {cuts}; acknowledged-but-lost 0 of every round checked: {'yes' if not failures else 'NO'}; "
        f"final log {out.get('checkpoint', {}).get('size')} = distinct ids {distinct}: {once}; verify: {verified}; "
        f"failures {len(failures)}; {time.time() - began:.0f} s, {BIN}"
    )
    print(summary)
    with open(os.path.join(ROOT, "docs", "crash-campaign.txt"), "a") as f:
        f.write(summary + "\n")
        for fail in failures:
            f.write(f"  FAILED {fail}\n")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
