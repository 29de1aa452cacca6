// Helpers for the SIP suites: processes that are stopped with the suite,
// free ports, SIPp runs that must succeed, polling with the server log on
// failure, and a webhook receiver that collects the server's events.
'use strict';
const assert = require('node:assert');
const { spawn } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { sleep } = require('./harness');

const SIPP_DIR = path.join(__dirname, '..', 'sipp');

// Whether a UDP port can be bound on 127.0.0.1 now.
function udpFree(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

// n distinct ports free over TCP and UDP (SIPp and baresip take both; the
// TCP ones are held open together while they are chosen, and a port whose
// UDP side is taken, e.g. by a load test's thousands of sockets, is
// replaced).
async function freePorts(n) {
  const servers = [];
  const ports = [];
  for (let tries = 0; ports.length < n; tries++) {
    if (tries > 50 * n) throw new Error(`no ${n} ports free over TCP and UDP`);
    const srv = await new Promise((resolve) => {
      const x = net.createServer();
      x.listen(0, '127.0.0.1', () => resolve(x));
    });
    servers.push(srv);
    const p = srv.address().port;
    if (await udpFree(p)) ports.push(p);
  }
  await Promise.all(servers.map((x) => new Promise((r) => x.close(r))));
  return ports;
}

async function freePort() {
  return (await freePorts(1))[0];
}

// A port free over TCP and UDP whose next port is free over TCP and UDP
// too (a SIP listener and its TLS neighbour).
async function freePortPair() {
  for (let i = 0; i < 50; i++) {
    const [p] = await freePorts(1);
    if (p >= 65535) continue;
    const ok = await new Promise((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(p + 1, '127.0.0.1', () => s.close(() => resolve(true)));
    });
    if (ok && await udpFree(p) && await udpFree(p + 1)) return p;
  }
  throw new Error('no free pair of ports');
}

// A baresip 1.0.0 (headless) in <dir>/<name>: plays wav, records what it
// hears into rec/ (*-dec.wav), answers by itself when auto. It listens on
// UDP and TCP at port and for TLS at port + 1; with cert (a PEM file with
// a certificate and its key) its TLS side has that certificate (shown by
// its listener, and to servers that ask for one). baresip 1.0.0 does not
// check the certificate of a server it connects to.
async function baresipDir(dir, name, { wav, codecs, auto = false, rtpPorts, cert }) {
  const d = path.join(dir, name), rec = path.join(d, 'rec');
  fs.mkdirSync(rec, { recursive: true });
  const port = await freePortPair();
  fs.writeFileSync(path.join(d, 'config'), [
    'poll_method epoll', `sip_listen 127.0.0.1:${port}`, 'net_interface 127.0.0.1',
    `rtp_ports ${rtpPorts}`, 'call_local_timeout 120', 'audio_player alsa,null',
    `audio_source aufile,${wav}`, 'audio_alert alsa,null', 'rtcp_mux no', 'jitter_buffer_delay 5-10',
    ...(cert ? [`sip_certificate ${cert}`] : []),
    'module_path /usr/lib/baresip/modules', 'module g711.so', 'module opus.so', 'module alsa.so',
    'module aufile.so', 'module sndfile.so', 'module_tmp uuid.so', 'module_tmp account.so',
    'module_app menu.so', `snd_path ${rec}`, 'opus_bitrate 64000', ''].join('\n'));
  fs.writeFileSync(path.join(d, 'accounts'),
    `<sip:${name}@127.0.0.1:${port}>;regint=0;answermode=${auto ? 'auto' : 'manual'};audio_codecs=${codecs}\n`);
  fs.writeFileSync(path.join(d, 'contacts'), '');
  return { dir: d, rec, port, tlsPort: port + 1 };
}

// Processes started through run() (or given to track()) are killed by
// stopAll(), but for those in keep.
const started = [];
function track(p) {
  started.push(p);
  return p;
}

function run(cmd, args, opts = {}) {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  p.out = '';
  p.stdout.on('data', (d) => { p.out += d; });
  p.stderr.on('data', (d) => { p.out += d; });
  p.done = new Promise((r) => p.on('exit', (c, sig) => r(c === null ? sig : c)));
  return track(p);
}

function stopAll(keep = []) {
  for (const p of started) if (!keep.includes(p) && p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
}

// One SIPp run of a scenario in tests/integration/sipp (one call unless
// args say otherwise); its errors go to <dir>/<scenario>.err.
function sipp(dir, scenario, args, { timeout = '20s' } = {}) {
  return run('sipp', ['-sf', path.join(SIPP_DIR, scenario), '-i', '127.0.0.1', '-m', '1',
    '-timeout', timeout, '-timeout_error', '-nostdin', '-trace_err', '-error_file', path.join(dir, `${scenario}.err`), ...args],
  { cwd: dir });
}

async function sippDone(dir, scenario, p) {
  const code = await p.done;
  let err = '';
  try { err = fs.readFileSync(path.join(dir, `${scenario}.err`), 'utf8'); } catch { /* none */ }
  assert.strictEqual(code, 0, `sipp ${scenario} exited ${code}: ${p.out.slice(-1500)}\n${err.slice(-1500)}`);
}

// The messages of a SIPp -trace_msg file in order: {t (seconds), sent,
// line (the first line), text}.
function sippMessages(file) {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { return []; }
  const out = [];
  for (const part of text.split(/^-{20,} /m).slice(1)) {
    const m = /^(\d{4}-\d\d-\d\d)[ \t](\d\d:\d\d:\d\d\.\d+)\r?\n(\w+) message (sent|received)[^\n]*\n\s*([^\r\n]*)/.exec(part);
    if (m) out.push({ t: new Date(`${m[1]}T${m[2].slice(0, 12)}`).getTime() / 1000, sent: m[4] === 'sent', line: m[5], text: part });
  }
  return out;
}

// Polls fn until it returns something truthy; on timeout fails with the
// server's log (and more(), for what else the caller wants to show).
async function waitFor(srv, what, fn, ms = 10000, more = () => '') {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}; last: ${JSON.stringify(last)}\n${srv.log().slice(-3000)}\n${more()}`);
}

// Collects webhook deliveries ({type, data, ...}) in order.
function eventReceiver() {
  const events = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      try { events.push(JSON.parse(body)); } catch { /* not JSON */ }
      res.end('ok');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/hooks`,
    events,
    close: () => new Promise((r) => server.close(r)),
  })));
}

module.exports = { SIPP_DIR, freePort, freePorts, freePortPair, baresipDir, run, track, stopAll, sipp, sippDone,
  waitFor, eventReceiver, sippMessages };
