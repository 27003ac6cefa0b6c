// postgres.js through a PostgreSQL endpoint (named statements for everything, pipelined; transactions, savepoints,
// cursors): prints one JSON line of results (DriverCompatibilityIT compares it with the same script run against
// PostgreSQL itself).
const postgres = require('postgres');
const port = +process.argv[2];  // usage: node postgres-js.js PORT
async function main() {
  const sql = postgres({ host: '127.0.0.1', port, user: 'app', password: 'app', database: 'app', max: 4, onnotice: () => {} });
  const out = [];
  out.push((await sql`SELECT 1 AS x`)[0].x);
  out.push((await sql`SELECT ${41}::int + 1 AS y`)[0].y);
  const par = await Promise.all(Array.from({ length: 50 }, (_, i) => sql`SELECT ${i}::int * 2 AS v`));
  out.push(par.every((r, i) => r[0].v === i * 2));
  await sql`DROP TABLE IF EXISTS drivers_pjs`;
  await sql`CREATE TABLE drivers_pjs (id serial PRIMARY KEY, v text)`;
  const ins = await Promise.all(Array.from({ length: 20 }, (_, i) => sql.begin(async tx => {
    await tx`INSERT INTO drivers_pjs (v) VALUES (${'r' + i})`;
    const [{ n }] = await tx`SELECT count(*)::int AS n FROM drivers_pjs WHERE v = ${'r' + i}`;
    return n;
  })));
  out.push(ins.every(n => n === 1));
  out.push((await sql`SELECT count(*)::int AS n FROM drivers_pjs`)[0].n);
  try { await sql`SELECT 1/0`; } catch (e) { out.push(e.code); }
  try { await sql.begin(async tx => { await tx`INSERT INTO drivers_pjs (v) VALUES ('x')`; await tx`SELECT 1/0`; }); } catch (e) { out.push('rolled back ' + e.code); }
  out.push((await sql`SELECT count(*)::int AS n FROM drivers_pjs WHERE v = 'x'`)[0].n);
  out.push((await sql`SELECT ${Buffer.from([1,2])}::bytea AS b`)[0].b.toString('hex'));
  // repeated reads of a table nobody writes, on one connection (its statements prepared once): cache hits
  const one = postgres({ host: '127.0.0.1', port, user: 'app', password: 'app', database: 'app', max: 1 });
  for (let round = 0; round < 3; round++) {
    out.push((await one`SELECT name, price FROM products WHERE id = ${2}`)[0].name);
    out.push((await one`SELECT count(*)::int AS n FROM products`)[0].n);
  }
  await one.end();
  const multi = await sql.unsafe('SELECT 1 AS a; SELECT 2 AS b'); out.push(multi.length);
  await sql.begin(async tx => { await tx.savepoint(async sp => { await sp`INSERT INTO drivers_pjs (v) VALUES ('sp')`; }); });
  out.push((await sql`SELECT count(*)::int AS n FROM drivers_pjs WHERE v = 'sp'`)[0].n);
  const cur = []; await sql`SELECT generate_series(1, 25) AS g`.cursor(10, rows => { cur.push(rows.length); });
  out.push(cur.join(','));
  await sql.end();
  console.log(JSON.stringify(out));
}
main().catch(e => { console.error('FAIL', e); process.exit(1); });
