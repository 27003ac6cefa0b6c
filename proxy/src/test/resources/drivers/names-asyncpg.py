# COMPAT V1 with asyncpg: CLIENTS connections run the same 20 statements ROUNDS times at once. asyncpg names its
# statements __asyncpg_stmt_<n>__ from a counter per process, so two processes of this script give the same names to
# other statements. Prints "ok <right answers> errors [<SQLSTATEs>]". Usage: python3 names-asyncpg.py PORT CLIENTS ROUNDS
import asyncio, sys, asyncpg
port, clients, rounds = map(int, sys.argv[1:4])
async def client(n):
    good, errors = 0, []
    c = await asyncpg.connect(host='127.0.0.1', port=port, user='app', password='app', database='app')
    try:
        for r in range(rounds):
            for k in (range(20) if n % 2 == 0 else reversed(range(20))):
                try:
                    good += await c.fetchval(f"SELECT $1::int + {k} AS v", n * 1000 + r) == n * 1000 + r + k
                except asyncpg.PostgresError as e:
                    errors.append(e.sqlstate)
    finally:
        await c.close()
    return good, errors
async def main():
    res = await asyncio.gather(*[client(n) for n in range(clients)])
    print('ok', sum(g for g, _ in res), 'errors', sorted(set(e for _, es in res for e in es)))
asyncio.run(main())
