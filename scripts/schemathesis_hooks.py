"""schemathesis hooks for scripts/schemathesis.sh: the events endpoint
takes NDJSON, which schemathesis cannot write by itself; a generated
string body is sent as it is."""
import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode()
