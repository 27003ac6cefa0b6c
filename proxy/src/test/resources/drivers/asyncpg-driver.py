# asyncpg through a PostgreSQL endpoint: prints one line of results (DriverCompatibilityIT compares it with the
# same script run against PostgreSQL itself). Usage: python3 asyncpg-driver.py PORT
import asyncio, sys, asyncpg
port = int(sys.argv[1])
async def main():
    out = []
    c = await asyncpg.connect(host='127.0.0.1', port=port, user='app', password='app', database='app')
    out.append(await c.fetchval("SELECT 1"))
    out.append(await c.fetchval("SELECT $1::int + 1", 41))
    out.append([r['v'] for r in await c.fetch("SELECT generate_series(1, $1) AS v", 3)])
    await c.execute("DROP TABLE IF EXISTS drivers_apg")
    await c.execute("CREATE TABLE drivers_apg (id serial PRIMARY KEY, v text)")
    await c.executemany("INSERT INTO drivers_apg (v) VALUES ($1)", [(str(i),) for i in range(100)])
    out.append(await c.fetchval("SELECT count(*) FROM drivers_apg"))
    async with c.transaction():
        await c.execute("INSERT INTO drivers_apg (v) VALUES ('t')")
        out.append(await c.fetchval("SELECT count(*) FROM drivers_apg WHERE v = 't'"))
        async for r in c.cursor("SELECT generate_series(1, 30) AS g", prefetch=7):
            pass
        out.append(r['g'])
    try:
        await c.fetchval("SELECT 1/0")
    except asyncpg.PostgresError as e:
        out.append(e.sqlstate)
    st = await c.prepare("SELECT name FROM products WHERE id = $1")
    out.append([await st.fetchval(i) for i in (1, 2, 2, 3)])
    out.append(await c.fetchval("SELECT $1::bytea", b'\x01\x02'))
    tr = c.transaction()  # COMPAT V4: a prepare refused in a failed transaction leaves nothing behind
    await tr.start()
    try:
        await c.execute("SELECT 1/0")
    except asyncpg.PostgresError as e:
        out.append(e.sqlstate)
    try:
        await c.prepare("SELECT $1::int * 5")
    except asyncpg.PostgresError as e:
        out.append(e.sqlstate)
    await tr.rollback()
    out.append(await (await c.prepare("SELECT $1::int * 5")).fetchval(3))
    for text in ("selec 1", "SELECT * FROM no_such_table_v5", "SELECT no_such_function_v5($1::int)"):
        try:  # COMPAT V5: errors at prepare, with the server's position
            await c.prepare(text)
        except asyncpg.PostgresError as e:
            out.append((e.sqlstate, e.position))
    for _ in range(3):  # repeated reads of a table nobody writes: cache hits through pgroute (fetchval's are
        # row-limited Executes, which are never cached)
        out.append([tuple(r) for r in await c.fetch("SELECT id, name, price FROM products WHERE id = $1", 2)])
    await c.close()
    pool = await asyncpg.create_pool(host='127.0.0.1', port=port, user='app', password='app', database='app', min_size=2, max_size=5)
    res = await asyncio.gather(*[pool.fetchval("SELECT $1::int * 3", i) for i in range(100)])
    out.append(res == [i * 3 for i in range(100)])
    async with pool.acquire() as pc:
        await pc.execute("SET application_name = 'asyncpg-test'")
    res = await asyncio.gather(*[pool.fetchval("SELECT current_setting('application_name')") for i in range(20)])
    out.append(sorted(set(res)))
    await pool.close()
    print(out)
asyncio.run(main())
