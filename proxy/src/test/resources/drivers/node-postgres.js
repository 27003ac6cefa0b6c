// node-postgres through a PostgreSQL endpoint: prints one JSON line of results (DriverCompatibilityIT compares
// it with the same script run against PostgreSQL itself). Usage: node node-postgres.js PORT
const { Client, Pool } = require('pg');
const cfg = { host: '127.0.0.1', port: +process.argv[2], user: 'app', password: 'app', database: 'app' };

async function main() {
  const out = [];
  const c = new Client(cfg);
  await c.connect();
  out.push((await c.query('SELECT 1 AS x')).rows[0].x);
  out.push((await c.query('SELECT $1::int + 1 AS y', [41])).rows[0].y);                      // unnamed statement
  out.push((await c.query({ name: 'q1', text: 'SELECT $1::text AS t', values: ['a'] })).rows[0].t);  // named
  out.push((await c.query({ name: 'q1', text: 'SELECT $1::text AS t', values: ['b'] })).rows[0].t);  // Bind only
  const queued = [];
  for (let i = 0; i < 60; i++) {  // queued back to back on one connection, three named statements
    queued.push(c.query({ name: 'n' + (i % 3), text: 'SELECT $1::int * ' + (i % 3) + ' AS v', values: [i] }));
  }
  out.push((await Promise.all(queued)).every((r, i) => r.rows[0].v === i * (i % 3)));
  try { await c.query('SELECT 1/0'); } catch (e) { out.push(e.code); }
  out.push((await c.query('SELECT 2 AS z')).rows[0].z);
  await c.query('DROP TABLE IF EXISTS drivers_node');
  await c.query('CREATE TABLE drivers_node (id serial PRIMARY KEY, v text)');
  await c.query('BEGIN');
  await c.query('INSERT INTO drivers_node (v) VALUES ($1), ($2)', ['a', 'b']);
  out.push((await c.query('SELECT count(*)::int AS n FROM drivers_node')).rows[0].n);
  await c.query('COMMIT');
  out.push((await c.query('SELECT string_agg(v, \',\' ORDER BY id) AS s FROM drivers_node')).rows[0].s);
  try { await c.query({ name: 'q1', text: 'SELECT 2', values: [] }); } catch (e) { out.push('reuse refused'); }
  out.push((await c.query('SELECT $1::bytea AS b', [Buffer.from([1, 2, 3])])).rows[0].b.toString('hex'));
  out.push((await c.query({ text: 'SELECT 1 AS a, 2 AS b', rowMode: 'array' })).rows[0].join(','));
  out.push((await c.query('SELECT 1 AS a; SELECT 2 AS b')).map(r => r.rows[0]));
  for (let round = 0; round < 3; round++) {  // repeated reads of a table nobody writes: cache hits through pgroute
    out.push((await c.query({ name: 'product', text: 'SELECT id, name, price FROM products WHERE id = $1',
      values: [2] })).rows);
    out.push((await c.query('SELECT name, stock FROM products WHERE price > $1 ORDER BY id', [10])).rows);
    out.push((await c.query('SELECT count(*)::int AS n, sum(stock)::int AS s FROM products')).rows);
    out.push((await c.query({ text: 'SELECT id, price FROM products ORDER BY id', rowMode: 'array' })).rows);
  }
  await c.query("SET application_name = 'node-driver'");
  out.push((await c.query("SELECT current_setting('application_name') AS a")).rows[0].a);
  await c.end();
  const pool = new Pool({ ...cfg, max: 10 });
  const work = [];
  for (let i = 0; i < 200; i++) work.push(pool.query('SELECT $1::int AS i', [i]));
  out.push((await Promise.all(work)).every((r, i) => r.rows[0].i === i));
  await pool.end();
  console.log(JSON.stringify(out));
}

main().catch(e => { console.error('FAIL', e); process.exit(1); });
