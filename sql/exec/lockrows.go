package exec

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/sql/plan"
	"github.com/omendb/omendb/types"
)

// lockRowsIter is SELECT … FOR UPDATE (plan.LockRows): each row that
// leaves its input has its locked tables' rows locked; a row changed since
// the snapshot is re-checked in its newest version.
type lockRowsIter struct {
	c      *Ctx
	n      *plan.LockRows
	in     Iter
	locker RowLocker
	wait   LockWait
}

func openLockRows(c *Ctx, n *plan.LockRows) (Iter, error) {
	l, ok := c.Reader.(RowLocker)
	if !ok {
		return nil, pgerr.NotSupported("SELECT … FOR UPDATE is not available here")
	}
	in, err := Open(c, n.Input)
	if err != nil {
		return nil, err
	}
	wait := LockBlock
	switch n.Wait {
	case plan.WaitError:
		wait = LockNoWait
	case plan.WaitSkip:
		wait = LockSkip
	}
	return &lockRowsIter{c: c, n: n, in: in, locker: l, wait: wait}, nil
}

func (l *lockRowsIter) Next() ([]types.Value, error) {
next:
	for {
		row, err := l.in.Next()
		if row == nil || err != nil {
			return nil, err
		}
		base := row[l.n.Base:]
		changed := false
		for _, tg := range l.n.Targets {
			k := base[tg.KeyCol]
			if k.IsNull() {
				return nil, pgerr.NotSupported("FOR UPDATE cannot be applied to the nullable side of an outer join")
			}
			cur, ok, ch, skipped, err := l.locker.LockRowWait(l.c.Context, tg.Table, []byte(k.S), l.wait, tg.Shared)
			if err != nil {
				return nil, err
			}
			if skipped || ch && !ok {
				continue next // locked by another (SKIP LOCKED), or deleted meanwhile
			}
			if ch {
				if !changed {
					row = append([]types.Value(nil), row...)
					base = row[l.n.Base:]
					changed = true
				}
				for i := range len(tg.Table.Columns) {
					base[tg.Off+i] = types.Null
					if i < len(cur) {
						base[tg.Off+i] = cur[i]
					}
				}
			}
		}
		if !changed {
			return row, nil
		}
		// READ COMMITTED: the newest version must still pass the WHERE,
		// and the select list is computed from it.
		if l.n.Where != nil {
			v, err := Eval(l.c, l.n.Where, base)
			if err != nil {
				return nil, err
			}
			if !isTrue(v) {
				continue
			}
		}
		for i, e := range l.n.Exprs {
			if row[i], err = Eval(l.c, e, base); err != nil {
				return nil, err
			}
		}
		return row, nil
	}
}

func (l *lockRowsIter) Close() { l.in.Close() }
