package log

import (
	"encoding/json"
	"testing"
)

var ackBodies = []string{
	`{"stream":"OMENDB","seq":42}`,
	`{"stream":"OMENDB","seq":18446744073709551615}`,
	`{"stream":"OMENDB","seq":1,"duplicate":true}`,
	`{"stream":"OMENDB","domain":"x","seq":7}`,
	`{"error":{"code":400,"err_code":10071,"description":"wrong last sequence: 3"},"stream":"OMENDB","seq":0}`,
	`{"stream":"OMENDB","seq":-1}`,
	`{"stream":"OMENDB","seq":1e3}`,
	`{"stream":"OMENDB","seq":}`,
	`{"stream":"OMENDB"}`,
	`{"stream":"s\"seq\":9","seq":5}`,
	`{"seq":3,"seq":4}`,
	`{"stream":"OMENDB","seq":99999999999999999999}`,
	``,
	`not json`,
}

// The PubAck fast path reads exactly what encoding/json reads, or declines.
func TestAckSequenceAgreesWithJSON(t *testing.T) {
	for _, b := range ackBodies {
		checkAckSequence(t, []byte(b))
	}
	if seq, ok := ackSequence([]byte(`{"stream":"OMENDB","seq":42}`)); !ok || seq != 42 {
		t.Fatalf("plain ack: %d, %v; want 42, true", seq, ok)
	}
}

func checkAckSequence(t *testing.T, b []byte) {
	t.Helper()
	seq, ok := ackSequence(b)
	if !ok {
		return
	}
	var ack pubAck
	if err := json.Unmarshal(b, &ack); err != nil || ack.Error != nil || ack.Sequence != seq {
		t.Fatalf("%q: fast path read %d; encoding/json: %+v, %v", b, seq, ack, err)
	}
}

func FuzzAckSequence(f *testing.F) {
	for _, b := range ackBodies {
		f.Add([]byte(b))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkAckSequence(t, b) })
}
