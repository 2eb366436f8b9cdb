// Command omendb is OmenDB's single binary.
//
//	omendb serve [--data DIR] [--listen HOST:PORT] [--http HOST:PORT] [--nats-url URL] …
//	omendb bench <commit|index|tpch|…> [flags]
//	omendb version
//
// Every flag of serve has an OMENDB_* environment equivalent (see
// `omendb serve -h`). Benchmarks register themselves in benchCommands from
// their own bench_*.go files.
package main
