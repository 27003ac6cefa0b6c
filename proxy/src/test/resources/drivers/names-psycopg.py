# COMPAT V1 with psycopg 3: CLIENTS connections (threads) run the same 20 statements ROUNDS times at once, each
# prepared on first use (prepare_threshold=0) under psycopg's names _pg3_0, _pg3_1, … per connection; odd clients
# use them in the other order, so one name means another statement on the next client. Prints
# "ok <right answers> errors [<SQLSTATEs>]". Usage: python3 names-psycopg.py PORT CLIENTS ROUNDS
import sys, threading
import psycopg
port, clients, rounds = map(int, sys.argv[1:4])
results, lock = [], threading.Lock()
def client(n):
    good, errors = 0, []
    try:
        with psycopg.connect(host='127.0.0.1', port=port, user='app', password='app', dbname='app',
                             autocommit=True, prepare_threshold=0) as c:
            for r in range(rounds):
                for k in (range(20) if n % 2 == 0 else reversed(range(20))):
                    try:
                        good += c.execute(f"SELECT %s::int + {k} AS v", (n * 1000 + r,)).fetchone()[0] \
                            == n * 1000 + r + k
                    except psycopg.Error as e:
                        errors.append(e.sqlstate or type(e).__name__)
    except psycopg.Error as e:
        errors.append('connection: ' + str(e).strip())
    with lock:
        results.append((good, errors))
threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print('ok', sum(g for g, _ in results), 'errors', sorted(set(e for _, es in results for e in es)))
