"""The yardstick of scripts/bench-audit.sh: what an analyst with DuckDB
does with the same NDJSON — load it, then reconcile views, unique viewers
and placed / paid / refunded GMV per session. Prints the load and query
times and the figures (which must equal liveledger's)."""
import sys
import time

import duckdb

path = sys.argv[1]
con = duckdb.connect()
t0 = time.perf_counter()
con.execute(
    """CREATE TABLE ev AS SELECT * FROM read_json(?, format = 'newline_delimited',
       columns = {type: 'VARCHAR', session: 'VARCHAR', account: 'VARCHAR',
                  "order": 'VARCHAR', amount: 'BIGINT'})""",
    [path],
)
t1 = time.perf_counter()
rows = con.execute(
    """WITH placed AS (SELECT session, "order", amount FROM ev WHERE type = 'order_placed'),
            paid AS (SELECT "order", sum(amount) AS paid FROM ev WHERE type = 'order_paid' GROUP BY 1),
            refunded AS (SELECT "order", sum(amount) AS refunded FROM ev WHERE type = 'order_refunded' GROUP BY 1),
            viewers AS (SELECT session, count(*) AS views, count(DISTINCT account) AS unique_viewers
                        FROM ev WHERE type = 'viewer_joined' GROUP BY 1)
       SELECT v.session, v.views, v.unique_viewers, sum(p.amount) AS placed_gmv,
              coalesce(sum(pd.paid), 0) AS paid_gmv, coalesce(sum(r.refunded), 0) AS refunded_gmv
       FROM viewers v JOIN placed p USING (session)
       LEFT JOIN paid pd USING ("order") LEFT JOIN refunded r USING ("order")
       GROUP BY 1, 2, 3 ORDER BY 1"""
).fetchall()
t2 = time.perf_counter()
print(f"duckdb load: {t1 - t0:.2f} s")
print(f"duckdb query: {(t2 - t1) * 1000:.0f} ms")
for r in rows:
    print("duckdb figures:", dict(zip(["session", "views", "unique", "placed_gmv", "paid_gmv", "refunded_gmv"], r)))
