// JDBC DatabaseMetaData against a database holding tests/clients' tools
// schema (tools_test.go): prints every answer, one "== call" section each,
// one row a line as COLUMN=value pairs; the test compares OmenDB's output
// with PostgreSQL's. Usage: java Meta <jdbc-url>.
import java.sql.*;
import java.util.*;

public class Meta {
    static StringBuilder out = new StringBuilder();
    static void dump(String name, ResultSet r) throws SQLException {
        ResultSetMetaData m = r.getMetaData();
        out.append("== ").append(name).append("\n");
        while (r.next()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i <= m.getColumnCount(); i++) {
                sb.append(m.getColumnLabel(i)).append('=').append(r.getString(i)).append(' ');
            }
            out.append(sb.toString().trim()).append("\n");
        }
        r.close();
    }
    interface Q { ResultSet run() throws SQLException; }
    static void call(String name, Q q) {
        try {
            dump(name, q.run());
        } catch (SQLException e) {
            out.append("== ").append(name).append("\nERROR ").append(e.getSQLState()).append(' ').append(e.getMessage()).append("\n");
        }
    }
    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0])) {
            DatabaseMetaData md = c.getMetaData();
            call("getCatalogs", () -> md.getCatalogs());
            call("getSchemas", () -> md.getSchemas());
            call("getSchemas(public)", () -> md.getSchemas(null, "public"));
            call("getTableTypes", () -> md.getTableTypes());
            call("getTables", () -> md.getTables(null, "public", "%", null));
            call("getTables(TABLE,VIEW)", () -> md.getTables(null, "public", "%", new String[]{"TABLE", "VIEW", "SEQUENCE", "INDEX"}));
            for (String t : new String[]{"customers", "products", "orders", "events", "big_orders", "order_totals"}) {
                call("getColumns " + t, () -> md.getColumns(null, "public", t, "%"));
                call("getPrimaryKeys " + t, () -> md.getPrimaryKeys(null, "public", t));
                call("getImportedKeys " + t, () -> md.getImportedKeys(null, "public", t));
                call("getExportedKeys " + t, () -> md.getExportedKeys(null, "public", t));
                call("getIndexInfo " + t, () -> md.getIndexInfo(null, "public", t, false, false));
                call("getIndexInfo unique " + t, () -> md.getIndexInfo(null, "public", t, true, true));
                call("getBestRowIdentifier " + t, () -> md.getBestRowIdentifier(null, "public", t, DatabaseMetaData.bestRowSession, true));
                call("getColumnPrivileges " + t, () -> md.getColumnPrivileges(null, "public", t, "%"));
                call("getVersionColumns " + t, () -> md.getVersionColumns(null, "public", t));
            }
            call("getCrossReference", () -> md.getCrossReference(null, "public", "customers", null, "public", "orders"));
            call("getTablePrivileges", () -> md.getTablePrivileges(null, "public", "%"));
            call("getTypeInfo", () -> md.getTypeInfo());
            call("getFunctions", () -> md.getFunctions(null, "public", "%"));
            call("getProcedures", () -> md.getProcedures(null, "public", "%"));
            call("getFunctionColumns", () -> md.getFunctionColumns(null, "public", "%", "%"));
            call("getUDTs", () -> md.getUDTs(null, "public", "%", null));
            call("getClientInfoProperties", () -> md.getClientInfoProperties());
            out.append("product ").append(md.getDatabaseProductName()).append("\n");
            try { out.append("keywords ").append(md.getSQLKeywords()).append("\n"); } catch (SQLException e) { out.append("keywords ERROR ").append(e.getSQLState()).append(' ').append(e.getMessage()).append("\n"); }
            out.append("maxnamelen ").append(md.getMaxColumnNameLength()).append("\n");
        }
        System.out.print(out);
    }
}
