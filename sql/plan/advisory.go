package plan

import (
	"github.com/omendb/omendb/pgerr"
	"github.com/omendb/omendb/types"
)

// advisoryFuncs are PostgreSQL's advisory lock functions and their result
// types. The session answers them (SessionFunc; oltp/advisory.go holds the
// locks). Each takes one bigint key or two integer keys, except
// pg_advisory_unlock_all, which takes none.
var advisoryFuncs = map[string]types.Type{
	"pg_advisory_lock":                 types.Type{OID: types.OIDVoid, Mod: -1},
	"pg_advisory_lock_shared":          types.Type{OID: types.OIDVoid, Mod: -1},
	"pg_advisory_xact_lock":            types.Type{OID: types.OIDVoid, Mod: -1},
	"pg_advisory_xact_lock_shared":     types.Type{OID: types.OIDVoid, Mod: -1},
	"pg_try_advisory_lock":             types.Bool,
	"pg_try_advisory_lock_shared":      types.Bool,
	"pg_try_advisory_xact_lock":        types.Bool,
	"pg_try_advisory_xact_lock_shared": types.Bool,
	"pg_advisory_unlock":               types.Bool,
	"pg_advisory_unlock_shared":        types.Bool,
	"pg_advisory_unlock_all":           types.Type{OID: types.OIDVoid, Mod: -1},
}

// bindAdvisory binds an advisory lock function call: its keys coerced to
// bigint (one) or integer (two), as PostgreSQL's overloads take them; and
// pg_cancel_backend / pg_terminate_backend, which take an integer pid; and
// the pg_sleep functions (sleepArg).
func (b *Binder) bindAdvisory(name string, t types.Type, args []Expr) (Expr, error) {
	want := []types.Type{types.Int8}
	switch {
	case name == "pg_cancel_backend" || name == "pg_terminate_backend":
		want = []types.Type{types.Int4}
		if name == "pg_terminate_backend" && len(args) == 2 {
			want = append(want, types.Int8) // timeout (ms): the end is not waited for
		}
	case name == "pg_advisory_unlock_all":
		want = nil
	case sleepArg[name].OID != 0:
		want = []types.Type{sleepArg[name]}
	case len(args) == 2:
		want = []types.Type{types.Int4, types.Int4}
	}
	if len(args) != len(want) {
		names := make([]string, len(args))
		for i, a := range args {
			names[i] = types.TypeName(a.Type())
		}
		return nil, pgerr.New(pgerr.UndefinedFunction, "function %s(%s) does not exist", name, joinComma(names)).
			WithHint("No function matches the given name and argument types. You might need to add explicit type casts.")
	}
	for i := range args {
		var err error
		if args[i], err = b.coerce(args[i], want[i], false); err != nil {
			return nil, err
		}
	}
	return &SessionFunc{Name: name, Args: args, T: t}, nil
}

func init() {
	// Answered by the session too (sql/activity.go); they take a pid.
	advisoryFuncs["pg_cancel_backend"] = types.Bool
	advisoryFuncs["pg_terminate_backend"] = types.Bool
	// pg_notify(channel, payload) (sql/notify.go).
	sessionFuncs["pg_notify"] = types.Type{OID: types.OIDVoid, Mod: -1}
	// Transaction ids, snapshots and pg_stat_reset (sql/stats.go).
	for _, f := range []string{"txid_current", "txid_current_if_assigned"} {
		sessionFuncs[f] = types.Int8
	}
	for _, f := range []string{"pg_current_xact_id", "pg_current_xact_id_if_assigned"} {
		sessionFuncs[f] = types.Xid8
	}
	for _, f := range []string{"txid_current_snapshot", "pg_current_snapshot"} {
		sessionFuncs[f] = types.Text // not supported (0A000)
	}
	sessionFuncs["pg_stat_reset"] = types.Type{OID: types.OIDVoid, Mod: -1}
	// pg_sleep and friends wait on the statement's context (sql/sleep.go).
	for f := range sleepArg {
		advisoryFuncs[f] = types.Type{OID: types.OIDVoid, Mod: -1}
	}
}

// sleepArg is the argument type of each of PostgreSQL's sleep functions:
// seconds, an interval, or the time to wake.
var sleepArg = map[string]types.Type{
	"pg_sleep":       types.Float8,
	"pg_sleep_for":   types.Interval,
	"pg_sleep_until": types.TimestampTZ,
}
