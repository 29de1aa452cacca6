// Mixer benchmark: N plain RTP participants in one room, K of them talking,
// against roomgate's RTP endpoints and, when it is installed, Janus's
// AudioBridge (plain RTP participants). Run by run.sh; see README.md.
//
// Usage: node mix_bench.js BUILD_DIR
// Environment:
//   RG_MIX_N        participant counts (default "10 50 100 500")
//   RG_MIX_WARMUP   seconds of load before the measured window (default 3)
//   RG_MIX_SECONDS  measured window in seconds (default 10)
//   RG_MIX_JANUS    auto (default: when the janus binary and the AudioBridge
//                   plugin exist), 0 (skip), or the path of the janus binary
//   RG_MIX_SWARM    the rtp_swarm binary (default BUILD_DIR/tests/bench/mix/rtp_swarm)
//   RG_MIX_CASES    a subset of k3,kall,kall_max3 (default all)
//   RG_MIX_TICKS    memory: read the tick figures from the server's memory
//                   (exactly the window's ticks) even when /metrics has them
//   RG_MIX_PERF     a folder: record each roomgate case's measured window with
//                   perf (cpu-clock, DWARF call graphs) to <folder>/<case>.data
//   RG_MIX_THREADS  media.mix_threads of the roomgate server (default: its own
//                   default, one less than the cores)
//   RG_MIX_SMAPS    a folder: copy each server's /proc/PID/smaps when idle and
//                   at the end of the window to <folder>/<case>.{idle,end}.smaps
//                   and print where the RSS grew, per mapping
//
// Result lines go to stdout ("BENCH mix <name> key=value ..."); progress,
// details and table rows (ROW| ..., for tests/bench/run.sh) go to stderr.
'use strict';
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const BUILD = path.resolve(process.argv[2] || 'build');
const ROOT = path.resolve(__dirname, '../../..');
const NS = (process.env.RG_MIX_N || '10 50 100 500').split(/[\s,]+/).filter(Boolean).map(Number);
const WARMUP = Number(process.env.RG_MIX_WARMUP || 3);
const WINDOW = Number(process.env.RG_MIX_SECONDS || 10);
const TAIL = 1; // seconds of load after the window (one endpoint's statistics are read then)
const SWARM = process.env.RG_MIX_SWARM || path.join(BUILD, 'tests/bench/mix/rtp_swarm');
const CASES = (process.env.RG_MIX_CASES || 'k3,kall,kall_max3').split(',');
const ADMIN_KEY = 'bench-admin-key-0123456789';
const ROOM = 'mix';
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
const PPS_PER_PARTICIPANT = 50; // 20 ms packets

const log = (...a) => process.stderr.write(a.join(' ') + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? 'n/a' : Number(v).toFixed(d));

// ---- /proc ----

function cpuTicks(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime
}

function rssKb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

// CPU ticks of the threads whose name matches re, and how many there are.
function threadTicks(pid, re) {
  let ticks = 0, n = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      if (!re.test(fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim())) continue;
      const f = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
      n++;
    } catch { /* the thread ended */ }
  }
  return { ticks, n };
}

// ---- where the RSS grew (RG_MIX_SMAPS) ----

// Mappings of /proc/PID/smaps: start address, name, kind, size and Rss (kB).
function smapsParse(text) {
  const maps = [];
  let cur = null;
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (m) {
      const size = Number((BigInt('0x' + m[2]) - BigInt('0x' + m[1])) / 1024n);
      cur = { start: m[1], perms: m[3], name: m[4] || '', size, rss: 0 };
      maps.push(cur);
    } else if (cur && line.startsWith('Rss:')) {
      cur.rss = Number(line.split(/\s+/)[1]);
    }
  }
  return maps;
}

// Anonymous mappings named by what they likely are: glibc's per-thread
// malloc arenas are reserved in 64 MB aligned blocks, thread stacks are
// 8 MB; file mappings by library, segments summed.
function smapsKind(m) {
  if (m.name) return m.name.startsWith('/') ? path.basename(m.name) : m.name;
  if (BigInt('0x' + m.start) % (64n << 20n) === 0n && m.size <= 65536) return 'malloc arena';
  if (m.size === 8192) return 'thread stack';
  return 'anonymous';
}

function smapsSave(dir, name, stage, pid) {
  if (!dir) return null;
  fs.mkdirSync(dir, { recursive: true });
  const text = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  fs.writeFileSync(path.join(dir, `${name}.${stage}.smaps`), text);
  return smapsParse(text);
}

// Rss growth per kind of mapping between two snapshots, largest first.
function smapsGrowth(a, b) {
  const before = new Map(a.map((m) => [m.start, m]));
  const byKind = new Map();
  const add = (k, kb) => byKind.set(k, (byKind.get(k) || 0) + kb);
  for (const m of b) add(smapsKind(m), m.rss - (before.has(m.start) ? before.get(m.start).rss : 0));
  const after = new Set(b.map((m) => m.start));
  for (const m of a) if (!after.has(m.start)) add(smapsKind(m), -m.rss);
  return [...byKind].filter(([, kb]) => kb).sort((x, y) => y[1] - x[1]);
}

// Busy CPU ticks of the whole machine (every core), and the 1-minute load
// average: what else ran during a window (other users of the machine).
function machineTicks() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return f[0] + f[1] + f[2] + f[5] + f[6] + f[7]; // user nice system irq softirq steal
}

function load1() {
  return Number(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

function sample(pid, threadRe, helperRe, swarmPid) {
  let swarm = null;
  try { swarm = swarmPid ? cpuTicks(swarmPid) : null; } catch { /* it ended */ }
  return {
    t: process.hrtime.bigint(), cpu: cpuTicks(pid), rss: rssKb(pid), thr: threadRe ? threadTicks(pid, threadRe) : null,
    hel: helperRe ? threadTicks(pid, helperRe) : null, mach: machineTicks(), load: load1(), swarm,
  };
}

// ---- ports ----

function udpFree(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind(port, '127.0.0.1', () => { s.close(); resolve(true); });
  });
}

// A block of 2n free UDP ports for the swarm (participant i: base + 2i, + 1);
// the search goes on right after a busy port (other programs of the machine
// hold ports here and there in the range).
async function freeBlock(n, from, to) {
  for (let base = from; base + 2 * n <= to;) {
    let p = base;
    while (p < base + 2 * n && await udpFree(p)) p++;
    if (p === base + 2 * n) return base;
    base = p + 1 + ((p + 1) % 2); // the next even port after the busy one
  }
  throw new Error(`no block of ${2 * n} free UDP ports in ${from}-${to}`);
}

function tcpFreePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// ---- processes ----

async function stopProc(proc, graceMs = 10000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const done = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await done;
  clearTimeout(t);
}

// Runs the swarm; calls hooks.start / hooks.end on its window events and
// resolves with its final statistics.
function runSwarm(args, hooks) {
  return new Promise((resolve, reject) => {
    const p = spawn(SWARM, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '', stats = null;
    const pending = [];
    p.stderr.on('data', (d) => { err += d; });
    readline.createInterface({ input: p.stdout }).on('line', (line) => {
      let m;
      try { m = JSON.parse(line); } catch { return; }
      if (m.event === 'measure_start') pending.push(Promise.resolve(hooks.start && hooks.start(p.pid)));
      else if (m.event === 'measure_end') pending.push(Promise.resolve(hooks.end && hooks.end(p.pid)));
      else if (!m.event) stats = m;
    });
    p.on('error', reject);
    p.on('exit', async (code) => {
      try { await Promise.all(pending); } catch (e) { return reject(e); }
      if (code !== 0 || !stats) return reject(new Error(`rtp_swarm exited ${code}: ${err.trim()}`));
      resolve(stats);
    });
  });
}

// ---- roomgate ----

async function startRoomgate(dir) {
  const cfg = {
    app_id: 1,
    server_secret: '0123456789abcdef0123456789abcdef',
    admin_key: ADMIN_KEY,
    http: { listen: '127.0.0.1:0', web_root: path.join(ROOT, 'web') },
    media: { address: '127.0.0.1', rtp_ports: '20000-29999' },
    limits: { max_users_per_room: 100000 },
    log: { level: 'warn,main=info' },
  };
  if (process.env.RG_MIX_THREADS) cfg.media.mix_threads = Number(process.env.RG_MIX_THREADS);
  const cfgPath = path.join(dir, 'roomgate.jsonc');
  fs.writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  const proc = spawn(path.join(BUILD, 'roomgate'), ['--config', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('roomgate did not start:\n' + out)), 10000);
    const on = (d) => {
      out += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(out);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    };
    proc.stderr.on('data', on);
    proc.stdout.on('data', on);
    proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`roomgate exited ${code}:\n${out}`)); });
  });
  return { proc, url: `http://127.0.0.1:${port}`, log: () => out };
}

async function rgRequest(srv, method, p, body) {
  const r = await fetch(srv.url + p, {
    method,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30000),
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, text, json };
}

async function pool(n, width, fn) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) { const i = next++; out[i] = await fn(i); }
  }));
  return out;
}

// Mixer tick figures of the worker that mixes: from /metrics
// (roomgate_mixer_tick_{p50,p99,max}_microseconds{worker}: the last 256
// ticks, refreshed once a second; roomgate_mixer_ticks_total and
// roomgate_mixer_tick_overruns_total). Servers without these metrics keep
// the same figures unexported (tick_json in gateway/media/vp.c): then gdb is
// attached once, before the load starts, to learn where the mixing worker's
// struct is (vp_worker_stats(w) runs once a second on each worker; the one
// with ticks is the mixing one) and the offsets of its fields, and the ring
// of tick durations is read from /proc/PID/mem, which does not stop the
// server.
async function rgMetricsTicks(srv) {
  let text;
  try {
    const r = await fetch(srv.url + '/metrics', { headers: { authorization: `Bearer ${ADMIN_KEY}` }, signal: AbortSignal.timeout(10000) });
    text = await r.text();
  } catch { return null; }
  const per = (name) => {
    const out = {};
    for (const m of text.matchAll(new RegExp(`^${name}\\{worker="(\\d+)"\\} (\\S+)$`, 'gm'))) out[m[1]] = Number(m[2]);
    return out;
  };
  const ticks = per('roomgate_mixer_ticks_total');
  const workers = Object.keys(ticks);
  if (!workers.length) return null;
  const w = workers.reduce((a, b) => (ticks[b] > ticks[a] ? b : a)); // the worker that mixes
  return {
    ticks: ticks[w], overruns: per('roomgate_mixer_tick_overruns_total')[w],
    p50: per('roomgate_mixer_tick_p50_microseconds')[w], p99: per('roomgate_mixer_tick_p99_microseconds')[w],
    max: per('roomgate_mixer_tick_max_microseconds')[w], source: 'metrics',
    parallel: per('roomgate_mixer_parallel_jobs_total')[w], helped: per('roomgate_mixer_helper_jobs_total')[w],
  };
}

async function rgTickProbe(srv) {
  const gdb = ['/usr/bin/gdb', '/usr/local/bin/gdb'].find((g) => fs.existsSync(g));
  if (!gdb) return { error: 'no gdb' };
  const w = '((struct worker *)$rdi)';
  const args = ['-nx', '-q', '-batch', path.join(BUILD, 'roomgate'), '-p', String(srv.proc.pid),
    '-ex', 'set pagination off',
    '-ex', `break *vp_worker_stats if ${w}->tick_n > 0`, '-ex', 'continue',
    '-ex', 'p/d (long)$rdi',
    '-ex', 'p/d (long)&((struct worker *)0)->tick_us', '-ex', 'p/d (long)&((struct worker *)0)->tick_n',
    '-ex', 'p/d (long)&((struct worker *)0)->ticks', '-ex', 'p/d (long)&((struct worker *)0)->tick_overruns',
    '-ex', 'p/d sizeof(((struct worker *)0)->tick_us) / sizeof(((struct worker *)0)->tick_us[0])',
    '-ex', 'delete', '-ex', 'detach'];
  return new Promise((resolve) => {
    const g = spawn(gdb, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    g.stdout.on('data', (d) => { out += d; });
    g.stderr.on('data', (d) => { out += d; });
    const t = setTimeout(() => g.kill('SIGKILL'), 30000);
    g.on('exit', () => {
      clearTimeout(t);
      const v = [...out.matchAll(/^\$\d+ = (-?\d+)$/gm)].map((m) => BigInt(m[1]));
      if (v.length < 6) return resolve({ error: 'gdb: ' + out.trim().split('\n').slice(-3).join(' | ') });
      resolve({ addr: v[0], offRing: v[1], offN: v[2], offTicks: v[3], offOverruns: v[4], ringLen: Number(v[5]) });
    });
  });
}

function rgTickRead(pid, probe) {
  if (!probe || probe.error) return null;
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const rd = (off, len) => {
      const b = Buffer.alloc(len);
      fs.readSync(fd, b, 0, len, probe.addr + off);
      return b;
    };
    const ringBuf = rd(probe.offRing, probe.ringLen * 4);
    const ring = Array.from({ length: probe.ringLen }, (_, i) => ringBuf.readUInt32LE(i * 4));
    return {
      tickN: rd(probe.offN, 4).readUInt32LE(0),
      ticks: Number(rd(probe.offTicks, 8).readBigUInt64LE(0)),
      overruns: Number(rd(probe.offOverruns, 8).readBigUInt64LE(0)),
      ring,
    };
  } finally {
    fs.closeSync(fd);
  }
}

// Percentiles of the ring entries written between two reads (at most the
// ring's length), and the overruns in between.
function tickFigures(a, b) {
  if (!a || !b) return null;
  const n = Math.min(b.tickN - a.tickN, b.ring.length);
  if (n <= 0) return null;
  const s = [];
  for (let i = 0; i < n; i++) s.push(b.ring[(b.tickN - 1 - i + b.ring.length * 2) % b.ring.length]);
  s.sort((x, y) => x - y);
  return {
    p50: s[Math.floor(n / 2)], p99: s[Math.min(n - 1, Math.floor((n * 99) / 100))], max: s[n - 1], samples: n,
    ticks: b.ticks - a.ticks, overruns: b.overruns - a.overruns, source: 'memory',
  };
}

async function runRoomgate(n, kase) {
  const talkers = kase === 'k3' ? Math.min(3, n) : n;
  const maxTalkers = kase === 'kall' ? n : null; // null: the server's default (3)
  const name = `roomgate_n${n}_${kase}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-mix-'));
  const srv = await startRoomgate(dir);
  try {
    await sleep(500);
    const idleRss = rssKb(srv.proc.pid);
    const smapsIdle = smapsSave(process.env.RG_MIX_SMAPS, name, 'idle', srv.proc.pid);
    const base = await freeBlock(n, 30000, 39990);
    const t0 = Date.now();
    const eps = await pool(n, 4, async (i) => {
      const body = { user_id: `p${i}`, codec: 'opus', remote: `127.0.0.1:${base + 2 * i}`, audio_level_id: 1 };
      if (maxTalkers) body.max_talkers = maxTalkers;
      const r = await rgRequest(srv, 'POST', `/v1/rooms/${ROOM}/rtp-endpoints`, body);
      if (r.status !== 201) throw new Error(`creating endpoint ${i}: ${r.status} ${r.text}`);
      return r.json;
    });
    log(`  ${name}: ${n} endpoints created in ${Date.now() - t0} ms`);
    const targets = path.join(dir, 'targets');
    fs.writeFileSync(targets, eps.map((e) => e.local).join('\n') + '\n');
    const threads = /^media\d+$/, helpers = /^rg-mix-\d+$/;
    const metrics = process.env.RG_MIX_TICKS === 'memory' ? null : await rgMetricsTicks(srv);
    const probe = metrics ? null : await rgTickProbe(srv);
    if (probe && probe.error) log(`  ${name}: tick figures unavailable: ${probe.error}`);
    let s0, s1, ticks, epStats, tk0, m0, perf = null;
    const stats = await runSwarm(['--targets-file', targets, '--talkers', String(talkers), '--bind-base', String(base),
      '--warmup', String(WARMUP), '--window', String(WINDOW), '--duration', String(WARMUP + WINDOW + TAIL)], {
      start: async (swarmPid) => {
        s0 = sample(srv.proc.pid, threads, helpers, swarmPid);
        m0 = metrics ? await rgMetricsTicks(srv) : null;
        tk0 = probe ? rgTickRead(srv.proc.pid, probe) : null;
        if (process.env.RG_MIX_PERF) {
          fs.mkdirSync(process.env.RG_MIX_PERF, { recursive: true });
          perf = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '499', '--call-graph', 'dwarf,16384',
            '-p', String(srv.proc.pid), '-o', path.join(process.env.RG_MIX_PERF, `${name}.data`)], { stdio: 'ignore' });
        }
      },
      end: async (swarmPid) => {
        s1 = sample(srv.proc.pid, threads, helpers, swarmPid);
        const smapsEnd = smapsSave(process.env.RG_MIX_SMAPS, name, 'end', srv.proc.pid);
        if (smapsEnd) {
          log(`  ${name}: RSS growth since idle by mapping (kB): ` +
              smapsGrowth(smapsIdle, smapsEnd).map(([k, kb]) => `${k} ${kb > 0 ? '+' : ''}${kb}`).join(', '));
        }
        if (perf) { const done = new Promise((r) => perf.once('exit', r)); perf.kill('SIGINT'); await done; }
        if (probe) {
          ticks = tickFigures(tk0, rgTickRead(srv.proc.pid, probe));
        } else {
          const m1 = await rgMetricsTicks(srv);
          ticks = m1 && {
            ...m1, ticks: m0 ? m1.ticks - m0.ticks : undefined, overruns: m0 ? m1.overruns - m0.overruns : undefined,
            parallel: m0 && m1.parallel !== undefined ? m1.parallel - m0.parallel : undefined,
            helped: m0 && m1.helped !== undefined ? m1.helped - m0.helped : undefined,
          };
        }
        // still under load: one silent participant's view of the mixer
        const r = await rgRequest(srv, 'GET', `/v1/rooms/${ROOM}/rtp-endpoints/${eps[n - 1].id}`);
        epStats = r.json && r.json.stats;
      },
    });
    return report(name, 'roomgate', n, talkers, maxTalkers || 3, idleRss, s0, s1, stats, { ticks, epStats });
  } finally {
    await stopProc(srv.proc);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Janus AudioBridge ----

function findJanus() {
  const want = process.env.RG_MIX_JANUS || 'auto';
  if (want === '0' || want === 'off') return { skip: 'RG_MIX_JANUS=0' };
  const bin = want !== 'auto' ? want : ['/usr/bin/janus', '/usr/local/bin/janus', '/opt/janus/bin/janus'].find((b) => fs.existsSync(b));
  if (!bin || !fs.existsSync(bin)) return { skip: 'janus is not installed (Debian: apt-get install janus)' };
  const libs = ['/usr/lib/x86_64-linux-gnu/janus', '/usr/lib/aarch64-linux-gnu/janus', '/usr/lib/janus',
    '/usr/local/lib/janus', '/opt/janus/lib/janus'];
  const lib = libs.find((d) => fs.existsSync(path.join(d, 'plugins/libjanus_audiobridge.so')));
  if (!lib) return { skip: `no libjanus_audiobridge.so under ${libs.join(', ')}` };
  if (!fs.existsSync(path.join(lib, 'transports/libjanus_http.so'))) return { skip: `no HTTP transport (${lib}/transports/libjanus_http.so)` };
  const v = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10000 });
  const m = /Janus version: .*/.exec(`${v.stdout || ''}${v.stderr || ''}`);
  const version = m ? m[0] : '';
  return { bin, lib, version };
}

// A configuration folder with only what the benchmark needs: the AudioBridge
// plugin and the HTTP transport on a local port.
function janusConfig(dir, janus, httpPort) {
  const so = (sub) => fs.readdirSync(path.join(janus.lib, sub)).filter((f) => f.endsWith('.so'));
  const otherPlugins = so('plugins').filter((f) => f !== 'libjanus_audiobridge.so');
  const otherTransports = so('transports').filter((f) => f !== 'libjanus_http.so');
  const loggers = fs.existsSync(path.join(janus.lib, 'loggers')) ? so('loggers') : [];
  fs.writeFileSync(path.join(dir, 'janus.jcfg'), `general: {
	configs_folder = "${dir}"
	plugins_folder = "${janus.lib}/plugins"
	transports_folder = "${janus.lib}/transports"
	events_folder = "${janus.lib}/events"
	loggers_folder = "${janus.lib}/loggers"
	debug_level = 3
	session_timeout = 0
}
media: { rtp_port_range = "45000-45999" }
nat: { ice_ignore_list = "vmnet" }
plugins: { disable = "${otherPlugins.join(',')}" }
transports: { disable = "${otherTransports.join(',')}" }
loggers: { disable = "${loggers.join(',')}" }
events: { broadcast = false }
`);
  fs.writeFileSync(path.join(dir, 'janus.transport.http.jcfg'), `general: {
	json = "compact"
	base_path = "/janus"
	http = true
	port = ${httpPort}
	ip = "127.0.0.1"
	https = false
}
admin: { admin_http = false }
`);
  fs.writeFileSync(path.join(dir, 'janus.plugin.audiobridge.jcfg'), `general: {
	rtp_port_range = "40000-44999"
	local_ip = "127.0.0.1"
}
`);
}

class JanusApi {
  constructor(url) { this.url = url; this.tx = 0; this.waiting = new Map(); this.polling = false; }

  async post(p, body, transaction = `t${++this.tx}`) {
    const r = await fetch(this.url + p, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, transaction }), signal: AbortSignal.timeout(30000),
    });
    const j = await r.json();
    if (j.janus === 'error') throw new Error(`Janus ${body.janus}: ${j.error.code} ${j.error.reason}`);
    return { j, transaction };
  }

  async session() {
    const { j } = await this.post('/janus', { janus: 'create' });
    this.sid = j.data.id;
    this.polling = true;
    this.pollLoop();
  }

  async attach() {
    const { j } = await this.post(`/janus/${this.sid}`, { janus: 'attach', plugin: 'janus.plugin.audiobridge' });
    return j.data.id;
  }

  // A synchronous plugin request: the answer is in the response.
  async request(handle, body) {
    const { j } = await this.post(`/janus/${this.sid}/${handle}`, { janus: 'message', body });
    const d = j.plugindata && j.plugindata.data;
    if (!d || d.error_code) throw new Error(`AudioBridge ${body.request}: ${d ? `${d.error_code} ${d.error}` : JSON.stringify(j)}`);
    return d;
  }

  // An asynchronous one (join): ack, then an event with the same transaction.
  async requestAsync(handle, body) {
    const transaction = `t${++this.tx}`;
    const ev = new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.waiting.delete(transaction); reject(new Error(`no event for ${body.request}`)); }, 30000);
      this.waiting.set(transaction, (e) => { clearTimeout(t); resolve(e); });
    });
    const { j } = await this.post(`/janus/${this.sid}/${handle}`, { janus: 'message', body }, transaction);
    if (j.janus !== 'ack' && j.janus !== 'event') throw new Error(`AudioBridge ${body.request}: ${JSON.stringify(j)}`);
    if (j.janus === 'event') { this.waiting.delete(transaction); return j; }
    return ev;
  }

  async pollLoop() {
    while (this.polling) {
      try {
        const r = await fetch(`${this.url}/janus/${this.sid}?maxev=100`, { signal: AbortSignal.timeout(40000) });
        const body = await r.json();
        for (const e of Array.isArray(body) ? body : [body]) {
          const f = e.transaction && this.waiting.get(e.transaction);
          if (f) { this.waiting.delete(e.transaction); f(e); }
        }
      } catch (e) {
        if (this.polling) await sleep(100);
      }
    }
  }

  stop() { this.polling = false; }
}

async function startJanus(janus, dir) {
  const httpPort = await tcpFreePort();
  janusConfig(dir, janus, httpPort);
  const proc = spawn(janus.bin, ['-F', dir, '-C', path.join(dir, 'janus.jcfg'), '-o'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { out += d; });
  const url = `http://127.0.0.1:${httpPort}`;
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`janus exited ${proc.exitCode}:\n${out.slice(-3000)}`);
    try {
      const r = await fetch(url + '/janus/info', { signal: AbortSignal.timeout(1000) });
      if (r.ok) break;
    } catch { /* not yet */ }
    if (i > 100) { await stopProc(proc, 2000); throw new Error(`janus did not answer on ${url}:\n${out.slice(-3000)}`); }
    await sleep(100);
  }
  return { proc, url, log: () => out };
}

async function runJanus(janus, n, kase) {
  const talkers = kase === 'k3' ? Math.min(3, n) : n;
  const name = `janus_n${n}_${kase}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'janus-mix-'));
  const srv = await startJanus(janus, dir);
  const api = new JanusApi(srv.url);
  try {
    await sleep(500);
    const idleRss = rssKb(srv.proc.pid);
    const base = await freeBlock(n, 30000, 39990);
    await api.session();
    const admin = await api.attach();
    const room = 1234;
    await api.request(admin, {
      request: 'create', room, sampling_rate: 48000, allow_rtp_participants: true,
      audiolevel_ext: true, record: false, description: 'mix benchmark',
    });
    const t0 = Date.now();
    const joined = await pool(n, 4, async (i) => {
      const h = await api.attach();
      const e = await api.requestAsync(h, {
        request: 'join', room, display: `p${i}`, muted: false,
        // the encoder settings of roomgate's RTP endpoints (32 kbit/s, FEC for 5 % loss)
        bitrate: 32000, expected_loss: 5,
        rtp: { ip: '127.0.0.1', port: base + 2 * i, payload_type: 111, audiolevel_ext: 1, fec: true },
      });
      const d = e.plugindata && e.plugindata.data;
      if (!d || d.audiobridge !== 'joined' || !d.rtp || !d.rtp.port) {
        throw new Error(`join ${i}: no plain RTP answer: ${JSON.stringify(e).slice(0, 500)}`);
      }
      return `${d.rtp.ip && d.rtp.ip !== '0.0.0.0' ? d.rtp.ip : '127.0.0.1'}:${d.rtp.port}`;
    });
    log(`  ${name}: ${n} plain RTP participants joined in ${Date.now() - t0} ms`);
    const targets = path.join(dir, 'targets');
    fs.writeFileSync(targets, joined.join('\n') + '\n');
    let s0, s1;
    const stats = await runSwarm(['--targets-file', targets, '--talkers', String(talkers), '--bind-base', String(base),
      '--warmup', String(WARMUP), '--window', String(WINDOW), '--duration', String(WARMUP + WINDOW + 1), '--janus'], {
      start: (swarmPid) => { s0 = sample(srv.proc.pid, null, null, swarmPid); },
      end: (swarmPid) => { s1 = sample(srv.proc.pid, null, null, swarmPid); },
    });
    return report(name, 'janus', n, talkers, 'all', idleRss, s0, s1, stats, { threads: fs.readdirSync(`/proc/${srv.proc.pid}/task`).length });
  } finally {
    api.stop();
    await stopProc(srv.proc, 5000);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---- results ----

function report(name, server, n, talkers, maxTalkers, idleRss, s0, s1, st, extra) {
  const wall = Number(s1.t - s0.t) / 1e9;
  const cpuPct = ((s1.cpu - s0.cpu) / CLK_TCK / wall) * 100;
  const rssDelta = Math.max(0, s1.rss - idleRss);
  const silent = st.check.find((c) => !c.talker);
  const talker = st.check.find((c) => c.talker);
  const r = {
    name, server, n, talkers, cpuPct,
    fields: {
      participants: n,
      talkers,
      max_talkers: maxTalkers,
      cpu_pct: fmt(cpuPct, 1),
      cpu_pct_per_participant: fmt(cpuPct / n, 3),
      rss_kb_per_participant: fmt(rssDelta / n, 1),
      rss_mb: fmt(s1.rss / 1024, 1),
      idle_rss_mb: fmt(idleRss / 1024, 1),
      pkts_out_per_s: fmt(st.recv_pps, 0),
      pkts_out_expected: n * PPS_PER_PARTICIPANT,
      pkts_in_per_s: fmt(st.sent_pps_window, 0),
      cpu_us_per_pkt_out: fmt(st.recv_pps > 0 ? ((s1.cpu - s0.cpu) / CLK_TCK * 1e6) / (st.recv_pps * wall) : NaN, 1),
      deaf_participants: st.participants_receiving_nothing,
      heard_dbov: silent ? fmt(silent.rms_dbov, 1) : 'n/a',
      talker_heard_dbov: talker ? fmt(talker.rms_dbov, 1) : 'n/a',
      swarm_late_ticks: st.late_ticks_window,
      load1_start: fmt(s0.load, 2),
      load1_end: fmt(s1.load, 2),
      machine_cpu_pct: fmt((s1.mach - s0.mach) / CLK_TCK / wall * 100, 1),
      swarm_cpu_pct: s0.swarm !== null && s1.swarm !== null ? fmt((s1.swarm - s0.swarm) / CLK_TCK / wall * 100, 1) : 'n/a',
      // the machine's busy time is sampled per kernel tick, a process's is
      // exact: a few % apart, so "nothing else" can come out slightly below 0
      others_cpu_pct: s0.swarm !== null && s1.swarm !== null
        ? fmt(Math.max(0, ((s1.mach - s0.mach) - (s1.cpu - s0.cpu) - (s1.swarm - s0.swarm)) / CLK_TCK / wall * 100), 1) : 'n/a',
    },
  };
  if (server === 'roomgate') {
    const t = extra.ticks || {};
    r.fields.tick_p50_us = t.p50 ?? 'n/a';
    r.fields.tick_p99_us = t.p99 ?? 'n/a';
    r.fields.tick_max_us = t.max ?? 'n/a';
    if (t.samples !== undefined) r.fields.tick_samples = t.samples;
    if (s0.thr && s1.thr) {
      const us = ((s1.thr.ticks - s0.thr.ticks) / CLK_TCK) * 1e6;
      r.fields.worker_us_per_tick = fmt(us / (wall * PPS_PER_PARTICIPANT), 0);
    }
    if (s0.hel && s1.hel && s1.hel.n) {
      const us = ((s1.hel.ticks - s0.hel.ticks) / CLK_TCK) * 1e6;
      r.fields.helper_threads = s1.hel.n;
      r.fields.helper_us_per_tick = fmt(us / (wall * PPS_PER_PARTICIPANT), 0);
    }
    if (t.parallel !== undefined && t.ticks) {
      r.fields.parallel_jobs_per_tick = fmt(t.parallel / t.ticks, 1);
      r.fields.helper_jobs_pct = fmt(t.parallel ? (100 * t.helped) / t.parallel : 0, 1);
    }
    const mix = extra.epStats && extra.epStats.mix;
    if (mix) r.fields.talkers_mixed = (mix.talkers || []).length;
    if (extra.epStats && Array.isArray(extra.epStats.inputs)) {
      r.fields.inputs_decoded_last_tick = extra.epStats.inputs.filter((i) => i.mixed).length;
    }
    if (t.source) r.fields.tick_source = t.source;
    if (t.overruns !== undefined && t.ticks !== undefined) {
      r.fields.ticks_per_s = fmt(t.ticks / wall, 1);
      r.fields.tick_overruns = t.overruns;
    }
  } else {
    r.fields.tick_p50_us = 'n/a';
    r.fields.tick_p99_us = 'n/a';
    r.fields.threads = extra.threads;
  }
  const line = `BENCH mix ${name} ` + Object.entries(r.fields).map(([k, v]) => `${k}=${v}`).join(' ');
  process.stdout.write(line + '\n');
  log(`  ${name}: swarm ${JSON.stringify(st)}`);
  // one row of tests/bench/run.sh's table
  const label = { k3: `${talkers} talkers`, kall: `all ${n} talk, all mixed`, kall_max3: `all ${n} talk, 3 loudest mixed` };
  const kase = name.replace(/^.*_n\d+_/, '');
  log(`ROW| mixer | ${server}: ${n} RTP participants, ${label[kase] || kase} | ${r.fields.pkts_out_per_s} pkt/s out ` +
      `(of ${r.fields.pkts_out_expected}) | ${r.fields.cpu_pct} % (${r.fields.cpu_pct_per_participant} %/participant) | ` +
      `${server === 'roomgate' ? `tick ${r.fields.tick_p50_us} / ${r.fields.tick_p99_us} us` : ''} | ` +
      `${r.fields.rss_kb_per_participant} KB/participant | ${r.fields.deaf_participants} deaf |`);
  return r;
}

async function main() {
  if (!fs.existsSync(SWARM)) throw new Error(`no ${SWARM} (build the bench tools: make build)`);
  if (!fs.existsSync(path.join(BUILD, 'roomgate'))) throw new Error(`no ${path.join(BUILD, 'roomgate')}`);
  const janus = findJanus();
  log(`== mixer benchmark: N = ${NS.join(', ')}; cases ${CASES.join(', ')}; warm-up ${WARMUP} s, window ${WINDOW} s; ` +
      `${os.cpus().length} cores; server CPU in % of one core`);
  if (janus.skip) log(`== Janus AudioBridge: not run: ${janus.skip}`);
  else log(`== Janus AudioBridge: ${janus.bin} (${janus.version || 'version unknown'}), plugins in ${janus.lib}`);
  let janusBroken = janus.skip ? janus.skip : null;
  const t0 = Date.now();
  for (const n of NS) {
    const rg = {};
    for (const kase of CASES) {
      try {
        rg[kase] = await runRoomgate(n, kase);
      } catch (e) {
        log(`  roomgate_n${n}_${kase}: FAILED: ${e.stack || e}`);
        process.stdout.write(`BENCH mix roomgate_n${n}_${kase} status=failed\n`);
      }
    }
    for (const kase of CASES.filter((k) => k !== 'kall_max3')) {
      if (janusBroken) {
        process.stdout.write(`BENCH mix janus_n${n}_${kase} status=not_run\n`);
        continue;
      }
      let jr = null;
      try {
        jr = await runJanus(janus, n, kase);
      } catch (e) {
        log(`  janus_n${n}_${kase}: FAILED: ${e.stack || e}`);
        process.stdout.write(`BENCH mix janus_n${n}_${kase} status=failed\n`);
        if (/janus exited|did not answer|Plain RTP|no plain RTP answer/.test(String(e))) janusBroken = String(e).split('\n')[0];
      }
      const pairs = kase === 'kall' ? [['kall', rg.kall], ['kall_max3', rg.kall_max3]] : [[kase, rg[kase]]];
      for (const [rk, r] of pairs) {
        if (!jr || !r) continue;
        const jf = jr.fields, rf = r.fields;
        const perPkt = Number(jf.cpu_us_per_pkt_out) / Number(rf.cpu_us_per_pkt_out);
        process.stdout.write(`BENCH mix ratio_n${n}_${rk} cpu_ratio_janus_over_roomgate=${fmt(jr.cpuPct / r.cpuPct, 2)} ` +
          `cpu_per_pkt_out_ratio_janus_over_roomgate=${fmt(perPkt, 2)} janus_cpu_pct=${jf.cpu_pct} roomgate_cpu_pct=${rf.cpu_pct} ` +
          `janus_pkts_out_per_s=${jf.pkts_out_per_s} roomgate_pkts_out_per_s=${rf.pkts_out_per_s}\n`);
      }
    }
  }
  if (janusBroken && !janus.skip) log(`== Janus AudioBridge stopped being run after: ${janusBroken}`);
  log(`== mixer benchmark done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

main().catch((e) => { log(`mix_bench: ${e.stack || e}`); process.exit(1); });
