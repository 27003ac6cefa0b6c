# COMPAT V13: SQLAlchemy's asyncio engine over asyncpg, default settings (asyncpg's statement cache, SQLAlchemy's own
# prepared statement cache, its connect-time queries), pool of 5: ROUNDS rounds of 100 concurrent requests, each
# running statements of 30 shapes, so statements are prepared, cached and evicted on connections that pgroute
# multiplexes. Prints "ok <right answers> errors [<error names>]". Usage: python3 sqlalchemy-asyncpg.py PORT ROUNDS
import asyncio, sys
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
port, rounds = int(sys.argv[1]), int(sys.argv[2])

async def main():
    engine = create_async_engine(f"postgresql+asyncpg://app:app@127.0.0.1:{port}/app", pool_size=5,
                                 max_overflow=0)
    errors, good = [], 0
    async def request(i):
        nonlocal good
        try:
            async with engine.connect() as c:
                k = i % 30
                v = (await c.execute(text(f"SELECT CAST(:v AS int) + {k} AS v"), {"v": i})).scalar()
                good += v == i + k
                rows = (await c.execute(text("SELECT id FROM products WHERE id <= :n ORDER BY id"), {"n": 2})).all()
                good += [r[0] for r in rows] == [1, 2]
        except Exception as e:
            errors.append(type(e).__name__ + ': ' + str(e).splitlines()[0][:200])
    for r in range(rounds):
        await asyncio.gather(*[request(r * 100 + i) for i in range(100)])
    await engine.dispose()
    print('ok', good, 'errors', sorted(set(errors)))

asyncio.run(main())
