// COMPAT V1 with pgx (Go, v4): CLIENTS connections run the same 20 statements ROUNDS times at once. pgx's statement
// cache prepares each under a name of its own making (lrupsc_<connection>_<n>), counted per process, so two
// processes of this program give the same names to other statements; odd clients run them in the other order.
// Prints "ok <right answers> errors [<SQLSTATEs>]". Usage: names-pgx PORT CLIENTS ROUNDS
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgconn"
	"github.com/jackc/pgx/v4"
)

func main() {
	port, clients, rounds := os.Args[1], atoi(os.Args[2]), atoi(os.Args[3])
	ctx := context.Background()
	var mu sync.Mutex
	good := 0
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for n := 0; n < clients; n++ {
		wg.Add(1)
		go func(n int) {
			defer wg.Done()
			conn, err := pgx.Connect(ctx, "postgres://app:app@127.0.0.1:"+port+"/app?sslmode=disable")
			if err != nil {
				mu.Lock()
				seen["connect: "+err.Error()] = true
				mu.Unlock()
				return
			}
			defer conn.Close(ctx)
			for r := 0; r < rounds; r++ {
				for i := 0; i < 20; i++ {
					k := i
					if n%2 == 1 {
						k = 19 - i
					}
					var v int32
					err := conn.QueryRow(ctx, fmt.Sprintf("SELECT $1::int + %d AS v", k), n*1000+r).Scan(&v)
					mu.Lock()
					if err != nil {
						var pgErr *pgconn.PgError
						if errors.As(err, &pgErr) {
							seen[pgErr.Code] = true
						} else {
							seen[err.Error()] = true
						}
					} else if int(v) == n*1000+r+k {
						good++
					}
					mu.Unlock()
				}
			}
		}(n)
	}
	wg.Wait()
	errs := make([]string, 0, len(seen))
	for each := range seen {
		errs = append(errs, "'"+each+"'")
	}
	sort.Strings(errs)
	fmt.Printf("ok %d errors [%s]\n", good, strings.Join(errs, ", "))
}

func atoi(text string) int {
	value, err := strconv.Atoi(text)
	if err != nil {
		fmt.Println("not a number:", text)
		os.Exit(2)
	}
	return value
}
