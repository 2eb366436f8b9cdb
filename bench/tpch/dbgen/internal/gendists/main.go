// Command gendists compiles dbgen's distributions file (dists.dss) into Go
// source, so that the generator reads no file at run time. See package
// distsfile for the parsing rules.
//
// Usage (from bench/tpch/dbgen, see the go:generate line in dists.go):
//
//	go run ./internal/gendists -in ../../../../shared/tpch/dists.dss -out dists_gen.go
package main

import (
	"flag"
	"log"
	"os"

	"github.com/omendb/omendb/bench/tpch/dbgen/internal/distsfile"
)

func main() {
	in := flag.String("in", "", "path of dists.dss")
	outPath := flag.String("out", "dists_gen.go", "Go file to write")
	pkg := flag.String("pkg", "dbgen", "package name")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err != nil {
		log.Fatal(err)
	}
	dists, err := distsfile.Parse(data)
	if err != nil {
		log.Fatal(err)
	}
	src, err := distsfile.Render(dists, *pkg)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*outPath, src, 0o644); err != nil {
		log.Fatal(err)
	}
}
