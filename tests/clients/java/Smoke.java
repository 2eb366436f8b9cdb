// JDBC smoke test against OmenDB (Debian's libpostgresql-jdbc-java): every
// supported type through PreparedStatement parameters, NULLs, a rolled-back
// transaction and an error's SQLSTATE. Usage: java Smoke <jdbc-url>.
import java.math.BigDecimal;
import java.sql.*;
import java.time.*;
import java.util.*;

public class Smoke {
    static List<String> fail = new ArrayList<>();

    static void check(String name, Object got, Object want) {
        if (!Objects.equals(got, want)) fail.add(name + ": got " + got + " want " + want);
    }

    public static void main(String[] args) throws Exception {
        try (Connection c = DriverManager.getConnection(args[0])) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS java_smoke");
                s.execute("CREATE TABLE java_smoke (id int PRIMARY KEY, i2 smallint, i8 bigint, f4 real, f8 double precision,"
                        + " n numeric(20,6), t text, vc varchar(10), b boolean, by bytea, d date, ts timestamp, tz timestamptz, u uuid)");
            }
            UUID u = UUID.fromString("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
            OffsetDateTime tz = OffsetDateTime.of(2024, 6, 1, 12, 0, 0, 123456000, ZoneOffset.ofHoursMinutes(5, 30));
            LocalDateTime ts = LocalDateTime.of(2024, 2, 29, 23, 59, 58, 123456000);
            try (PreparedStatement p = c.prepareStatement("INSERT INTO java_smoke VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
                p.setInt(1, 1); p.setShort(2, (short) -32768); p.setLong(3, -9223372036854775807L);
                p.setFloat(4, 1.5f); p.setDouble(5, -2.25e-300); p.setBigDecimal(6, new BigDecimal("-12345678901234.123456"));
                p.setString(7, "héllo wörld ✓ 日本"); p.setString(8, "ünï"); p.setBoolean(9, true);
                p.setBytes(10, new byte[]{0, 1, (byte) 255}); p.setObject(11, LocalDate.of(1999, 12, 31));
                p.setObject(12, ts); p.setObject(13, tz); p.setObject(14, u);
                p.executeUpdate();
                for (int i = 1; i <= 14; i++) p.setNull(i, Types.NULL);
                p.setInt(1, 2);
                p.executeUpdate();
            }
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT * FROM java_smoke ORDER BY id")) {
                r.next();
                check("i2", r.getShort(2), (short) -32768); check("i8", r.getLong(3), -9223372036854775807L);
                check("f4", r.getFloat(4), 1.5f); check("f8", r.getDouble(5), -2.25e-300);
                check("n", r.getBigDecimal(6), new BigDecimal("-12345678901234.123456"));
                check("t", r.getString(7), "héllo wörld ✓ 日本"); check("vc", r.getString(8), "ünï");
                check("b", r.getBoolean(9), true); check("by", Arrays.toString(r.getBytes(10)), "[0, 1, -1]");
                check("d", r.getObject(11, LocalDate.class), LocalDate.of(1999, 12, 31));
                check("ts", r.getObject(12, LocalDateTime.class), ts);
                check("tz", r.getObject(13, OffsetDateTime.class).toInstant(), tz.toInstant());
                check("u", r.getObject(14), u);
                r.next();
                for (int i = 2; i <= 14; i++) if (r.getObject(i) != null) fail.add("NULL row: column " + i + " = " + r.getObject(i));
            }
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.executeUpdate("INSERT INTO java_smoke (id, t) VALUES (3, 'gone')");
            }
            c.rollback();
            c.setAutoCommit(true);
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM java_smoke")) {
                r.next();
                check("count after rollback", r.getLong(1), 2L);
            }
            try (PreparedStatement p = c.prepareStatement("INSERT INTO java_smoke (id) VALUES (?)")) {
                p.setInt(1, 1);
                p.executeUpdate();
                fail.add("duplicate key accepted");
            } catch (SQLException e) {
                check("duplicate key SQLSTATE", e.getSQLState(), "23505");
            }
            // DatabaseMetaData goes through the catalog emulation.
            try (ResultSet r = c.getMetaData().getTables(null, "public", "java_smoke", new String[]{"TABLE"})) {
                if (!r.next()) fail.add("DatabaseMetaData.getTables does not list java_smoke");
            } catch (SQLException e) {
                fail.add("DatabaseMetaData.getTables: " + e.getSQLState() + " " + e.getMessage());
            }
            metadata(c);
            arrays(c);
        }
        if (!fail.isEmpty()) {
            System.out.println(String.join("\n", fail));
            System.exit(1);
        }
        System.out.println("ok");
    }

    // metadata checks DatabaseMetaData's getTables, getColumns,
    // getPrimaryKeys and getIndexInfo on a table with a composite primary
    // key, a unique constraint, a secondary index, defaults and NOT NULL.
    static void metadata(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS java_meta");
            s.execute("CREATE TABLE java_meta (a int NOT NULL, b varchar(10) NOT NULL DEFAULT 'x', price numeric(10,2),"
                    + " note text UNIQUE, made date, PRIMARY KEY (b, a))");
            s.execute("CREATE INDEX java_meta_made ON java_meta (made, price)");
        }
        DatabaseMetaData md = c.getMetaData();
        List<String> got = new ArrayList<>();
        try (ResultSet r = md.getTables(null, "public", "java_meta", new String[]{"TABLE"})) {
            while (r.next()) got.add(r.getString("TABLE_SCHEM") + "." + r.getString("TABLE_NAME") + " " + r.getString("TABLE_TYPE"));
        } catch (SQLException e) {
            got.add(e.getSQLState() + " " + e.getMessage());
        }
        check("getTables", got, List.of("public.java_meta TABLE"));
        got = new ArrayList<>();
        try (ResultSet r = md.getColumns(null, "public", "java_meta", "%")) {
            while (r.next()) got.add(r.getInt("ORDINAL_POSITION") + " " + r.getString("COLUMN_NAME") + " " + r.getInt("DATA_TYPE")
                    + " " + r.getString("TYPE_NAME") + " " + r.getInt("COLUMN_SIZE") + " " + r.getInt("DECIMAL_DIGITS")
                    + " " + r.getInt("NULLABLE") + " " + r.getString("COLUMN_DEF") + " " + r.getString("IS_AUTOINCREMENT"));
        } catch (SQLException e) {
            got.add(e.getSQLState() + " " + e.getMessage());
        }
        check("getColumns", got, List.of(
                "1 a " + Types.INTEGER + " int4 10 0 0 null NO",
                "2 b " + Types.VARCHAR + " varchar 10 0 0 'x'::character varying NO",
                "3 price " + Types.NUMERIC + " numeric 10 2 1 null NO",
                "4 note " + Types.VARCHAR + " text 2147483647 0 1 null NO",
                "5 made " + Types.DATE + " date 13 0 1 null NO"));
        got = new ArrayList<>();
        try (ResultSet r = md.getPrimaryKeys(null, "public", "java_meta")) {
            while (r.next()) got.add(r.getString("COLUMN_NAME") + " " + r.getInt("KEY_SEQ") + " " + r.getString("PK_NAME"));
        } catch (SQLException e) {
            got.add(e.getSQLState() + " " + e.getMessage());
        }
        got.sort(null);
        check("getPrimaryKeys", got, List.of("a 2 java_meta_pkey", "b 1 java_meta_pkey"));
        got = new ArrayList<>();
        try (ResultSet r = md.getIndexInfo(null, "public", "java_meta", false, false)) {
            while (r.next()) got.add(r.getString("INDEX_NAME") + " " + r.getBoolean("NON_UNIQUE") + " "
                    + r.getInt("ORDINAL_POSITION") + " " + r.getString("COLUMN_NAME"));
        } catch (SQLException e) {
            got.add(e.getSQLState() + " " + e.getMessage());
        }
        got.sort(null);
        check("getIndexInfo", got, List.of("java_meta_made true 1 made", "java_meta_made true 2 price",
                "java_meta_note_key false 1 note", "java_meta_pkey false 1 b", "java_meta_pkey false 2 a"));
    }

    // Array columns: setArray/createArrayOf parameters, getArray results
    // (one- and two-dimensional, NULL elements), and getColumns' type.
    static void arrays(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS java_arr");
            s.execute("CREATE TABLE java_arr (id int PRIMARY KEY, tags text[], scores int4[], m int[][])");
        }
        try (PreparedStatement p = c.prepareStatement("INSERT INTO java_arr VALUES (?, ?, ?, ?)")) {
            p.setInt(1, 1);
            p.setArray(2, c.createArrayOf("text", new String[]{"a", "b c", null}));
            p.setArray(3, c.createArrayOf("int4", new Integer[]{1, -2, 3}));
            p.setObject(4, new int[][]{{1, 2}, {3, 4}});
            p.executeUpdate();
        }
        try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT tags, scores, m FROM java_arr WHERE id = 1")) {
            r.next();
            check("getArray text[]", Arrays.toString((Object[]) r.getArray(1).getArray()), "[a, b c, null]");
            check("getArray int4[]", Arrays.toString((Object[]) r.getArray(2).getArray()), "[1, -2, 3]");
            check("getArray int[][]", Arrays.deepToString((Object[]) r.getArray(3).getArray()), "[[1, 2], [3, 4]]");
            check("base type", r.getArray(2).getBaseTypeName(), "int4");
        }
        try (PreparedStatement p = c.prepareStatement("SELECT id FROM java_arr WHERE ? = ANY (scores)")) {
            p.setInt(1, -2);
            try (ResultSet r = p.executeQuery()) {
                check("= ANY (column)", r.next() ? r.getInt(1) : -1, 1);
            }
        }
        List<String> got = new ArrayList<>();
        try (ResultSet r = c.getMetaData().getColumns(null, "public", "java_arr", "%")) {
            while (r.next()) got.add(r.getString("COLUMN_NAME") + " " + r.getInt("DATA_TYPE") + " " + r.getString("TYPE_NAME"));
        }
        check("getColumns arrays", got, List.of("id " + Types.INTEGER + " int4", "tags " + Types.ARRAY + " _text",
                "scores " + Types.ARRAY + " _int4", "m " + Types.ARRAY + " _int4"));
    }
}
