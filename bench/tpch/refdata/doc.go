// Package refdata locates the TPC-H reference data that lives outside the
// repository (dbgen's dists.dss, md5 sums, the SF 0.01 output, the SF 1
// answer set): $OMENDB_SHARED/tpch if set, else ../shared/tpch beside the
// module root (the directory holding go.mod, found upwards from the working
// directory). Tests fail, never skip, when it is missing.
package refdata
