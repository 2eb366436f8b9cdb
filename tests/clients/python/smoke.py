"""psycopg2 smoke test against OmenDB: every supported type through bound
parameters, NULLs, a rolled-back transaction and an error's SQLSTATE.
Connection parameters come from the PG* environment variables."""
import datetime
import decimal
import sys
import uuid

import psycopg2
import psycopg2.errors
import psycopg2.extras

conn = psycopg2.connect("")
cur = conn.cursor()
cur.execute("DROP TABLE IF EXISTS py_smoke")
cur.execute("""CREATE TABLE py_smoke (id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real, f8 double precision,
    n numeric(20,6), t text, vc varchar(10), b boolean, by bytea, d date, ts timestamp, tz timestamptz,
    iv interval, u uuid)""")
tz = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
row = (1, -32768, -9223372036854775807, 1.5, -2.25e-300, decimal.Decimal("-12345678901234.123456"),
       "héllo wörld ✓ 日本", "ünï", True, b"\x00\x01\xff", datetime.date(1999, 12, 31),
       datetime.datetime(2024, 2, 29, 23, 59, 58, 123456),
       datetime.datetime(2024, 6, 1, 12, 0, 0, 5, tzinfo=tz),
       datetime.timedelta(days=3, seconds=7200, microseconds=1),
       uuid.UUID("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"))
psycopg2.extras.register_uuid()
cur.execute("INSERT INTO py_smoke VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", row)
cur.execute("INSERT INTO py_smoke (id) VALUES (%s)", (2,))
conn.commit()
cur.execute("SELECT * FROM py_smoke ORDER BY id")
got = cur.fetchall()
want1 = list(row)
want1[9] = memoryview(want1[9])
g1 = list(got[0])
fail = []
for i, (g, w) in enumerate(zip(g1, row)):
    if isinstance(g, memoryview):
        g = bytes(g)
    if g != w:
        fail.append("column %d: got %r want %r" % (i, g, w))
if any(v is not None for v in got[1][1:]):
    fail.append("NULL row: got %r" % (got[1],))
# A rolled-back transaction leaves nothing behind.
cur.execute("INSERT INTO py_smoke (id, t) VALUES (3, 'gone')")
conn.rollback()
cur.execute("SELECT count(*) FROM py_smoke")
if cur.fetchone()[0] != 2:
    fail.append("rollback did not undo the insert")
# Errors carry their SQLSTATE.
try:
    cur.execute("INSERT INTO py_smoke (id) VALUES (1)")
    fail.append("duplicate key accepted")
except psycopg2.Error as e:
    if e.pgcode != "23505":
        fail.append("duplicate key: SQLSTATE %s, want 23505" % e.pgcode)
conn.rollback()
# Array columns: lists in (ARRAY[...] literals), lists out (text format).
cur.execute("CREATE TABLE py_arr (id int PRIMARY KEY, tags text[], m int[][])")
cur.execute("INSERT INTO py_arr VALUES (%s, %s, %s)", (1, ["a", "b c", None, 'q"'], [[1, 2], [3, 4]]))
conn.commit()
cur.execute("SELECT tags, m, m[2][1] FROM py_arr")
got = cur.fetchone()
if got != (["a", "b c", None, 'q"'], [[1, 2], [3, 4]], 3):
    fail.append("arrays: got %r" % (got,))
# A named (server-side) cursor: DECLARE … CURSOR WITHOUT HOLD, then FETCH
# FORWARD itersize at a time as the rows are read.
cur.execute("DROP TABLE IF EXISTS py_many")
cur.execute("CREATE TABLE py_many (id int PRIMARY KEY)")
cur.execute("INSERT INTO py_many SELECT g FROM generate_series(1, 2500) g")
conn.commit()
named = conn.cursor(name="py_named")
named.itersize = 1000
named.execute("SELECT id FROM py_many ORDER BY id")
ids = [r[0] for r in named]
named.close()
conn.commit()
if ids != list(range(1, 2501)):
    fail.append("named cursor: got %d rows, first %r" % (len(ids), ids[:3]))
named = conn.cursor(name="py_scroll", scrollable=True, withhold=True)
named.execute("SELECT id FROM py_many ORDER BY id")
conn.commit()  # WITH HOLD: the cursor outlives the transaction
named.scroll(2499, mode="absolute")
if named.fetchone() != (2500,):
    fail.append("scrollable named cursor: wrong row after scroll")
named.close()
if fail:
    print("\n".join(fail))
    sys.exit(1)
print("ok")
