#!/usr/bin/env bash
# The API against its own OpenAPI document (issue 21): schemathesis
# (PyPI) generates requests from /openapi.json — valid ones, and ones the
# schema forbids — once with a token of each role of api.md, against a
# service over the example evening. It fails on any 5xx, a valid request
# refused, an invalid one accepted, or a response outside the document.
# The alert stream is left out: it answers for as long as the client
# listens (crates/cli/tests/alerts.rs tests it).
#
#   scripts/schemathesis.sh [EXAMPLES]     (per operation and phase; default 20)
#
# Uses target/debug/liveledger (LIVELEDGER_BIN to choose another).
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-20}
bin=${LIVELEDGER_BIN:-$PWD/target/debug/liveledger}
[ -x "$bin" ] || cargo build --quiet --bin liveledger
command -v schemathesis >/dev/null || pip3 install -q schemathesis
work=$(mktemp -d)
server=
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT
data=$work/data
"$bin" --data "$data" ingest examples/evening.ndjson > /dev/null
"$bin" --data "$data" serve --listen 127.0.0.1:0 > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 100); do grep -q http "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
addr=$(grep -o '127.0.0.1:[0-9]*' "$work/serve.out")

# role:scope, the scopes of examples/evening.ndjson.
for who in regulator: platform:douyin mcn:mcn-fn merchant:m1 anchor:a1 consumer:u000 producer:douyin; do
  role=${who%%:*}
  scope=${who#*:}
  token=$("$bin" --data "$data" --json token issue --role "$role" ${scope:+--scope "$scope"} --name "st-$role" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  echo "== schemathesis as $role${scope:+ ($scope)}"
  PYTHONPATH=scripts SCHEMATHESIS_HOOKS=schemathesis_hooks schemathesis --no-color run "http://$addr/openapi.json" \
    -H "Authorization: Bearer $token" \
    --checks all --max-examples "$examples" --seed 21 \
    --exclude-path /v1/alerts/stream \
    --suppress-health-check all \
    > "$work/st-$role.txt" 2>&1 || { cat "$work/st-$role.txt"; exit 1; }
  grep -E "^(Test cases:|  [0-9]+ generated)" "$work/st-$role.txt" | tail -1
done
