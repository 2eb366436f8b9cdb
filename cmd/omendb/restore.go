package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/omendb/omendb/backup"
)

// runRestore implements `omendb restore --from DIR --data NEWDIR
// [--to-offset N | --to-time RFC3339]`: it builds a data directory at exactly
// that point (the backup's end by default) that `omendb serve --data NEWDIR`
// serves without replay.
func runRestore(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	from := fs.String("from", "", "backup directory (written by BACKUP TO)")
	data := fs.String("data", "", "new data directory (must not exist or be empty)")
	toOffset := fs.Uint64("to-offset", 0, "restore up to and including this log offset (a record offset)")
	toTime := fs.String("to-time", "", "restore up to the last record stored at or before this time (RFC 3339)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *data == "" || fs.NArg() != 0 {
		return fmt.Errorf("usage: omendb restore --from DIR --data NEWDIR [--to-offset N | --to-time RFC3339]")
	}
	var tgt backup.Target
	tgt.Offset = *toOffset
	if *toTime != "" {
		if *toOffset != 0 {
			return fmt.Errorf("give --to-offset or --to-time, not both")
		}
		t, err := time.Parse(time.RFC3339Nano, *toTime)
		if err != nil {
			return fmt.Errorf("--to-time: %w", err)
		}
		tgt.Time = t
	}
	start := time.Now()
	res, err := backup.Restore(ctx, *from, *data, tgt, func(s string) { fmt.Fprintln(os.Stderr, s) })
	if err != nil {
		return err
	}
	fmt.Printf("restored %s at offset %d: %d rows in %d tables in %s; serve it with: omendb serve --data %s\n",
		*data, res.Offset, res.Rows, len(res.Tables), time.Since(start).Round(time.Millisecond), *data)
	return nil
}
