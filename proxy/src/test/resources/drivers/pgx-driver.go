// pgx (Go, v4) through a PostgreSQL endpoint: prints one line of results (DriverCompatibilityIT compares it with
// the same program run against PostgreSQL itself). pgx speaks the protocol itself (no libpq): its statement cache
// prepares every query under its own names and describes before it binds, a Batch is a pipeline with one Sync,
// CopyFrom is binary COPY, a nested Begin is a savepoint. Usage: pgx-driver PORT
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgx/v4"
	"github.com/jackc/pgx/v4/pgxpool"
)

var out []string

func add(format string, args ...interface{}) {
	out = append(out, fmt.Sprintf(format, args...))
}

func must(err error) {
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

func sqlstate(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	if err == nil {
		return "ok"
	}
	return "other: " + err.Error()
}

func main() {
	ctx := context.Background()
	url := "postgres://app:app@127.0.0.1:" + os.Args[1] + "/app?sslmode=disable"
	c, err := pgx.Connect(ctx, url)
	must(err)
	var n int
	var s string
	must(c.QueryRow(ctx, "SELECT $1::int + 1", 41).Scan(&n))
	add("%d", n)
	for _, id := range []int{1, 2, 2, 3} { // the statement cache: one prepared statement, bound four times
		must(c.QueryRow(ctx, "SELECT name FROM products WHERE id = $1", id).Scan(&s))
		add("%s", s)
	}
	_, err = c.Exec(ctx, "DROP TABLE IF EXISTS drivers_pgx")
	must(err)
	_, err = c.Exec(ctx, "CREATE TABLE drivers_pgx (id int PRIMARY KEY, v text, b bytea, j jsonb, a int[])")
	must(err)

	batch := &pgx.Batch{}
	for i := 0; i < 50; i++ {
		batch.Queue("INSERT INTO drivers_pgx (id, v, b, j, a) VALUES ($1, $2, $3, $4, $5)", i, fmt.Sprint("v", i),
			[]byte{byte(i), 0, 255}, fmt.Sprintf(`{"k": %d}`, i), []int32{int32(i), int32(i + 1)})
	}
	batch.Queue("SELECT count(*) FROM drivers_pgx")
	results := c.SendBatch(ctx, batch)
	for i := 0; i < 50; i++ {
		_, err := results.Exec()
		must(err)
	}
	must(results.QueryRow().Scan(&n))
	must(results.Close())
	add("batch %d", n)

	batch = &pgx.Batch{} // an error in the middle: the server skips the rest up to the Sync
	batch.Queue("INSERT INTO drivers_pgx (id, v) VALUES (1000, 'x')")
	batch.Queue("INSERT INTO drivers_pgx (id, v) VALUES (1, 'duplicate')")
	batch.Queue("INSERT INTO drivers_pgx (id, v) VALUES (1001, 'y')")
	results = c.SendBatch(ctx, batch)
	_, e1 := results.Exec()
	_, e2 := results.Exec()
	_, e3 := results.Exec()
	results.Close()
	add("failed batch %s %s %v", sqlstate(e1), sqlstate(e2), e3 != nil)
	must(c.QueryRow(ctx, "SELECT count(*) FROM drivers_pgx WHERE id >= 1000").Scan(&n))
	add("after it %d", n)

	tx, err := c.Begin(ctx)
	must(err)
	_, err = tx.Exec(ctx, "INSERT INTO drivers_pgx (id, v) VALUES (2000, 'tx')")
	must(err)
	savepoint, err := tx.Begin(ctx)
	must(err)
	_, err = savepoint.Exec(ctx, "INSERT INTO drivers_pgx (id, v) VALUES (2001, 'savepoint')")
	must(err)
	must(savepoint.Rollback(ctx))
	_, err = tx.Exec(ctx, "INSERT INTO drivers_pgx (id, v) VALUES (2002, 'after')")
	must(err)
	must(tx.Commit(ctx))
	must(c.QueryRow(ctx, "SELECT string_agg(v, ',' ORDER BY id) FROM drivers_pgx WHERE id >= 2000").Scan(&s))
	add("tx %s", s)

	rows := [][]interface{}{}
	for i := 3000; i < 3100; i++ {
		rows = append(rows, []interface{}{i, fmt.Sprint("c", i)})
	}
	copied, err := c.CopyFrom(ctx, pgx.Identifier{"drivers_pgx"}, []string{"id", "v"}, pgx.CopyFromRows(rows))
	must(err)
	add("copied %d", copied)

	_, err = c.Prepare(ctx, "by_id", "SELECT v, b, j, a FROM drivers_pgx WHERE id = $1")
	must(err)
	var b []byte
	var j map[string]interface{}
	var a []int32
	must(c.QueryRow(ctx, "by_id", 7).Scan(&s, &b, &j, &a))
	add("%s %v %v %v", s, b, j["k"], a)

	_, err = c.Exec(ctx, "SELECT 1/0")
	add("division %s", sqlstate(err))
	err = c.QueryRow(ctx, "SELECT v FROM drivers_pgx WHERE id = $1", -1).Scan(&s)
	add("no rows %v", errors.Is(err, pgx.ErrNoRows))
	must(c.QueryRow(ctx, "SELECT count(*) FROM drivers_pgx").Scan(&n))
	add("count %d", n)

	_, err = c.Exec(ctx, "ALTER TABLE drivers_pgx ADD COLUMN extra int DEFAULT 5")
	must(err)
	var extra int
	must(c.QueryRow(ctx, "SELECT extra FROM drivers_pgx WHERE id = $1", 3).Scan(&extra))
	add("extra %d", extra)

	for i := 0; i < 3; i++ { // repeated reads of a table nobody writes: cache hits through pgroute
		var id int
		var price float64
		must(c.QueryRow(ctx, "SELECT id, name, price FROM products WHERE id = $1", 2).Scan(&id, &s, &price))
		add("%d %s %.2f", id, s, price)
	}
	must(c.Close(ctx))

	config, err := pgx.ParseConfig(url)
	must(err)
	config.PreferSimpleProtocol = true // parameters inlined by pgx, one Query per statement
	simple, err := pgx.ConnectConfig(ctx, config)
	must(err)
	must(simple.QueryRow(ctx, "SELECT $1::text || '!'", "it's").Scan(&s))
	add("simple %s", s)
	_, err = simple.Exec(ctx, "SET application_name = 'pgx-simple'")
	must(err)
	must(simple.QueryRow(ctx, "SELECT current_setting('application_name')").Scan(&s))
	add("%s", s)
	must(simple.Close(ctx))

	pool, err := pgxpool.Connect(ctx, url+"&pool_max_conns=5")
	must(err)
	var group sync.WaitGroup
	var lock sync.Mutex
	products := []int{}
	for i := 0; i < 40; i++ {
		group.Add(1)
		go func(i int) {
			defer group.Done()
			var v int
			must(pool.QueryRow(ctx, "SELECT $1::int * 3", i).Scan(&v))
			lock.Lock()
			products = append(products, v)
			lock.Unlock()
		}(i)
	}
	group.Wait()
	sort.Ints(products)
	sum := 0
	for _, v := range products {
		sum += v
	}
	add("pool %d %d", len(products), sum)
	pool.Close()
	fmt.Println(strings.Join(out, " | "))
}
