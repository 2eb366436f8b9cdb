package dbgen

import (
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"
)

// poolSize is the size of dbgen's text pool (TEXT_POOL_SIZE): 300 MiB.
const poolSize = 300 * 1024 * 1024

var (
	poolOnce sync.Once
	poolPtr  atomic.Pointer[[]byte]
)

// textPool returns the shared, read-only text pool, building it on first use
// (callers arriving meanwhile wait). Every comment column is a substring of
// it: dbg_text draws an offset in [0, poolSize-max] and a length in
// [min, max] and copies that slice. The pool lives for the process.
func textPool() []byte {
	poolOnce.Do(func() {
		p := buildPool()
		poolPtr.Store(&p)
	})
	return *poolPtr.Load()
}

// poolIfReady returns the pool if it has been built, else nil, without
// waiting.
func poolIfReady() []byte {
	if p := poolPtr.Load(); p != nil {
		return *p
	}
	return nil
}

// StartTextPool starts building the 300 MiB text pool in the background, so
// that it overlaps other work; generation waits for it only when it first
// needs comment bytes.
func StartTextPool() { go textPool() }

// buildPool generates the pool exactly as dbgen's dbg_text does on its first
// call: sentences from the grammar on stream 5, each followed by one space,
// the last one cut off at poolSize.
func buildPool() []byte {
	buf := allocPool(poolSize + maxSentence)
	seed := seedInit[sText]
	pos := 0
	for pos < poolSize {
		n := sentence(&seed, buf[pos:pos+maxSentence])
		if pos+n+1 <= poolSize {
			buf[pos+n] = ' '
			pos += n + 1
		} else {
			pos = poolSize
		}
	}
	clear(buf[poolSize:])
	return buf[:poolSize:poolSize]
}

// maxSentence bounds one generated sentence (dbgen's MAX_SENT_LEN is 256;
// the extra 16 bytes let word copies store a whole 16-byte block).
const maxSentence = 256 + 16

// pick draws from d on seed s and returns the member text (pick_str).
func pick(s *int64, d *dist) string {
	*s = next(*s)
	j := 1 + int64(float64(*s)/dM*float64(d.max))
	return d.members[d.index(j)].text
}

// wordList is a text distribution prepared for the pool builder: each word
// padded into 16 bytes so that it is copied with two 8-byte stores.
type wordList struct {
	max    float64
	lookup []uint16
	words  [][2]uint64
	lens   []int
}

func newWordList(d *dist) *wordList {
	w := &wordList{max: float64(d.max), lookup: d.lookup}
	for _, m := range d.members {
		if len(m.text) > 16 {
			panic("dbgen: text word longer than 16 bytes: " + m.text)
		}
		var b [16]byte
		copy(b[:], m.text)
		w.words = append(w.words, [2]uint64{binary.LittleEndian.Uint64(b[:8]), binary.LittleEndian.Uint64(b[8:])})
		w.lens = append(w.lens, len(m.text))
	}
	return w
}

// put draws a word and stores it at dst[n:], returning the new length.
func (w *wordList) put(s *int64, dst []byte, n int) int {
	*s = next(*s)
	i := w.lookup[1+int64(float64(*s)/dM*w.max)]
	x := w.words[i]
	binary.LittleEndian.PutUint64(dst[n:], x[0])
	binary.LittleEndian.PutUint64(dst[n+8:], x[1])
	return n + w.lens[i]
}

// phraseForm is one parsed form of the grammar, np or vp distributions:
// per symbol the word list (nil for the sentence-level symbols) and the
// punctuation that follows it (0 for none).
type phraseForm struct {
	sym   []byte
	lists []*wordList
	punct []byte
}

type formList struct {
	max    float64
	lookup []uint16
	forms  []phraseForm
}

func (f *formList) draw(s *int64) *phraseForm {
	*s = next(*s)
	return &f.forms[f.lookup[1+int64(float64(*s)/dM*f.max)]]
}

func newFormList(d *dist, lists map[byte]*wordList) *formList {
	f := &formList{max: float64(d.max), lookup: d.lookup}
	for _, m := range d.members {
		var pf phraseForm
		for _, tok := range strings.Fields(m.text) {
			pf.sym = append(pf.sym, tok[0])
			pf.lists = append(pf.lists, lists[tok[0]])
			var p byte
			if len(tok) > 1 {
				p = tok[1]
			}
			pf.punct = append(pf.punct, p)
		}
		f.forms = append(f.forms, pf)
	}
	return f
}

var (
	wlNouns, wlVerbs, wlAdjectives, wlAdverbs, wlAux, wlArticles, wlPreps, wlTerms *wordList
	flGrammar, flNP, flVP                                                          *formList
)

func init() {
	wlNouns, wlVerbs, wlAdjectives = newWordList(dNouns), newWordList(dVerbs), newWordList(dAdjectives)
	wlAdverbs, wlAux, wlArticles = newWordList(dAdverbs), newWordList(dAuxiliaries), newWordList(dArticles)
	wlPreps, wlTerms = newWordList(dPrepositions), newWordList(dTerminators)
	flGrammar = newFormList(dGrammar, map[byte]*wordList{})
	flNP = newFormList(dNP, map[byte]*wordList{'A': wlArticles, 'J': wlAdjectives, 'D': wlAdverbs, 'N': wlNouns})
	flVP = newFormList(dVP, map[byte]*wordList{'D': wlAdverbs, 'V': wlVerbs, 'X': wlAux})
}

// sentence writes one sentence into dst and returns its length. It follows
// txt_sentence: a grammar form ("N V P T" …), then per symbol a noun phrase,
// verb phrase, prepositional phrase ("<prep> the <np>") or terminator; every
// phrase word is followed by a space, and the terminator replaces the space
// before it. dst must have maxSentence bytes of room.
func sentence(s *int64, dst []byte) int {
	form := flGrammar.draw(s)
	n := 0
	for _, sym := range form.sym {
		switch sym {
		case 'N':
			n = phrase(s, flNP, dst, n)
		case 'V':
			n = phrase(s, flVP, dst, n)
		case 'P':
			n = wlPreps.put(s, dst, n)
			n += copy(dst[n:], " the ")
			n = phrase(s, flNP, dst, n)
		case 'T':
			n = wlTerms.put(s, dst, n-1) // the terminator abuts the previous word
		}
	}
	return n
}

// phrase is txt_np / txt_vp: a form such as "J, J N", each symbol a word
// from its list, a punctuation character kept (noun phrases only; no verb
// form in dists.dss has one), each word followed by a space.
func phrase(s *int64, fl *formList, dst []byte, n int) int {
	f := fl.draw(s)
	for i, w := range f.lists {
		n = w.put(s, dst, n)
		if p := f.punct[i]; p != 0 {
			dst[n] = p
			n++
		}
		dst[n] = ' '
		n++
	}
	return n
}

// textRef is a comment: n bytes of the text pool from off.
type textRef struct {
	off, n int32
}

// bytes returns the comment's bytes, building the pool if needed.
func (r textRef) bytes() []byte { return textPool()[r.off : r.off+r.n : r.off+r.n] }

// text draws a comment (dbg_text): an offset then a length on stream st.
// Only the draws happen here; the bytes are copied when the row is
// formatted, so rows can be generated while the pool is still being built.
func text(st *stream, lo, hi int) textRef {
	off := unif(&st.cur, 0, poolSize-int64(hi))
	n := unif(&st.cur, int64(lo), int64(hi))
	// The copy happens a batch of rows later (see cursor): start loading
	// the bytes now, as each is a cache miss somewhere in 300 MiB.
	if p := poolPtr.Load(); p != nil {
		for a := off &^ 63; a < off+n; a += 64 { // each cache line once
			prefetch(&(*p)[a])
		}
	}
	return textRef{off: int32(off), n: int32(n)}
}
