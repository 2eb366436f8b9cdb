package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/omendb/omendb/pgerr"
)

// Notices (NoticeResponse): the NOTICE and WARNING messages a statement
// raises — "table "t" does not exist, skipping", "there is no transaction
// in progress" — sent as PostgreSQL sends them, before the statement's
// CommandComplete or ErrorResponse. A session that raises them implements
// Noticer; it filters by client_min_messages itself.

// Noticer is implemented by sessions whose statements raise notices.
type Noticer interface {
	// TakeNotices returns and forgets the notices raised since the last
	// call. The connection's goroutine only.
	TakeNotices() []*pgerr.Error
}

// sendNotices puts the session's pending notices into the write buffer.
func (c *conn) sendNotices() {
	if c.noticer == nil {
		return
	}
	for _, n := range c.noticer.TakeNotices() {
		c.w.send(&pgproto3.NoticeResponse{
			Severity:            n.Severity,
			SeverityUnlocalized: n.Severity,
			Code:                n.Code,
			Message:             n.Message,
			Detail:              n.Detail,
			Hint:                n.Hint,
		})
	}
}
