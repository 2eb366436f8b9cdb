package types

import (
	"bytes"
	"testing"

	"github.com/omendb/omendb/pgerr"
)

func TestInetText(t *testing.T) {
	cases := []struct {
		typ      Type
		in, want string
	}{
		{Inet, "192.168.1.5", "192.168.1.5"},
		{Inet, "192.168.1.5/24", "192.168.1.5/24"},
		{Inet, "10.1.2.3/32", "10.1.2.3"},
		{Inet, "0.0.0.0/0", "0.0.0.0/0"},
		{Inet, "10/8", "10.0.0.0/8"},
		{Inet, "::1", "::1"},
		{Inet, "::/0", "::/0"},
		{Inet, "::ffff:1.2.3.4", "::ffff:1.2.3.4"},
		{Inet, "::1.2.3.4", "::1.2.3.4"},
		{Inet, "2001:DB8:0:0:1:0:0:1/64", "2001:db8::1:0:0:1/64"},
		{Inet, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
		{Inet, "1:0:0:0:0:0:0:0", "1::"},
		{CIDR, "10.1", "10.1.0.0/16"},
		{CIDR, "10", "10.0.0.0/8"},
		{CIDR, "192.168.1", "192.168.1.0/24"},
		{CIDR, "128", "128.0.0.0/16"},
		{CIDR, "10.1.2.3/32", "10.1.2.3/32"},
		{CIDR, "0.0.0.0/0", "0.0.0.0/0"},
		{CIDR, "::/0", "::/0"},
		{CIDR, "2001:db8::/32", "2001:db8::/32"},
		{CIDR, "::1", "::1/128"},
	}
	for _, c := range cases {
		v, err := ParseText(c.typ, c.in, nil)
		if err != nil {
			t.Errorf("%s %q: %v", TypeName(c.typ), c.in, err)
			continue
		}
		if got := TextString(v, c.typ, nil); got != c.want {
			t.Errorf("%s %q: got %q, want %q", TypeName(c.typ), c.in, got, c.want)
		}
	}
	bad := []struct {
		typ Type
		in  string
	}{
		{Inet, ""}, {Inet, "1.2.3"}, {Inet, "1.2.3.4/33"}, {Inet, "256.1.1.1"}, {Inet, " 1.2.3.4"},
		{Inet, "1.2.3.4 "}, {Inet, "::1/129"}, {Inet, ":::"}, {Inet, "1::2::3"}, {Inet, "10/16"},
		{CIDR, "10.1.2.3/8"}, {CIDR, "::1/64"}, {Inet, "1.2.3.4\x00"}, {Inet, "12345::"},
	}
	for _, c := range bad {
		if _, err := ParseText(c.typ, c.in, nil); pgerr.Code(err) != pgerr.InvalidTextRepresentation {
			t.Errorf("%s %q: err %v, want 22P02", TypeName(c.typ), c.in, err)
		}
	}
}

// TestInetBinary checks inet_send's bytes and that recv inverts send.
func TestInetBinary(t *testing.T) {
	cases := []struct {
		typ  Type
		in   string
		want []byte
	}{
		{Inet, "192.168.1.5/24", []byte{2, 24, 0, 4, 192, 168, 1, 5}},
		{CIDR, "10.0.0.0/8", []byte{2, 8, 1, 4, 10, 0, 0, 0}},
		{Inet, "::1", append([]byte{3, 128, 0, 16}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1)},
	}
	for _, c := range cases {
		v, err := ParseText(c.typ, c.in, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, err := AppendBinary(nil, v, c.typ)
		if err != nil || !bytes.Equal(b, c.want) {
			t.Errorf("%q: send %v %v, want %v", c.in, b, err, c.want)
		}
		back, err := ParseBinary(c.typ, b)
		if err != nil || back.S != v.S {
			t.Errorf("%q: recv %v %v", c.in, back, err)
		}
	}
	for _, b := range [][]byte{
		{}, {4, 8, 0, 4, 1, 2, 3, 4}, {2, 33, 0, 4, 1, 2, 3, 4}, {2, 8, 0, 16, 1, 2, 3, 4}, {2, 8, 0, 4, 1, 2, 3},
	} {
		if _, err := ParseBinary(Inet, b); pgerr.Code(err) != pgerr.InvalidBinaryRepresentation {
			t.Errorf("recv %v: %v, want 22P03", b, err)
		}
	}
	if _, err := ParseBinary(CIDR, []byte{2, 8, 1, 4, 10, 1, 0, 0}); pgerr.Code(err) != pgerr.InvalidBinaryRepresentation {
		t.Errorf("cidr with host bits: %v", err)
	}
}

// TestInetOrder checks that Compare (bytewise on S) is network_cmp.
func TestInetOrder(t *testing.T) {
	sorted := []string{"0.0.0.0/0", "10.0.0.0/8", "10.0.0.5/8", "10.1.0.0/16", "10.1.2.3", "11.0.0.0/8", "255.255.255.255", "::/0", "::1", "::ffff:1.2.3.4", "2001:db8::/32", "2001:db8::1"}
	for i := range sorted {
		for j := range sorted {
			a, _ := ParseText(Inet, sorted[i], nil)
			b, _ := ParseText(Inet, sorted[j], nil)
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := Compare(a, b); got != want {
				t.Errorf("Compare(%s, %s) = %d, want %d", sorted[i], sorted[j], got, want)
			}
		}
	}
}

func TestInetRow(t *testing.T) {
	var row []Value
	for _, s := range []string{"1.2.3.4/24", "::ffff:1.2.3.4/100"} {
		v, _ := ParseText(Inet, s, nil)
		row = append(row, v)
	}
	enc := EncodeRow(nil, row)
	got, err := DecodeRow(enc, nil)
	if err != nil || len(got) != 2 || got[0] != row[0] || got[1] != row[1] {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if err := CheckRow(enc); err != nil {
		t.Fatal(err)
	}
	enc[3+1] ^= 0xff // the network no longer matches the address
	if _, err := DecodeRow(enc, nil); err == nil {
		t.Fatal("corrupt inet accepted")
	}
}
