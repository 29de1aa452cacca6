// WebRTC media through the server with python3-aiortc as a real,
// independent peer: one publishes a WAV, another plays and records; the
// recording is measured with sox (frequency and level).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, Client, sleep } = require('./lib/harness');

const PEER = path.join(__dirname, 'peers/aiortc_peer.py');
let srv, dir;

before(async () => {
  for (const tool of ['/usr/bin/python3', '/usr/bin/sox']) assert.ok(fs.existsSync(tool), `${tool} missing (make test installs it)`);
  srv = await startServer({ config: { media: { workers: 2, rtp_ports: '31000-31999' } } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-aiortc-'));
  for (const [f, freq] of [['t440.wav', 440], ['t1000.wav', 1000]]) {
    execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', path.join(dir, f), 'synth', '12', 'sine', String(freq), 'vol', '0.5']);
  }
});
after(async () => {
  assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)');
  fs.rmSync(dir, { recursive: true, force: true });
});

// Runs the peer; resolves {code, result, out}.
function peer(mode, room, user, stream, file, seconds, env = {}) {
  return new Promise((resolve) => {
    const p = spawn('/usr/bin/python3', [PEER, mode, srv.wsUrl, room, user, srv.token(user), stream, file, String(seconds)],
      { env: { ...process.env, ...env } });
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), (seconds + 30) * 1000);
    p.on('exit', (code) => {
      clearTimeout(t);
      let result = null;
      for (const line of out.trim().split('\n').reverse()) { try { result = JSON.parse(line); break; } catch { /* log line */ } }
      resolve({ code, result, out });
    });
  });
}

function measure(wav) {
  const r = spawnSyncSox(wav);
  const freq = Number(/Rough\s+frequency:\s+(\d+)/.exec(r)[1]);
  const rms = Number(/RMS\s+amplitude:\s+([\d.]+)/.exec(r)[1]);
  const len = Number(/Length \(seconds\):\s+([\d.]+)/.exec(r)[1]);
  return { freq, rms, len };
}
function spawnSyncSox(wav) {
  return require('node:child_process').spawnSync('sox', [wav, '-n', 'remix', '1', 'stat'], { encoding: 'utf8' }).stderr;
}

test('aiortc publishes 440 Hz, another aiortc plays it: the tone arrives', async () => {
  const pub = peer('publish', 'media-1', 'talker', 'talker-mic', path.join(dir, 't440.wav'), 9);
  await sleep(2500);
  const rx = path.join(dir, 'rx1.wav');
  const play = peer('play', 'media-1', 'listener', 'talker-mic', rx, 4);
  // leg statistics while both are connected (pushed by the workers once a second)
  let st;
  const until = Date.now() + 8000;
  do {
    await sleep(500);
    st = await srv.admin('GET', '/v1/rooms/media-1/streams/talker-mic');
  } while (Date.now() < until && !(st.json.legs && st.json.legs.length === 2 &&
    st.json.legs.every((l) => (l.packets_in > 50 || l.packets_out > 50))));
  assert.strictEqual(st.status, 200, st.text);
  const legs = st.json.legs;
  assert.strictEqual(legs.length, 2, JSON.stringify(legs));
  for (const leg of legs) {
    assert.strictEqual(leg.state, 'connected', JSON.stringify(leg));
    assert.strictEqual(leg.dtls_state, 'connected');
    assert.match(leg.srtp_profile, /AES/);
    assert.match(leg.selected_pair, /127\.0\.0\.1:\d+ <-> 127\.0\.0\.1:\d+/);
  }
  const pl = legs.find((l) => l.direction === 'publish');
  const ply = legs.find((l) => l.direction === 'play');
  assert.ok(pl.packets_in > 50, JSON.stringify(pl));
  assert.ok(ply.packets_out > 50, JSON.stringify(ply));
  // after ICE the server writes with sendto on the selected socket, not through libnice
  assert.strictEqual(ply.send, 'direct', JSON.stringify(ply));
  assert.ok(ply.packets_out_direct > 50 && ply.packets_out_direct <= ply.packets_out, JSON.stringify(ply));
  assert.strictEqual(ply.send_errors, 0, JSON.stringify(ply));
  const u = await srv.admin('GET', '/v1/rooms/media-1/users/listener');
  assert.strictEqual(u.json.legs.length, 1);
  assert.strictEqual(u.json.legs[0].direction, 'play');
  const p2 = await play;
  assert.strictEqual(p2.code, 0, p2.out);
  const m = measure(rx);
  assert.ok(Math.abs(m.freq - 440) < 15, `received ${JSON.stringify(m)}`);
  assert.ok(m.rms > 0.1, `level ${JSON.stringify(m)}`);
  assert.ok(m.len > 2, `length ${JSON.stringify(m)}`);
  const p1 = await pub;
  assert.strictEqual(p1.code, 0, p1.out);
  assert.ok(p1.result.leg_states.includes('connected'), JSON.stringify(p1.result));
});

test('bad SDPs get clear errors; a wrong fingerprint fails DTLS; the room keeps streaming', async () => {
  const pub = peer('publish', 'media-2', 'talker2', 'talker2-mic', path.join(dir, 't1000.wav'), 10);
  await sleep(2000);
  const c = await Client.connect(srv);
  await c.login(srv, 'media-2', 'prober');
  const hb = setInterval(() => c.request('heartbeat').catch(() => {}), 1000);
  hb.unref();
  const corpus = path.join(srv.config.http.web_root, '../tests/fuzz/corpus/sdp');
  const cases = [
    ['garbage', 'hello world', /sdp/],
    ['no rtcp-mux', fs.readFileSync(path.join(corpus, 'bad_no_rtcp_mux.sdp'), 'utf8'), /rtcp-mux/],
    ['no opus', fs.readFileSync(path.join(corpus, 'bad_no_opus.sdp'), 'utf8'), /Opus/i],
    ['bad fingerprint syntax', fs.readFileSync(path.join(corpus, 'bad_fingerprint.sdp'), 'utf8'), /fingerprint/],
  ];
  for (const [what, sdp, re] of cases) {
    const r = await c.request('play', { stream_id: 'talker2-mic', sdp });
    assert.strictEqual(r.ok, false, what);
    assert.strictEqual(r.error.name, 'bad_sdp', `${what}: ${JSON.stringify(r)}`);
    assert.match(r.error.message, re, `${what}: ${r.error.message}`);
  }
  const missing = await c.request('play', { stream_id: 'nope', sdp: 'v=0' });
  assert.strictEqual(missing.error.code, 1004039);
  const notMine = await c.request('publish_offer', { stream_id: 'talker2-mic', sdp: 'v=0' });
  assert.strictEqual(notMine.error.name, 'stream_not_published');
  const badLeg = await c.request('candidate', { leg_id: 'ffff', candidate: '' });
  assert.strictEqual(badLeg.error.name, 'leg_not_found');
  // a DTLS peer whose certificate does not match its SDP
  const rxBad = path.join(dir, 'rxbad.wav');
  const bad = await peer('play', 'media-2', 'impostor', 'talker2-mic', rxBad, 4, { RG_PEER_BAD_FINGERPRINT: '1' });
  // (aiortc's own DTLS completes before the server checks the certificate)
  assert.ok(bad.result.leg_states.some((s) => /^failed:.*fingerprint/.test(s)), JSON.stringify(bad.result));
  const leaked = fs.existsSync(rxBad) && fs.statSync(rxBad).size > 1000 ? measure(rxBad).rms : 0;
  assert.ok(leaked < 0.01, `the impostor received audio (rms ${leaked})`);
  // the room is undisturbed: a listener still hears 1000 Hz
  const rx = path.join(dir, 'rx2.wav');
  const good = await peer('play', 'media-2', 'listener2', 'talker2-mic', rx, 3);
  assert.strictEqual(good.code, 0, good.out);
  const m = measure(rx);
  assert.ok(Math.abs(m.freq - 1000) < 25, `received ${JSON.stringify(m)}`);
  assert.ok(m.rms > 0.1, `level ${JSON.stringify(m)}`);
  clearInterval(hb);
  await c.request('logout');
  c.close();
  assert.strictEqual((await pub).code, 0);
});
