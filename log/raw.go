package log

import (
	"context"
	"time"
)

// ReadRaw returns the message stored at stream sequence seq, as published,
// and the time JetStream stored it; data is nil when there is no such
// message. For backup tools, which copy messages byte for byte (chunks of
// abandoned groups included) so that a restored stream has the same offsets.
func (j *JetStream) ReadRaw(ctx context.Context, seq uint64) ([]byte, time.Time, error) {
	m, err := j.getMsg(ctx, seq)
	if err != nil || m == nil {
		return nil, time.Time{}, err
	}
	return m.Data, m.Time, nil
}
