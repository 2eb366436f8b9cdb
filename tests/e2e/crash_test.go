// Package e2e holds end-to-end tests that run the real omendb binary and
// real clients against it.
package e2e

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/omendb/omendb/internal/testproc"
)

// The real-binary helpers live in internal/testproc.
type proc = testproc.Proc

func omendbBinary(t *testing.T) string { return testproc.Binary(t) }

func freePort(t *testing.T) int { return testproc.FreePort(t) }

func startServe(t *testing.T, data string, extra ...string) *proc {
	return testproc.Start(t, data, nil, extra...)
}

// TestCrashRecovery runs concurrent multi-row transactions against a real
// omendb process with durable commits, SIGKILLs it at random moments,
// restarts it, and checks that every acknowledged transaction is fully
// present and that no transaction is partially present.
func TestCrashRecovery(t *testing.T) {
	const (
		rounds    = 6
		writers   = 8
		rowsPerTx = 5
	)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewSource(seed))
	data := t.TempDir()
	ctx := context.Background()

	p := startServe(t, data)
	{
		c, err := pgx.Connect(ctx, p.URL())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `CREATE TABLE tx_rows (txn bigint, part int, payload text, PRIMARY KEY (txn, part))`); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, `CREATE TABLE big (id int PRIMARY KEY, txn bigint, pad text)`); err != nil {
			t.Fatal(err)
		}
		c.Close(ctx)
	}
	var nextTxn atomic.Int64
	acked := map[int64]bool{} // transactions whose COMMIT returned OK
	var ackedMu sync.Mutex
	bigAcked := map[int64]int{} // big transaction id → rows
	for round := 0; round < rounds; round++ {
		pool, err := pgxpool.New(ctx, p.URL())
		if err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					id := nextTxn.Add(1)
					err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
						for part := 0; part < rowsPerTx; part++ {
							if _, err := tx.Exec(ctx, `INSERT INTO tx_rows VALUES ($1, $2, $3)`, id, part, fmt.Sprintf("txn %d part %d", id, part)); err != nil {
								return err
							}
						}
						return nil
					})
					if err == nil {
						ackedMu.Lock()
						acked[id] = true
						ackedMu.Unlock()
					}
				}
			}()
		}
		// One large transaction per round, bigger than a log message (its
		// record is chunked). Even rounds kill at a random moment — often
		// while it is being written; odd rounds kill only after it was
		// acknowledged, so an acknowledged chunked record must survive.
		bigDone := make(chan struct{})
		wg.Add(1)
		go func(round int) {
			defer wg.Done()
			defer close(bigDone)
			id := int64(1_000_000 + round)
			n := 40_000
			c, err := pool.Acquire(ctx)
			if err != nil {
				return
			}
			defer c.Release()
			_, err = c.Exec(ctx, `INSERT INTO big SELECT g + $1::int * 100000, $2::bigint, repeat('x', 200) FROM generate_series(1, $3::int) g`, round, id, n)
			if err == nil {
				ackedMu.Lock()
				bigAcked[id] = n
				ackedMu.Unlock()
			}
		}(round)
		if round%2 == 1 {
			select {
			case <-bigDone:
			case <-time.After(60 * time.Second):
				t.Fatalf("round %d: the large transaction did not finish in 60s", round)
			}
		}
		time.Sleep(time.Duration(300+rng.Intn(1500)) * time.Millisecond)
		p.Kill()
		close(stop)
		wg.Wait()
		pool.Close()

		p = startServe(t, data)
		verify(t, ctx, p, acked, bigAcked, rowsPerTx)
	}
	if len(bigAcked) < rounds/2 {
		t.Fatalf("only %d large transactions acknowledged: the chunked path was not exercised", len(bigAcked))
	}
	if len(acked) < 50 {
		t.Fatalf("only %d transactions acknowledged over %d rounds: the workload did not run", len(acked), rounds)
	}
	t.Logf("%d acknowledged transactions, %d large ones, survived %d SIGKILLs", len(acked), len(bigAcked), rounds)
	p.Kill()
}

func verify(t *testing.T, ctx context.Context, p *proc, acked map[int64]bool, bigAcked map[int64]int, rowsPerTx int) {
	t.Helper()
	c, err := pgx.Connect(ctx, p.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	rows, err := c.Query(ctx, `SELECT txn, count(*) FROM tx_rows GROUP BY txn`)
	if err != nil {
		t.Fatal(err)
	}
	present := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		present[id] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id, n := range present {
		if n != int64(rowsPerTx) {
			t.Errorf("transaction %d is partially present: %d of %d rows", id, n, rowsPerTx)
		}
	}
	for id := range acked {
		if present[id] != int64(rowsPerTx) {
			t.Errorf("acknowledged transaction %d lost: %d rows present", id, present[id])
		}
	}
	brows, err := c.Query(ctx, `SELECT txn, count(*) FROM big GROUP BY txn`)
	if err != nil {
		t.Fatal(err)
	}
	bigPresent := map[int64]int64{}
	for brows.Next() {
		var id, n int64
		if err := brows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		bigPresent[id] = n
	}
	for id, n := range bigPresent {
		if n != 40_000 {
			t.Errorf("large transaction %d is partially present: %d rows", id, n)
		}
	}
	for id, n := range bigAcked {
		if bigPresent[id] != int64(n) {
			t.Errorf("acknowledged large transaction %d lost: %d rows present", id, bigPresent[id])
		}
	}
}
