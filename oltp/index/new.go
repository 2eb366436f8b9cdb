package index

import "fmt"

// Loader is implemented by indexes that can bulk-load entries (both Learned
// and BTree): the row store uses it to rebuild an index from a checkpoint.
// Given strictly ascending keys and an empty index, Load is much faster than
// repeated Puts; otherwise it behaves like them. Writer only.
type Loader interface {
	Load(keys [][]byte, handles []uint64)
}

var (
	_ Loader = (*Learned)(nil)
	_ Loader = (*BTree)(nil)
)

// Kinds lists the index kinds New accepts, default first.
var Kinds = []string{"learned", "btree"}

// New returns an empty index of the given kind: "learned" (the default, also
// for "") or "btree". The SQL layer calls it for CREATE INDEX … USING kind
// and for the server's default-index flag.
func New(kind string) (Index, error) {
	switch kind {
	case "", "learned":
		return NewLearned(), nil
	case "btree":
		return NewBTree(), nil
	}
	return nil, fmt.Errorf("index: unknown index kind %q (want one of %v)", kind, Kinds)
}

// NewWithKeySource is New for an index whose keys can be read back from its
// handles (the row store's primary keys: a handle leads to the row version
// chain, which keeps the encoded key). The learned index then runs in
// key-source mode (LearnedOptions.KeySource: no keys stored, ~8 bytes per
// key); a B-tree ignores ks.
func NewWithKeySource(kind string, ks KeySource) (Index, error) {
	switch kind {
	case "", "learned":
		return NewLearnedOptions(LearnedOptions{KeySource: ks}), nil
	}
	return New(kind)
}
