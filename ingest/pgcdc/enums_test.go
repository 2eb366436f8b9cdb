package pgcdc

import (
	"strings"
	"testing"

	"github.com/omendb/omendb/catalog"
	"github.com/omendb/omendb/types"
)

func idGen() func() uint32 {
	n := uint32(1000)
	return func() uint32 { n++; return n }
}

func labelsOf(e *catalog.EnumType) string {
	var b []string
	for _, l := range e.Labels {
		b = append(b, l.Label)
	}
	return strings.Join(b, ",")
}

// checkOrdered fails unless e's representations ascend in label order.
func checkOrdered(t *testing.T, e *catalog.EnumType) {
	t.Helper()
	for i := 1; i < len(e.Labels); i++ {
		if e.Labels[i-1].Rep >= e.Labels[i].Rep {
			t.Fatalf("representations out of order at %d: %+v", i, e.Labels)
		}
	}
}

// TestSyncMirror: the mirror follows added labels (anywhere, several
// adjacent), renames (by the source's label OID) and sort orders; labels
// keep their IDs and representations; an unchanged source changes nothing.
func TestSyncMirror(t *testing.T) {
	gen := idGen()
	src := &srcEnum{oid: 50, schema: "public", name: "mood", labels: []srcLabel{
		{oid: 1, label: "sad", sort: 1}, {oid: 2, label: "ok", sort: 2}, {oid: 3, label: "happy", sort: 3}}}
	m, se := newMirror(src, "s", gen)
	checkOrdered(t, m)
	if labelsOf(m) != "sad,ok,happy" || m.ReadOnly == "" || len(se.Labels) != 3 {
		t.Fatalf("mirror %+v %+v", m, se)
	}
	if n, _, err := syncMirror(m, se, src, gen); n != nil || err != nil {
		t.Fatalf("unchanged source: %v %v", n, err)
	}
	// Two labels before "ok", one at the end; "happy" renamed.
	src2 := &srcEnum{oid: 50, schema: "public", name: "mood", labels: []srcLabel{
		{oid: 1, label: "sad", sort: 1}, {oid: 7, label: "blue", sort: 1.25}, {oid: 8, label: "meh", sort: 1.5},
		{oid: 2, label: "ok", sort: 2}, {oid: 3, label: "joyful", sort: 3}, {oid: 9, label: "wild", sort: 4}}}
	n, ids, err := syncMirror(m, se, src2, gen)
	if err != nil || n == nil {
		t.Fatalf("sync: %v %v", n, err)
	}
	checkOrdered(t, n)
	if labelsOf(n) != "sad,blue,meh,ok,joyful,wild" {
		t.Fatalf("labels %s", labelsOf(n))
	}
	for i, l := range m.Labels {
		var got catalog.EnumLabel
		for _, x := range n.Labels {
			if x.ID == l.ID {
				got = x
			}
		}
		if got.Rep != l.Rep {
			t.Fatalf("label %d lost its representation: %+v → %+v", i, l, got)
		}
	}
	if n.Labels[2].Sort != 1.5 || len(ids) != 6 || ids[3] != m.Labels[2].ID {
		t.Fatalf("sort orders or label map: %+v %v", n.Labels, ids)
	}
	se.Labels = ids
	// A source that lost a label cannot be followed.
	if _, _, err := syncMirror(n, se, src, gen); err == nil {
		t.Fatal("a label gone from the source must be an error")
	}
}

// TestMapTypeVersions: arrays of native types keep their array types only
// under typeMapArrays, inet and cidr only under typeMapNet; sources created
// before stay on text, so their tables' columns still match what the stream
// says.
func TestMapTypeVersions(t *testing.T) {
	cases := []struct {
		oid              types.OID
		old, arrays, net types.OID
	}{
		{types.OIDInt4Array, types.OIDText, types.OIDInt4Array, types.OIDInt4Array},
		{types.OIDTextArray, types.OIDText, types.OIDTextArray, types.OIDTextArray},
		{types.OIDTimestampTZArray, types.OIDText, types.OIDTimestampTZArray, types.OIDTimestampTZArray},
		{types.OIDNameArray, types.OIDText, types.OIDText, types.OIDText}, // name[]: elements stored as text
		{types.OIDInt2Vector, types.OIDText, types.OIDText, types.OIDText},
		{types.OIDInt8, types.OIDInt8, types.OIDInt8, types.OIDInt8},
		{types.OIDInet, types.OIDText, types.OIDText, types.OIDInet},
		{types.OIDCIDR, types.OIDText, types.OIDText, types.OIDCIDR},
		{types.OIDInetArray, types.OIDText, types.OIDText, types.OIDInetArray},
		{types.OIDCIDRArray, types.OIDText, types.OIDText, types.OIDCIDRArray},
		{829, types.OIDText, types.OIDText, types.OIDText}, // macaddr
	}
	for _, c := range cases {
		for _, m := range []struct {
			version int
			want    types.OID
		}{{typeMapText, c.old}, {typeMapArrays, c.arrays}, {typeMapNet, c.net}} {
			if got, _ := mapType(uint32(c.oid), -1, m.version); got.OID != m.want {
				t.Errorf("type %d, map %d: %d, want %d", c.oid, m.version, got.OID, m.want)
			}
		}
	}
}
