package e2e

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/omendb/omendb/internal/testserver"
)

// TestEarlyLockReleaseStatementSeesWholePredecessor: writers update two rows
// in one transaction (x then y) and release their row locks before their
// commit is durable; a reader that takes x's lock reads the newest x, and
// its next statement must then see the same transaction's y too — never a
// state in which only part of its predecessor is visible — and no update is
// lost along the chain.
func TestEarlyLockReleaseStatementSeesWholePredecessor(t *testing.T) {
	// Durable: the window between a lock's release and its holder's
	// durability is an fsync wide.
	srv := testserver.Start(t, testserver.Durable())
	url := testserver.ConnString(srv)
	ctx := context.Background()
	setup := connect(t, url)
	exec1(t, setup, `CREATE TABLE pair_x (id int PRIMARY KEY, x int NOT NULL)`)
	exec1(t, setup, `CREATE TABLE pair_y (id int PRIMARY KEY, y int NOT NULL)`)
	exec1(t, setup, `INSERT INTO pair_x VALUES (1, 0)`)
	exec1(t, setup, `INSERT INTO pair_y VALUES (1, 0)`)
	const writers, readers, each = 4, 2, 40
	var wg sync.WaitGroup
	errs := make(chan error, (writers+readers)*each)
	for i := 0; i < writers; i++ {
		c := connect(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				errs <- pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
					if _, err := tx.Exec(ctx, `UPDATE pair_x SET x = x + 1 WHERE id = 1`); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `UPDATE pair_y SET y = y + 1 WHERE id = 1`)
					return err
				})
			}
		}()
	}
	var mu sync.Mutex
	var mismatches []string
	for i := 0; i < readers; i++ {
		c := connect(t, url)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < each; j++ {
				var x, y int
				errs <- pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
					if err := tx.QueryRow(ctx, `UPDATE pair_x SET x = x WHERE id = 1 RETURNING x`).Scan(&x); err != nil {
						return err
					}
					return tx.QueryRow(ctx, `SELECT y FROM pair_y WHERE id = 1`).Scan(&y)
				})
				if x != y {
					mu.Lock()
					mismatches = append(mismatches, fmt.Sprintf("x=%d y=%d", x, y))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("transaction failed: %v", err)
		}
	}
	if len(mismatches) > 0 {
		t.Errorf("%d reads saw part of a transaction (locked x, then y from an older state), e.g. %s", len(mismatches), mismatches[0])
	}
	var x, y int
	if err := setup.QueryRow(ctx, `SELECT (SELECT x FROM pair_x WHERE id = 1), (SELECT y FROM pair_y WHERE id = 1)`).Scan(&x, &y); err != nil {
		t.Fatal(err)
	}
	if x != writers*each || y != writers*each {
		t.Fatalf("x=%d y=%d, want %d each (lost update)", x, y, writers*each)
	}
}
