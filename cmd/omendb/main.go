package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// benchCommands maps `omendb bench NAME` to its implementation. Each benchmark
// registers itself from its own file (bench_*.go) in an init function.
var benchCommands = map[string]func(ctx context.Context, args []string) error{}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: omendb <command> [flags]

commands:
  serve     run the server (pgwire + HTTP health endpoints)
  bench     run a benchmark: omendb bench <name> [flags]
  backup    omendb backup verify DIR: restore a backup into a temporary directory and check it
  restore   omendb restore --from DIR --data NEWDIR [--to-offset N | --to-time RFC3339]
  version   print the version
`)
}

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "serve":
		err = runServe(ctx, os.Args[2:])
	case "bench":
		err = runBench(ctx, os.Args[2:])
	case "backup":
		err = runBackup(ctx, os.Args[2:])
	case "restore":
		err = runRestore(ctx, os.Args[2:])
	case "version", "--version", "-v":
		fmt.Println("omendb", Version)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "omendb: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "omendb %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func runBench(ctx context.Context, args []string) error {
	names := make([]string, 0, len(benchCommands))
	for n := range benchCommands {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(args) == 0 {
		return fmt.Errorf("which benchmark? one of %v", names)
	}
	f, ok := benchCommands[args[0]]
	if !ok {
		return fmt.Errorf("unknown benchmark %q; one of %v", args[0], names)
	}
	return f(ctx, args[1:])
}

// Version is set at build time with -ldflags "-X main.Version=…".
var Version = "0.1.0-dev"
