package sql

import (
	"context"
	"math"
	"time"

	"github.com/omendb/omendb/types"
)

// sleep answers pg_sleep(seconds), pg_sleep_for(interval) and
// pg_sleep_until(timestamptz) (plan's sleepArg): the statement waits on its
// own context, so a CancelRequest or statement_timeout ends it with 57014
// as in PostgreSQL. A NULL argument returns NULL at once (the functions
// are strict); pg_sleep_for adds its interval to the clock in the session's
// time zone (a month or a day is calendar time, as PostgreSQL's
// clock_timestamp() + interval).
func (s *Session) sleep(ctx context.Context, name string, arg types.Value) (types.Value, error) {
	void := types.NewText("")
	if arg.IsNull() {
		return types.Null, nil
	}
	now := time.Now()
	var d time.Duration
	switch name {
	case "pg_sleep":
		secs := arg.Float()
		switch {
		case math.IsNaN(secs) || secs <= 0:
			return void, nil
		case secs >= math.MaxInt64/float64(time.Second):
			d = math.MaxInt64
		default:
			d = time.Duration(secs * float64(time.Second))
		}
	case "pg_sleep_for":
		wake := now.In(s.loc).AddDate(0, int(arg.Months()), int(arg.Days())).Add(time.Duration(arg.I) * time.Microsecond)
		d = wake.Sub(now)
	case "pg_sleep_until":
		d = time.UnixMicro(arg.I).Sub(now)
	}
	if d <= 0 {
		return void, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return void, nil
	case <-ctx.Done():
		return types.Null, ctx.Err()
	}
}
