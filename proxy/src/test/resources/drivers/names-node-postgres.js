// COMPAT V1 with node-postgres: CLIENTS clients run the same 20 named queries (q0 … q19) ROUNDS times at once;
// odd clients give each name the other statement. Prints "ok <right answers> errors [<SQLSTATEs>]".
// Usage: node names-node-postgres.js PORT CLIENTS ROUNDS
const { Client } = require('pg');
const [port, clients, rounds] = process.argv.slice(2, 5).map(Number);

async function client(n) {
  let good = 0;
  const errors = [];
  const c = new Client({ host: '127.0.0.1', port, user: 'app', password: 'app', database: 'app' });
  await c.connect();
  try {
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < 20; i++) {
        const k = n % 2 === 0 ? i : 19 - i;
        try {
          const res = await c.query({ name: 'q' + i, text: 'SELECT $1::int + ' + k + ' AS v', values: [n * 1000 + r] });
          if (res.rows[0].v === n * 1000 + r + k) good++;
        } catch (e) {
          errors.push(e.code || e.message);
        }
      }
    }
  } finally {
    await c.end();
  }
  return [good, errors];
}

Promise.all([...Array(clients).keys()].map(client)).then(res => {
  const errors = [...new Set(res.flatMap(([, e]) => e))].sort();
  console.log('ok ' + res.reduce((sum, [g]) => sum + g, 0) + ' errors ' + JSON.stringify(errors));
}).catch(e => { console.error('FAIL', e); process.exit(1); });
