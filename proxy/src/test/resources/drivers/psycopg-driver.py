# psycopg 3 through a PostgreSQL endpoint: prints one line of results (DriverCompatibilityIT compares it with the
# same script run against PostgreSQL itself). Usage: python3 psycopg-driver.py PORT (named so that it does not shadow the module)
import sys

import psycopg

port = int(sys.argv[1])
out = []
with psycopg.connect(host='127.0.0.1', port=port, user='app', password='app', dbname='app', autocommit=True) as c:
    c.prepare_threshold = 1  # server-side prepared from the second execution on
    out.append([c.execute("SELECT %s::int + 1", (i,)).fetchone()[0] for i in range(6)])
    with c.pipeline():
        curs = [c.execute("SELECT %s::int * 2", (i,)) for i in range(20)]
    out.append(all(cur.fetchone()[0] == i * 2 for i, cur in enumerate(curs)))
    c.execute("DROP TABLE IF EXISTS drivers_py")
    c.execute("CREATE TABLE drivers_py (id int, v text)")
    with c.cursor() as cur:
        cur.executemany("INSERT INTO drivers_py VALUES (%s, %s)", [(i, str(i)) for i in range(300)])
    out.append(c.execute("SELECT count(*), sum(id) FROM drivers_py").fetchone())
    try:
        with c.pipeline():
            c.execute("SELECT 1")
            c.execute("SELECT 1/0")
            c.execute("SELECT 2")
    except psycopg.Error as e:
        out.append(e.sqlstate)
    out.append(c.execute("SELECT 3").fetchone()[0])
    with c.transaction():
        c.execute("INSERT INTO drivers_py VALUES (1000, 'x')")
        out.append(c.execute("SELECT count(*) FROM drivers_py").fetchone()[0])
    with c.cursor(binary=True) as cur:
        out.append(cur.execute("SELECT %s::bytea, %s::int8, %s::numeric", (b'\x01\x02', 7, 1.5)).fetchone())
    for _ in range(3):  # repeated reads of a table nobody writes: cache hits through pgroute
        out.append(c.execute("SELECT id, name, price FROM products WHERE id = %s", (2,)).fetchall())
        out.append(c.execute("SELECT name, stock FROM products WHERE price > %s ORDER BY id", (10,)).fetchall())
        out.append(c.execute("SELECT count(*), sum(stock) FROM products").fetchall())
        with c.cursor(binary=True) as cur:
            out.append(cur.execute("SELECT id, price, description FROM products ORDER BY id").fetchall())
    c.execute("SELECT set_config('search_path', 'pg_catalog, public', false)")
    out.append(c.execute("SHOW search_path").fetchone()[0])
with psycopg.connect(host='127.0.0.1', port=port, user='app', password='app', dbname='app') as c:
    with c.cursor(name="server_side") as cur:
        cur.itersize = 10
        cur.execute("SELECT generate_series(1, 55)")
        out.append(sum(row[0] for row in cur))
    c.commit()
print(out)
