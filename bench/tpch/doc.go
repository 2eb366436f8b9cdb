// Package tpch is the home of OmenDB's TPC-H tooling; the code lives in its
// subpackages:
//
//   - dbgen generates the eight TPC-H tables byte-identical to the TPC's
//     dbgen 2.14.0, as .tbl text (WriteFiles, AppendText, WriteText) or as
//     typed rows for loading straight into OmenDB (Generate with a Sink),
//     and exports the tables' schemas (Columns, DDL). It is what
//     `omendb bench tpch gen` runs.
//   - queries holds the 22 TPC-H queries in PostgreSQL dialect with the
//     specification's validation parameters (Validation) and a seeded
//     generator of substitution parameters following the specification's
//     rules (Random), as the TPC's qgen does.
//   - answers reads the TPC's SF 1 answer set and checks a query's result
//     against it by the specification's comparison rules (clause 2.1.3.5);
//     `omendb bench tpch run --check DIR` and `make verify-tpch` use it.
//
// Reference data (dbgen's dists.dss, md5 sums and line counts at SF 0.01,
// 0.1 and 1, the complete SF 0.01 output, the SF 1 answer set) lives outside
// the repository in ../shared/tpch, found from the module root or through
// $OMENDB_SHARED (package refdata); tests fail, never skip, without it. The
// generator itself reads no file: the distributions are compiled in
// (dbgen/dists_gen.go, made by `go generate ./bench/tpch/dbgen` from
// dists.dss).
//
// See docs/benchmarks/tpch-gen.md for how to run and what it measured.
package tpch
