package vexec

import (
	"context"
	"sync"

	"github.com/omendb/omendb/log"
	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/sql/exec"
	"github.com/omendb/omendb/sql/plan"
)

// sql.ColumnRunner is one process-wide hook, but a process (a test binary)
// may run several servers. Runners register with their server's row store;
// Dispatch picks the runner whose row store's catalog is the statement's.
// When that is ambiguous the statement runs on the row path (ok=false),
// which is always correct.
var registry struct {
	sync.Mutex
	runners map[*Runner]*oltp.Store
}

// Register makes r serve statements of the server whose row store is st.
func Register(st *oltp.Store, r *Runner) {
	registry.Lock()
	defer registry.Unlock()
	if registry.runners == nil {
		registry.runners = map[*Runner]*oltp.Store{}
	}
	registry.runners[r] = st
}

// Unregister removes r.
func Unregister(r *Runner) {
	registry.Lock()
	defer registry.Unlock()
	delete(registry.runners, r)
}

// Dispatch has sql.ColumnRunner's signature.
func Dispatch(ctx context.Context, root plan.Node, snap log.Offset, c *exec.Ctx) (exec.Iter, bool, error) {
	registry.Lock()
	var pick *Runner
	switch len(registry.runners) {
	case 0:
	case 1:
		for r := range registry.runners {
			pick = r
		}
	default:
		if c.Env != nil {
			cat := c.Env.Catalog()
			for r, st := range registry.runners {
				if st.Catalog() == cat {
					pick = r
				}
			}
		}
	}
	registry.Unlock()
	if pick == nil {
		return nil, false, nil
	}
	return pick.Run(ctx, root, snap, c)
}
