package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/omendb/omendb/backup"
)

// runBackup implements `omendb backup verify DIR`: restore the backup in DIR
// into a temporary directory, replay it, and check every checksum and the
// row counts its manifest recorded, in the row store and in the column store
// built from the restored directory. (Backups are taken online with the SQL
// statement BACKUP TO '/dir' [INCREMENTAL].)
func runBackup(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "verify" {
		return fmt.Errorf("usage: omendb backup verify DIR  (take backups with BACKUP TO '/dir' [INCREMENTAL] in SQL)")
	}
	fs := flag.NewFlagSet("backup verify", flag.ContinueOnError)
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: omendb backup verify DIR")
	}
	dir := fs.Arg(0)
	res, err := backup.Verify(ctx, dir, func(s string) { fmt.Fprintln(os.Stderr, s) })
	if err != nil {
		return fmt.Errorf("backup %s is NOT valid: %w", dir, err)
	}
	var colRows int64
	for _, n := range res.Columns {
		colRows += n
	}
	fmt.Printf("backup %s verified: offset %d, %d rows in %d tables, %d log records; column store: %d rows in %d tables\n",
		dir, res.Offset, res.Rows, len(res.Tables), res.Records, colRows, len(res.Columns))
	return nil
}
