package sql

import (
	"context"
	"strings"

	"github.com/omendb/omendb/oltp"
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// advisory answers PostgreSQL's advisory lock functions (plan's
// advisoryFuncs) with the engine's lock table (oltp/advisory.go): the
// session's advisory owner holds them, session-level ones until unlocked
// or the session ends, _xact_ ones until its transaction ends (endTxn).
// pg_advisory_lock waits as row locks do: cancellable, bounded by
// lock_timeout, failing with 40P01 when it would close a cycle of
// advisory waits.
func (s *Session) advisory(ctx context.Context, name string, args []types.Value) (types.Value, error) {
	void := types.NewText("")
	if name == "pg_advisory_unlock_all" {
		s.eng.Locks.UnlockAllAdvisory(&s.advLocks)
		return void, nil
	}
	var key oltp.AdvisoryKey
	for _, a := range args {
		if a.IsNull() {
			return types.Null, nil // strict, as PostgreSQL's functions are
		}
	}
	switch len(args) {
	case 1:
		key.Lo = args[0].I
	case 2:
		key = oltp.AdvisoryKey{Hi: args[0].I, Lo: args[1].I, Two: true}
	default:
		return types.Null, pgerr.New(pgerr.UndefinedFunction, "function %s does not exist", name)
	}
	shared := strings.HasSuffix(name, "_shared")
	if strings.HasPrefix(name, "pg_advisory_unlock") {
		return types.NewBool(s.eng.Locks.UnlockAdvisory(&s.advLocks, key, shared)), nil
	}
	try := strings.HasPrefix(name, "pg_try_")
	xact := strings.Contains(name, "_xact_")
	timeout, _ := parseDurationSetting(s.settings["lock_timeout"])
	if !s.advUsed {
		s.advUsed = true
		if s.txn != nil {
			s.eng.Locks.Link(&s.txn.locks, &s.advLocks)
		}
	}
	ok, err := s.eng.Locks.LockAdvisory(ctx, &s.advLocks, key, shared, xact, try, timeout)
	if err != nil {
		return types.Null, err
	}
	if try {
		return types.NewBool(ok), nil
	}
	return void, nil
}
