// SIP benchmark: SIPp places N concurrent calls (PCMU, 20 ms) into one room
// through the SIP gateway; each call plays a µ-law tone from a pcap for the
// whole call. Over a steady window with every call up it measures the
// server's CPU and RSS (total and per call) and the RTP packets per second
// into and out of the server (from the calls' statistics), checks that
// every call received and sent packets, and that a call's stream carries
// its tone. Run by run.sh; see README.md.
//
// Usage: node sip_bench.js BUILD_DIR
// Environment:
//   RG_SIP_BENCH_CALLS   concurrent calls (default 50)
//   RG_SIP_BENCH_S       measured window in seconds (default 60)
//   RG_SIP_BENCH_RATE    new calls per second while they are placed (default 10)
//   RG_SIP_BENCH_WARMUP  seconds between the last answer and the window (default 3)
//   ROOMGATE_BIN         the server binary (default BUILD_DIR/roomgate)
//   RG_SIP_BENCH_PERF    a file: the window is recorded there with perf
//                        (cpu-clock, DWARF call graphs) for `perf report -i FILE`
//
// stdout: "BENCH sip key=value ..."; stderr: progress, details and the
// table row (ROW| ..., for tests/bench/run.sh). Exit code 0 when every call
// succeeded and carried audio both ways, 1 otherwise, 77 when it cannot run
// here (no SIPp; not root: SIPp plays pcaps through a raw socket).
'use strict';
const { spawn, execFileSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const BUILD = path.resolve(process.argv[2] || 'build');
const ROOT = path.resolve(__dirname, '../../..');
const BIN = process.env.ROOMGATE_BIN || path.join(BUILD, 'roomgate');
const CALLS = Number(process.env.RG_SIP_BENCH_CALLS || 50);
const WINDOW = Number(process.env.RG_SIP_BENCH_S || 60);
const RATE = Number(process.env.RG_SIP_BENCH_RATE || 10);
const WARMUP = Number(process.env.RG_SIP_BENCH_WARMUP || 3);
const ADMIN_KEY = 'bench-admin-key-0123456789';
const ROOM = 'sipbench';
const TONE_HZ = 440;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
// Each call lasts long enough to cover placing every call, the warm-up, the
// window, the audio check and some slack for a loaded machine.
const CALL_S = Math.ceil(CALLS / RATE) + WARMUP + WINDOW + 12;

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

// CPU ticks of the media worker threads (media0, media1, ...).
function workerTicks(pid) {
  let ticks = 0;
  for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      if (!/^media\d+$/.test(fs.readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim())) continue;
      const f = fs.readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8').split(') ')[1].split(' ');
      ticks += Number(f[11]) + Number(f[12]);
    } catch { /* the thread ended */ }
  }
  return ticks;
}

function sample(pid) {
  return { t: process.hrtime.bigint(), cpu: cpuTicks(pid), workers: workerTicks(pid), rss: rssKb(pid) };
}

function loadavg() {
  return os.loadavg().map((x) => x.toFixed(2)).join(' ');
}

// ---- ports ----

function udpFree(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => { s.close(); resolve(false); });
    s.bind(port, '127.0.0.1', () => { s.close(); resolve(true); });
  });
}

function tcpFree(port) {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// A port p (even) such that p .. p+span-1 are free over UDP (and TCP for p).
async function freePorts(from, to, span, tcp = false) {
  for (let p = from + Math.floor(Math.random() * ((to - from) / 2)) * 2, tries = 0; tries < 500; tries++, p += 2) {
    if (p + span > to) p = from;
    let ok = !tcp || await tcpFree(p);
    for (let i = 0; i < span && ok; i++) ok = await udpFree(p + i);
    if (ok) return p;
  }
  throw new Error(`no ${span} free UDP ports in ${from}-${to}`);
}

// ---- the server ----

async function startRoomgate(dir, sipPort) {
  const cfg = {
    app_id: 1,
    server_secret: '0123456789abcdef0123456789abcdef',
    admin_key: ADMIN_KEY,
    http: { listen: '127.0.0.1:0', web_root: path.join(ROOT, 'web') },
    media: { address: '127.0.0.1', rtp_ports: '20000-23999' },
    limits: { max_users_per_room: 10000 },
    sip: {
      listen: `127.0.0.1:${sipPort}`, codecs: 'opus,g722,pcmu,pcma',
      dial_in: [{ user_regex: '^bench$', room: ROOM, user_name: 'phone ${caller}' }],
    },
    log: { level: 'warn,main=info' },
  };
  const cfgPath = path.join(dir, 'roomgate.jsonc');
  fs.writeFileSync(cfgPath, JSON.stringify(cfg, null, 2));
  const proc = spawn(BIN, ['--config', cfgPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('roomgate did not start:\n' + out)), 15000);
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

async function rg(srv, method, p, body) {
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

// The mixer clock of the worker that mixes (the one with the most ticks):
// ticks run and ticks caught up late (roomgate_mixer_ticks_total and
// roomgate_mixer_tick_overruns_total in /metrics).
async function mixerTicks(srv) {
  let text;
  try {
    text = await (await fetch(srv.url + '/metrics', { signal: AbortSignal.timeout(10000) })).text();
  } catch { return null; }
  const per = (name) => Object.fromEntries([...text.matchAll(new RegExp(`^${name}\\{worker="(\\d+)"\\} (\\S+)$`, 'gm'))]
    .map((m) => [m[1], Number(m[2])]));
  const ticks = per('roomgate_mixer_ticks_total'), overruns = per('roomgate_mixer_tick_overruns_total');
  const w = Object.keys(ticks).reduce((a, b) => (a === null || ticks[b] > ticks[a] ? b : a), null);
  return w === null ? null : { w, ticks: ticks[w], overruns: overruns[w] || 0 };
}

async function listCalls(srv) {
  const r = await rg(srv, 'GET', `/v1/rooms/${ROOM}/sip-calls`);
  return r.status === 200 ? r.json.sip_calls : [];
}

// Every answered call with its statistics, at one moment.
async function callStats(srv, ids) {
  const t = process.hrtime.bigint();
  const out = new Map();
  for (const id of ids) {
    const r = await rg(srv, 'GET', `/v1/rooms/${ROOM}/sip-calls/${id}`);
    if (r.status === 200) out.set(id, r.json);
  }
  return { t, calls: out };
}

async function stopProc(proc, graceMs = 15000) {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  const done = new Promise((r) => proc.once('exit', (code, sig) => r(code === null ? sig : code)));
  proc.kill('SIGTERM');
  const t = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  const code = await done;
  clearTimeout(t);
  return code;
}

// ---- SIPp ----

function runSipp(dir, sipPort, localPort, mediaPort) {
  const args = ['-sf', path.join(dir, 'scen_uac_pcmu.xml'), '-i', '127.0.0.1', '-mi', '127.0.0.1',
    '-p', String(localPort), '-mp', String(mediaPort), '-s', 'bench',
    '-l', String(CALLS), '-m', String(CALLS), '-r', String(RATE), '-d', String(CALL_S * 1000),
    '-nostdin', '-trace_stat', '-stf', path.join(dir, 'stat.csv'), '-fd', '1',
    '-trace_rtt', '-rtt_freq', '1', '-trace_err', '-error_file', path.join(dir, 'errors.log'),
    '-timeout', `${CALL_S + 60}s`, '-timeout_error', `127.0.0.1:${sipPort}`];
  const p = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  p.out = '';
  const keep = (d) => { p.out = (p.out + d).slice(-20000); };
  p.stdout.on('data', keep);
  p.stderr.on('data', keep);
  p.done = new Promise((r) => p.on('exit', (code, sig) => r(code === null ? sig : code)));
  p.cmd = `sipp ${args.join(' ')}`;
  return p;
}

// The last line of SIPp's statistics file as {column: value}.
function sippStats(dir) {
  const f = path.join(dir, 'stat.csv');
  if (!fs.existsSync(f)) return {};
  const lines = fs.readFileSync(f, 'utf8').trim().split('\n');
  if (lines.length < 2) return {};
  const head = lines[0].split(';'), last = lines[lines.length - 1].split(';');
  return Object.fromEntries(head.map((h, i) => [h, last[i]]));
}

// INVITE -> 200 times (ms, whole) from SIPp's -trace_rtt file (Date_ms;response_time_ms;rtd_no).
function setupTimes(dir) {
  const f = fs.readdirSync(dir).find((n) => n.endsWith('_rtt.csv'));
  if (!f) return [];
  return fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').slice(1)
    .map((l) => Number(l.split(';')[1])).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
}

const pct = (s, p) => (s.length ? s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] : NaN);

// ---- the audio check ----

function ulawToLinear(u) {
  u = ~u & 0xff;
  const t = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return (u & 0x80 ? 0x84 - t : t - 0x84) / 32768;
}

// RMS of the f Hz component of x (8 kHz), Goertzel over 0.1 s Hann blocks.
function toneRms(x, f, rate = 8000) {
  const N = rate / 10, k = 2 * Math.cos((2 * Math.PI * f) / rate);
  let sum = 0, blocks = 0;
  for (let o = 0; o + N <= x.length; o += N) {
    let s1 = 0, s2 = 0;
    for (let i = 0; i < N; i++) {
      const s0 = x[o + i] * (0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (N - 1))) + k * s1 - s2;
      s2 = s1; s1 = s0;
    }
    sum += ((2 * Math.sqrt(s1 * s1 + s2 * s2 - k * s1 * s2)) / (N * 0.5)) / Math.SQRT2;
    blocks++;
  }
  return blocks ? sum / blocks : 0;
}

// What the room hears from one call: a PCMU send endpoint playing the call's
// stream to a local socket for `seconds`; the tone's RMS and the total RMS.
async function listenToCall(srv, streamId, seconds) {
  const sock = dgram.createSocket('udp4');
  await new Promise((r) => sock.bind(0, '127.0.0.1', r));
  const samples = [];
  sock.on('message', (m) => {
    if (m.length <= 12 || (m[1] & 0x7f) !== 0) return;
    const cc = m[0] & 0x0f, ext = m[0] & 0x10;
    let off = 12 + 4 * cc;
    if (ext && m.length >= off + 4) off += 4 + 4 * m.readUInt16BE(off + 2);
    for (let i = off; i < m.length; i++) samples.push(ulawToLinear(m[i]));
  });
  const ep = await rg(srv, 'POST', `/v1/rooms/${ROOM}/rtp-endpoints`, {
    user_id: 'bench_listener', direction: 'send', codec: 'pcmu', play: streamId, remote: `127.0.0.1:${sock.address().port}`,
  });
  if (ep.status !== 201) { sock.close(); throw new Error(`listener endpoint: ${ep.status} ${ep.text}`); }
  await sleep(seconds * 1000);
  await rg(srv, 'DELETE', `/v1/rooms/${ROOM}/rtp-endpoints/${ep.json.id}`);
  sock.close();
  const x = Float64Array.from(samples.slice(4000)); // skip the first 0.5 s
  const rms = Math.sqrt(x.reduce((a, v) => a + v * v, 0) / Math.max(1, x.length));
  return { samples: samples.length, tone: toneRms(x, TONE_HZ), other: toneRms(x, 1000), rms };
}

// ---- the run ----

async function main() {
  if (!fs.existsSync(BIN)) throw new Error(`no ${BIN} (make build)`);
  const cannot = !fs.existsSync('/usr/bin/sipp') ? 'SIPp is not installed (Debian: sip-tester)'
    : process.getuid() !== 0 ? 'not root: SIPp plays the pcap through a raw socket' : null;
  if (cannot) {
    log(`sip_bench: not run: ${cannot}`);
    process.exitCode = 77;
    return;
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-sip-bench-'));
  fs.copyFileSync(path.join(__dirname, 'scen_uac_pcmu.xml'), path.join(dir, 'scen_uac_pcmu.xml'));
  execFileSync(process.execPath, [path.join(__dirname, 'mk_ulaw_pcap.js'), path.join(dir, 'ulaw_tone.pcap'),
    String(CALL_S + 5), String(TONE_HZ), '0.25']);
  // below the kernel's ephemeral ports (32768-60999): no other process's
  // "bind to port 0" takes them while the benchmark runs
  const sipPort = await freePorts(24000, 24998, 1, true);
  const localPort = await freePorts(25000, 25498, 1);
  const mediaPort = await freePorts(25500, 25998, 3); // SIPp binds mp and mp + 2
  log(`== SIP benchmark: ${CALLS} calls (PCMU 20 ms, µ-law ${TONE_HZ} Hz tone from a pcap) into one room, ` +
      `${RATE} calls/s, warm-up ${WARMUP} s, window ${WINDOW} s, each call ${CALL_S} s; ${os.cpus().length} cores, ` +
      `load average ${loadavg()}`);
  const srv = await startRoomgate(dir, sipPort);
  let sipp = null, ok = false;
  try {
    await sleep(500);
    const idleRss = rssKb(srv.proc.pid);
    const idleCpu = cpuTicks(srv.proc.pid);
    const tPlace = Date.now();
    sipp = runSipp(dir, sipPort, localPort, mediaPort);
    log(`  ${sipp.cmd}`);
    // every call answered (or SIPp gave up)
    let answered = [];
    const deadline = Date.now() + (CALLS / RATE + 30) * 1000;
    while (Date.now() < deadline && sipp.exitCode === null) {
      answered = (await listCalls(srv)).filter((c) => c.state === 'answered');
      if (answered.length >= CALLS) break;
      await sleep(250);
    }
    const placedMs = Date.now() - tPlace;
    log(`  ${answered.length} of ${CALLS} calls answered after ${placedMs} ms; load average ${loadavg()}`);
    if (!answered.length) throw new Error(`no call was answered; SIPp: ${sipp.out.slice(-3000)}`);
    const placeCpu = cpuTicks(srv.proc.pid) - idleCpu;
    await sleep(WARMUP * 1000);
    const ids = answered.map((c) => c.id);
    const st0 = await callStats(srv, ids);
    const m0 = await mixerTicks(srv);
    const s0 = sample(srv.proc.pid);
    const load0 = loadavg();
    const perf = process.env.RG_SIP_BENCH_PERF ? spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', '499', '--call-graph', 'dwarf,16384',
      '-p', String(srv.proc.pid), '-o', process.env.RG_SIP_BENCH_PERF], { stdio: 'ignore' }) : null;
    await sleep(WINDOW * 1000);
    const s1 = sample(srv.proc.pid);
    if (perf) { const done = new Promise((r) => perf.once('exit', r)); perf.kill('SIGINT'); await done; }
    const load1 = loadavg();
    const m1 = await mixerTicks(srv);
    const st1 = await callStats(srv, ids);
    // the window's figures
    const wall = Number(s1.t - s0.t) / 1e9;
    const cpuPct = ((s1.cpu - s0.cpu) / CLK_TCK / wall) * 100;
    const workerPct = ((s1.workers - s0.workers) / CLK_TCK / wall) * 100;
    const statWall = Number(st1.t - st0.t) / 1e9;
    let inPkts = 0, outPkts = 0, lost = 0, sendErrors = 0, deaf = 0, mute = 0, notUp = 0, noTalkers = 0;
    const problems = [];
    for (const id of ids) {
      const a = st0.calls.get(id), b = st1.calls.get(id);
      if (!a || !b || b.state !== 'answered') { notUp++; problems.push(`${id}: ${b ? b.state : 'gone'} at the end of the window`); continue; }
      const ra = (a.stats.received || {}), rb = (b.stats.received || {}), sa = (a.stats.sent || {}), sb = (b.stats.sent || {});
      const dIn = (rb.packets || 0) - (ra.packets || 0), dOut = (sb.packets || 0) - (sa.packets || 0);
      inPkts += dIn;
      outPkts += dOut;
      lost += (rb.packets_lost || 0) - (ra.packets_lost || 0);
      sendErrors += (sb.send_errors || 0) - (sa.send_errors || 0);
      if (dIn <= 0) { mute++; problems.push(`${id}: received nothing in the window`); }
      if (dOut <= 0) { deaf++; problems.push(`${id}: was sent nothing in the window`); }
      if (!b.stats.mix || !(b.stats.mix.talkers || []).length) noTalkers++;
    }
    const up = ids.length - notUp;
    const rssKbPerCall = (s1.rss - idleRss) / up;
    // what the room hears from the first call: its tone
    let heard = null;
    try {
      heard = await listenToCall(srv, answered[0].stream_id, 2);
    } catch (e) {
      problems.push(`audio check: ${e.message}`);
    }
    const toneOk = heard && heard.tone > 0.05 && heard.other < heard.tone / 10;
    // the calls end with SIPp's BYEs
    const sippCode = await sipp.done;
    await sleep(500);
    const ended = (await listCalls(srv)).filter((c) => c.state === 'ended');
    const byes = ended.filter((c) => c.reason === 'remote_bye').length;
    const ss = sippStats(dir);
    const attempted = Number(ss['TotalCallCreated'] || 0), succeeded = Number(ss['SuccessfulCall(C)'] || 0),
      failed = Number(ss['FailedCall(C)'] || 0);
    const setup = setupTimes(dir);
    const fields = {
      calls: CALLS, window_s: fmt(wall, 1), calls_attempted: attempted, calls_succeeded: succeeded, calls_failed: failed,
      sipp_exit: sippCode, answered: answered.length, up_in_window: up, ended_by_bye: byes,
      setup_p50_ms: fmt(pct(setup, 50), 1), setup_p99_ms: fmt(pct(setup, 99), 1), setup_max_ms: fmt(setup[setup.length - 1], 1),
      place_ms: placedMs, place_cpu_ms_per_call: fmt((placeCpu / CLK_TCK / Math.max(1, answered.length)) * 1000, 2),
      cpu_pct: fmt(cpuPct, 1), cpu_pct_per_call: fmt(cpuPct / up, 3), worker_cpu_pct: fmt(workerPct, 1),
      rss_idle_mb: fmt(idleRss / 1024, 1), rss_mb: fmt(s1.rss / 1024, 1), rss_kb_per_call: fmt(rssKbPerCall, 0),
      rtp_in_pps: fmt(inPkts / statWall, 0), rtp_out_pps: fmt(outPkts / statWall, 0), rtp_expected_pps: up * 50,
      mixer_ticks_per_s: m0 && m1 && m0.w === m1.w ? fmt((m1.ticks - m0.ticks) / wall, 1) : 'n/a',
      mixer_tick_overruns: m0 && m1 && m0.w === m1.w ? m1.overruns - m0.overruns : 'n/a',
      packets_lost: lost, send_errors: sendErrors, calls_received_nothing: mute, calls_sent_nothing: deaf,
      calls_hearing_no_talker: noTalkers,
      tone_rms: heard ? fmt(heard.tone, 3) : 'n/a', tone_other_rms: heard ? fmt(heard.other, 4) : 'n/a',
      load_start: `"${load0}"`, load_end: `"${load1}"`,
    };
    process.stdout.write('BENCH sip ' + Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ') + '\n');
    for (const p of problems.slice(0, 20)) log(`  problem: ${p}`);
    if (sippCode !== 0) {
      log(`  SIPp exited ${sippCode}; its errors:`);
      try { log(fs.readFileSync(path.join(dir, 'errors.log'), 'utf8').slice(-3000)); } catch { log('  (none written)'); }
    }
    ok = sippCode === 0 && succeeded === CALLS && failed === 0 && up === CALLS && !mute && !deaf && toneOk && byes === CALLS;
    log(`ROW| sip | ${CALLS} SIPp calls x ${fmt(wall, 0)} s, PCMU, one room (mixed, 3 loudest) | ` +
        `${fields.rtp_in_pps} pkt/s in, ${fields.rtp_out_pps} pkt/s out (of ${fields.rtp_expected_pps}) | ` +
        `${fields.cpu_pct} % (${fields.cpu_pct_per_call} % per call) | ` +
        `setup ${fields.setup_p50_ms} / ${fields.setup_p99_ms} ms | ${fields.rss_kb_per_call} KB per call (${fields.rss_mb} MB) | ` +
        `${succeeded} of ${attempted} calls ok, ${failed} failed; ${mute + deaf} without audio |`);
    log(`  ${ok ? 'ok' : 'FAILED'}: ${succeeded}/${CALLS} calls succeeded (SIPp exit ${sippCode}), ${up} up through the window, ` +
        `${byes} ended by BYE; the room hears the first call at ${TONE_HZ} Hz: ${heard ? `${fmt(heard.tone, 3)} RMS ` +
        `(1000 Hz ${fmt(heard.other, 4)}, ${heard.samples} samples)` : 'not measured'}`);
  } finally {
    if (sipp && sipp.exitCode === null) sipp.kill('SIGKILL');
    const code = await stopProc(srv.proc);
    if (code !== 0) { log(`  roomgate exited ${code}; last log:\n${srv.log().slice(-3000)}`); ok = false; }
    if (ok) fs.rmSync(dir, { recursive: true, force: true });
    else log(`  files kept in ${dir}`);
  }
  process.exitCode = ok ? 0 : 1;
}

main().catch((e) => { log(`sip_bench: ${e.stack || e}`); process.exit(1); });
