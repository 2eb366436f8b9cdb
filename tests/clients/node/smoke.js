// node-postgres smoke test against OmenDB: every supported type through
// bound parameters (extended protocol), NULLs, a rolled-back transaction and
// an error's SQLSTATE. Connection parameters come from PG* variables.
'use strict';
const { Client } = require('pg');

async function main() {
  const c = new Client();
  await c.connect();
  const fail = [];
  await c.query('DROP TABLE IF EXISTS node_smoke');
  await c.query(`CREATE TABLE node_smoke (id int PRIMARY KEY, i2 smallint, i8 bigint, f8 double precision,
    n numeric(20,6), t text, vc varchar(10), b boolean, by bytea, d date, tz timestamptz, u uuid, j jsonb)`);
  const row = [1, -32768, '-9223372036854775807', -2.25e-300, '-12345678901234.123456',
    'héllo wörld ✓ 日本', 'ünï', true, Buffer.from([0, 1, 255]), '1999-12-31',
    new Date('2024-06-01T06:30:00.123Z'), 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', { a: [1, 'x', null] }];
  await c.query('INSERT INTO node_smoke VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)', row);
  await c.query('INSERT INTO node_smoke (id) VALUES ($1)', [2]);
  const r = await c.query("SELECT id, i2, i8, f8, n, t, vc, b, by, to_char(d, 'YYYY-MM-DD') AS d, tz, u, j FROM node_smoke ORDER BY id");
  const g = r.rows[0];
  const check = (name, got, want) => {
    if (JSON.stringify(got) !== JSON.stringify(want)) fail.push(`${name}: got ${JSON.stringify(got)} want ${JSON.stringify(want)}`);
  };
  check('id', g.id, 1); check('i2', g.i2, -32768); check('i8', g.i8, '-9223372036854775807');
  check('f8', g.f8, -2.25e-300); check('n', g.n, '-12345678901234.123456'); check('t', g.t, row[5]);
  check('vc', g.vc, 'ünï'); check('b', g.b, true); check('by', [...g.by], [0, 1, 255]); check('d', g.d, '1999-12-31');
  check('tz', g.tz.toISOString(), '2024-06-01T06:30:00.123Z'); check('u', g.u, row[11]); check('j', g.j, row[12]);
  for (const [k, v] of Object.entries(r.rows[1])) if (k !== 'id' && v !== null) fail.push(`NULL row: ${k}=${v}`);
  await c.query('BEGIN');
  await c.query("INSERT INTO node_smoke (id, t) VALUES (3, 'gone')");
  await c.query('ROLLBACK');
  const n = await c.query('SELECT count(*)::int AS n FROM node_smoke');
  if (n.rows[0].n !== 2) fail.push('rollback did not undo the insert');
  try {
    await c.query('INSERT INTO node_smoke (id) VALUES ($1)', [1]);
    fail.push('duplicate key accepted');
  } catch (e) {
    if (e.code !== '23505') fail.push(`duplicate key: SQLSTATE ${e.code}, want 23505`);
  }
  // Array columns: JS arrays in as parameters, parsed arrays out.
  await c.query('CREATE TABLE node_arr (id int PRIMARY KEY, tags text[], m int[][])');
  await c.query('INSERT INTO node_arr VALUES ($1, $2, $3)', [1, ['a', 'b c', null, 'q"'], [[1, 2], [3, 4]]]);
  const a = await c.query('SELECT tags, m, m[2][1] AS e FROM node_arr');
  check('text[]', a.rows[0].tags, ['a', 'b c', null, 'q"']); check('int[][]', a.rows[0].m, [[1, 2], [3, 4]]);
  check('m[2][1]', a.rows[0].e, 3);
  await c.end();
  if (fail.length) { console.log(fail.join('\n')); process.exit(1); }
  console.log('ok');
}
main().catch((e) => { console.log(e.stack || e); process.exit(1); });
