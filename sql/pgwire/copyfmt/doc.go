// Package copyfmt implements PostgreSQL's COPY text and CSV formats: a
// streaming Decoder for COPY FROM STDIN and an Encoder for COPY TO STDOUT.
// The pgwire server drives them; they know nothing of the wire protocol.
//
// # Decoder
//
// Decoder.Write takes CopyData payloads exactly as they arrive — a chunk may
// end anywhere, inside a row, a quoted CSV field or an escape sequence — and
// calls emit once per complete row with its fields. Finish ends the input
// (a last row without a newline is accepted). Rows end with "\n" or "\r\n";
// the line `\.` ends the data (pgbench sends it) and anything after it is
// ignored.
//
// Invariants and ownership:
//   - A nil field is NULL; a non-NULL field is never nil (an empty string is
//     a zero-length non-nil slice).
//   - The fields slice and the bytes it points to are owned by the Decoder
//     and are valid only during the emit call: fields point either into the
//     caller's chunk (fields without escapes are not copied) or into the
//     Decoder's reused scratch buffer. A caller that keeps a field copies it.
//   - The Decoder copies the unfinished tail of a chunk, so the caller may
//     reuse the chunk's memory after Write returns (pgproto3's Receive buffer).
//   - In steady state a row costs no allocation: the fields slice, the
//     scratch buffer and the carry buffer are reused.
//   - Errors are *pgerr.Error with SQLSTATE 22P04 (bad_copy_file_format) and
//     the 1-based line number in Detail ("COPY line N"), PostgreSQL's messages.
//
// # Encoder
//
// Encoder.AppendRow appends one row's line in exactly PostgreSQL's output
// (CopyAttributeOutText / CopyAttributeOutCSV): text escapes \b \f \n \r \t
// \v, backslash and the delimiter; CSV quotes a field that contains the
// delimiter, quote, CR or LF, equals the NULL string, or is `\.` alone in a
// one-column row, doubling the quote (or prefixing ESCAPE).
//
// A Decoder or Encoder is used by one goroutine at a time.
package copyfmt
