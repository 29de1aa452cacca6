// Login storm: N WebSocket clients log in to R rooms, then heartbeat.
// Prints login latency (burst and paced), heartbeat round trips and the
// server's RSS. Usage: node login_storm.js BUILD_DIR [clients] [rooms]
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const WebSocket = require(path.join(__dirname, '../integration/node_modules/ws'));
const { startServer } = require('../integration/lib/harness');
const tok = require('../integration/lib/token04');

const [buildDir = 'build', nArg = '1000', rArg = '100'] = process.argv.slice(2);
process.env.ROOMGATE_BIN = path.resolve(buildDir, 'roomgate');
const N = Number(nArg), ROOMS = Number(rArg);

const pct = (a, p) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };
const rssMB = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]) / 1024;
};
const cpuS = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime in clock ticks (100 Hz)
};

class C {
  constructor(url) {
    this.ws = new WebSocket(url, { perMessageDeflate: false });
    this.pending = new Map();
    this.id = 1;
    this.ws.on('message', (d) => {
      const m = JSON.parse(d);
      if (m.type === 'response') { const p = this.pending.get(m.id); if (p) { this.pending.delete(m.id); p(m); } }
    });
  }
  open() { return new Promise((res, rej) => { this.ws.once('open', res); this.ws.once('error', rej); }); }
  req(type, fields) {
    const id = this.id++;
    const t0 = process.hrtime.bigint();
    return new Promise((res) => {
      this.pending.set(id, (m) => res({ m, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      this.ws.send(JSON.stringify({ v: 1, id, type, ...fields }));
    });
  }
}

function loginFields(srv, i) {
  const user = `u${i}`;
  const token = tok.make({ appId: srv.config.app_id, userId: user, secret: srv.config.server_secret });
  return { room_id: `bench-${i % ROOMS}`, token, user: { user_id: user, user_name: user }, user_update: true };
}

// Open loop: login i is sent at t0 + i / rate, whatever the answers do.
async function loginAt(clients, fields, rate) {
  const lat = [];
  let failed = 0;
  const t0 = Date.now();
  const done = clients.map((c, i) => new Promise((res) => {
    setTimeout(() => c.req('login', fields[i]).then(({ m, ms }) => {
      if (!m.ok) failed++;
      lat.push(ms);
      res();
    }), Math.floor(i * 1000 / rate));
  }));
  await Promise.all(done);
  return { lat, failed, wallMs: Date.now() - t0 };
}

async function main() {
  const srv = await startServer({
    config: {
      log: { level: 'warn,main=info' },
      limits: { login_attempts_per_ip_per_s: 1000000, max_users_per_room: 1000 },
      session: { heartbeat_interval_ms: 10000, heartbeat_timeout_ms: 30000, login_timeout_ms: 60000 },
    },
  });
  const pid = srv.proc.pid;
  // RG_BENCH_PERF=FILE profiles the server with perf record while it runs
  let perf = null;
  if (process.env.RG_BENCH_PERF) {
    perf = require('node:child_process').spawn('perf', ['record', '-F', '2000', '-g', '-p', String(pid), '-o', process.env.RG_BENCH_PERF], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
  }
  const rss0 = rssMB(pid);
  const half = N / 2;
  const clients = [];
  for (let i = 0; i < N; i++) { const c = new C(srv.wsUrl); clients.push(c); await c.open(); }
  const rssConn = rssMB(pid);
  const fields = clients.map((_, i) => loginFields(srv, i));
  const cpu0 = cpuS(pid);
  // storm: the first half arrives at 500 logins/s; burst: the rest all at once
  const paced = await loginAt(clients.slice(0, half), fields.slice(0, half), 500);
  const burst = await loginAt(clients.slice(half), fields.slice(half), 1e9);
  const cpuLogin = cpuS(pid) - cpu0;
  const rssLogin = rssMB(pid);
  // heartbeats: every client once a second for 10 s, each at its own phase
  const hb = [];
  const cpu1 = cpuS(pid);
  await Promise.all(clients.map((c, i) => new Promise((res) => {
    let n = 0;
    const beat = () => c.req('heartbeat', {}).then((r) => {
      hb.push(r.ms);
      if (++n < 10) setTimeout(beat, 1000); else res();
    });
    setTimeout(beat, Math.floor(i * 1000 / N));
  })));
  const cpuHb = cpuS(pid) - cpu1;
  const rssEnd = rssMB(pid);
  const f = (x) => x.toFixed(2);
  console.log(`login storm: ${N} WebSocket clients, ${ROOMS} rooms (${N / ROOMS} users each, user_update on)`);
  console.log('| phase | logins | failed | p50 ms | p99 ms | max ms | wall ms |');
  console.log('|---|---|---|---|---|---|---|');
  for (const [name, r] of [['storm (500 logins/s)', paced], [`burst (${half} sent at once)`, burst]]) {
    console.log(`| ${name} | ${r.lat.length} | ${r.failed} | ${f(pct(r.lat, 50))} | ${f(pct(r.lat, 99))} | ${f(Math.max(...r.lat))} | ${r.wallMs} |`);
  }
  const all = [...burst.lat, ...paced.lat];
  console.log(`| all logins | ${all.length} | ${burst.failed + paced.failed} | ${f(pct(all, 50))} | ${f(pct(all, 99))} | ${f(Math.max(...all))} | |`);
  console.log(`heartbeat round trip (${hb.length}, 1/s per client): p50 ${f(pct(hb, 50))} ms, p99 ${f(pct(hb, 99))} ms`);
  console.log(`server CPU: logins ${f(cpuLogin)} s (${f(cpuLogin * 1e6 / N)} us/login), heartbeats ${f(cpuHb)} s over 10 s (${f(cpuHb / 10 * 100)} % of a core)`);
  console.log(`server RSS: start ${f(rss0)} MB, ${N} connected ${f(rssConn)} MB, ${N} logged in ${f(rssLogin)} MB, after heartbeats ${f(rssEnd)} MB (${f((rssEnd - rss0) * 1024 / N)} KB per session)`);
  // the row of the make bench table (tests/bench/run.sh)
  console.log(`ROW| rooms | login storm: ${N} clients, ${ROOMS} rooms, half at 500/s, half at once | ${all.length - burst.failed - paced.failed} logins | ${f(cpuLogin * 1e6 / N)} us per login; heartbeats ${f(cpuHb / 10 * 100)} % | ${f(pct(paced.lat, 50))} / ${f(pct(paced.lat, 99))} ms at 500/s, ${f(pct(burst.lat, 99))} ms p99 burst | ${f((rssEnd - rss0) * 1024 / N)} KB per session (${f(rssEnd)} MB) | ${burst.failed + paced.failed} failed |`);
  if (perf) { perf.kill('SIGINT'); await new Promise((r) => perf.on('exit', r)); }
  for (const c of clients) c.ws.terminate();
  const code = await srv.stop();
  if (code !== 0) { console.error(`server exited with ${code}`); process.exit(1); }
}
main().catch((e) => { console.error(e); process.exit(1); });
