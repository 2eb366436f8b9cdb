package dbgen

import (
	"strings"

	"github.com/omendb/omendb/types"
)

// Column describes one column of a TPC-H table.
type Column struct {
	Name string
	// SQL is the column's PostgreSQL type as written in DDL ("numeric(15,2)").
	SQL string
	// Type is the same type as a types.Type (OID and typmod).
	Type types.Type
}

func col(name, sql string) Column {
	var t types.Type
	switch {
	case sql == "bigint":
		t = types.Type{OID: types.OIDInt8, Mod: -1}
	case sql == "integer":
		t = types.Type{OID: types.OIDInt4, Mod: -1}
	case sql == "date":
		t = types.Type{OID: types.OIDDate, Mod: -1}
	case strings.HasPrefix(sql, "numeric(15,2)"):
		t = types.Type{OID: types.OIDNumeric, Mod: (15<<16 | 2) + 4}
	case strings.HasPrefix(sql, "char("):
		t = types.Type{OID: types.OIDBPChar, Mod: int32(atoi(sql[5:len(sql)-1])) + 4}
	case strings.HasPrefix(sql, "varchar("):
		t = types.Type{OID: types.OIDVarchar, Mod: int32(atoi(sql[8:len(sql)-1])) + 4}
	}
	return Column{Name: name, SQL: sql, Type: t}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// columns follows the TPC-H specification's clause 1.4: identifiers bigint
// (SF above 300 needs more than 32 bits for orderkey), integers integer,
// decimals numeric(15,2), fixed text char(N), variable text varchar(N),
// dates date. Every column is NOT NULL.
var columns = [...][]Column{
	Part: {
		col("p_partkey", "bigint"), col("p_name", "varchar(55)"), col("p_mfgr", "char(25)"),
		col("p_brand", "char(10)"), col("p_type", "varchar(25)"), col("p_size", "integer"),
		col("p_container", "char(10)"), col("p_retailprice", "numeric(15,2)"), col("p_comment", "varchar(23)"),
	},
	PartSupp: {
		col("ps_partkey", "bigint"), col("ps_suppkey", "bigint"), col("ps_availqty", "integer"),
		col("ps_supplycost", "numeric(15,2)"), col("ps_comment", "varchar(199)"),
	},
	Supplier: {
		col("s_suppkey", "bigint"), col("s_name", "char(25)"), col("s_address", "varchar(40)"),
		col("s_nationkey", "integer"), col("s_phone", "char(15)"), col("s_acctbal", "numeric(15,2)"),
		col("s_comment", "varchar(101)"),
	},
	Customer: {
		col("c_custkey", "bigint"), col("c_name", "varchar(25)"), col("c_address", "varchar(40)"),
		col("c_nationkey", "integer"), col("c_phone", "char(15)"), col("c_acctbal", "numeric(15,2)"),
		col("c_mktsegment", "char(10)"), col("c_comment", "varchar(117)"),
	},
	Orders: {
		col("o_orderkey", "bigint"), col("o_custkey", "bigint"), col("o_orderstatus", "char(1)"),
		col("o_totalprice", "numeric(15,2)"), col("o_orderdate", "date"), col("o_orderpriority", "char(15)"),
		col("o_clerk", "char(15)"), col("o_shippriority", "integer"), col("o_comment", "varchar(79)"),
	},
	LineItem: {
		col("l_orderkey", "bigint"), col("l_partkey", "bigint"), col("l_suppkey", "bigint"),
		col("l_linenumber", "integer"), col("l_quantity", "numeric(15,2)"), col("l_extendedprice", "numeric(15,2)"),
		col("l_discount", "numeric(15,2)"), col("l_tax", "numeric(15,2)"), col("l_returnflag", "char(1)"),
		col("l_linestatus", "char(1)"), col("l_shipdate", "date"), col("l_commitdate", "date"),
		col("l_receiptdate", "date"), col("l_shipinstruct", "char(25)"), col("l_shipmode", "char(10)"),
		col("l_comment", "varchar(44)"),
	},
	Nation: {
		col("n_nationkey", "integer"), col("n_name", "char(25)"), col("n_regionkey", "integer"),
		col("n_comment", "varchar(152)"),
	},
	Region: {
		col("r_regionkey", "integer"), col("r_name", "char(25)"), col("r_comment", "varchar(152)"),
	},
}

// primaryKeys per the specification (clause 1.4.2.2).
var primaryKeys = [...]string{
	Part: "p_partkey", PartSupp: "ps_partkey, ps_suppkey", Supplier: "s_suppkey",
	Customer: "c_custkey", Orders: "o_orderkey", LineItem: "l_orderkey, l_linenumber",
	Nation: "n_nationkey", Region: "r_regionkey",
}

// Columns returns table t's columns in .tbl field order. The slice is shared;
// do not modify it.
func Columns(t Table) []Column { return columns[t] }

// DDL returns the PostgreSQL CREATE TABLE statement for t, e.g.
// "CREATE TABLE lineitem (l_orderkey bigint NOT NULL, …, PRIMARY KEY (l_orderkey, l_linenumber))".
func DDL(t Table) string {
	var b strings.Builder
	b.WriteString("CREATE TABLE ")
	b.WriteString(t.String())
	b.WriteString(" (")
	for i, c := range columns[t] {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.Name)
		b.WriteByte(' ')
		b.WriteString(c.SQL)
		b.WriteString(" NOT NULL")
	}
	b.WriteString(", PRIMARY KEY (")
	b.WriteString(primaryKeys[t])
	b.WriteString("))")
	return b.String()
}
