// The media engine with real RTP tools: plain RTP endpoints fed by
// GStreamer (Opus, PCMU, PCMA, G.722), recorded by GStreamer, server-side
// mixes played by aiortc, N-1 checked on the frequency content (sox band
// RMS), loss injected with nftables, junk floods, talking events, errors.
//
// nftables rules must not touch the machine's own traffic, so this file
// runs itself again inside `unshare --net` (RG_IN_NETNS=1) with only lo.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

if (!process.env.RG_IN_NETNS) {
  test('RTP media tests, inside a fresh network namespace (unshare --net)', { timeout: 295000 }, async () => {
    const probe = spawnSync('unshare', ['--net', 'true'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      assert.fail('cannot create a network namespace (`unshare --net true` failed); run as root or with CAP_SYS_ADMIN');
    }
    const env = { ...process.env };
    delete env.NODE_TEST_CONTEXT;
    const child = spawn('unshare', ['--net', 'sh', '-c',
      'ip link set lo up && RG_IN_NETNS=1 exec "$0" --test --test-reporter=spec "$1"', process.execPath, __filename],
    { stdio: ['ignore', 'inherit', 'inherit'], env, detached: true });
    const watchdog = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ } }, 285000);
    const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c === null ? sig : c)));
    clearTimeout(watchdog);
    assert.strictEqual(code, 0, 'the tests inside the namespace failed (see above)');
  });
  return;
}

const { startServer, Client, sleep } = require('./lib/harness');
const { sendTone, recordRtp, tones, soxStat } = require('./lib/rtp_tools');

const PEER = path.join(__dirname, 'peers/aiortc_peer.py');
let srv, dir;
let nextPort = 34000; // GStreamer receivers (outside the server's range)
const port = () => (nextPort += 2); // even, with the next one free for RTCP

before(async () => {
  for (const tool of ['/usr/bin/gst-launch-1.0', '/usr/bin/sox', '/usr/sbin/nft', '/usr/bin/python3']) {
    assert.ok(fs.existsSync(tool), `${tool} missing (make test installs it)`);
  }
  srv = await startServer({ config: { media: { workers: 2, rtp_ports: '31000-31999' } } });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-rtp-'));
});
after(async () => {
  assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function endpoint(room, body) {
  const r = await srv.admin('POST', `/v1/rooms/${room}/rtp-endpoints`, body);
  assert.strictEqual(r.status, 201, r.text);
  r.json.port = Number(/:(\d+)$/.exec(r.json.local)[1]);
  return r.json;
}

function peer(mode, room, user, stream, file, seconds) {
  return new Promise((resolve) => {
    const p = spawn('/usr/bin/python3', [PEER, mode, srv.wsUrl, room, user, srv.token(user), stream, file, String(seconds)]);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { out += d; });
    const t = setTimeout(() => p.kill('SIGKILL'), (seconds + 30) * 1000);
    p.on('exit', (code) => { clearTimeout(t); resolve({ code, out }); });
  });
}

const wav = (name) => path.join(dir, name);
const fmt = (t) => JSON.stringify({ 440: t[440], 1000: t[1000], rms: t.all.rms, freq: t.all.freq });

// Asserts that the recording carries `want` and not `not` (band RMS).
function assertTone(file, want, not, what) {
  const t = tones(file, [440, 1000]);
  assert.ok(t[want] > 0.1, `${what}: expected ${want} Hz, measured ${fmt(t)}`);
  if (not) assert.ok(t[not] < t[want] / 10, `${what}: ${not} Hz should be absent (N-1), measured ${fmt(t)}`);
  return t;
}

async function stats(room, id, pred, ms = 6000) {
  const until = Date.now() + ms;
  let r;
  do {
    r = await srv.admin('GET', `/v1/rooms/${room}/rtp-endpoints/${id}`);
    if (r.status === 200 && pred(r.json.stats || {})) return r.json;
    await sleep(300);
  } while (Date.now() < until);
  assert.fail(`endpoint ${id} stats never matched: ${r.text}`);
}

test('GStreamer sends 440 Hz Opus into a recv endpoint; an aiortc user in the room hears 440 Hz', async () => {
  const ep = await endpoint('rtp-a', { user_id: 'gst-in', direction: 'recv', codec: 'opus', publish_stream_id: 'gst_in' });
  assert.strictEqual(ep.publish_stream_id, 'gst_in');
  const tx = sendTone('opus', 440, ep.port, { seconds: 9 });
  await sleep(1500);
  const rx = wav('a.wav');
  const p = await peer('play', 'rtp-a', 'listener', 'gst_in', rx, 4);
  assert.strictEqual(p.code, 0, p.out);
  const s = soxStat(rx, ['trim', '0.5']);
  assert.ok(Math.abs(s.freq - 440) < 10, `aiortc heard ${s.freq} Hz (rms ${s.rms})`);
  assert.ok(s.rms > 0.2, `level ${s.rms} (sent 0.35 RMS)`);
  const st = await stats('rtp-a', ep.id, (x) => x.received && x.received.packets > 100);
  assert.strictEqual(st.stats.received.wrong_source, 0);
  tx.kill('SIGKILL');
  assert.strictEqual((await srv.admin('DELETE', `/v1/rooms/rtp-a/rtp-endpoints/${ep.id}`)).status, 200);
});

test('two sendrecv endpoints at 440 and 1000 Hz: each hears the other and not itself (N-1)', async () => {
  const ra = port(), rb = port();
  const a = await endpoint('rtp-b', { user_id: 'a', remote: `127.0.0.1:${ra}` });
  const b = await endpoint('rtp-b', { user_id: 'b', remote: `127.0.0.1:${rb}` });
  const reca = recordRtp('opus', ra, wav('b-a.wav')), recb = recordRtp('opus', rb, wav('b-b.wav'));
  const ta = sendTone('opus', 440, a.port, { seconds: 6 }), tb = sendTone('opus', 1000, b.port, { seconds: 6 });
  await sleep(6500);
  await Promise.all([reca.stop(), recb.stop()]);
  ta.kill(); tb.kill();
  assertTone(wav('b-a.wav'), 1000, 440, 'endpoint a (sends 440)');
  assertTone(wav('b-b.wav'), 440, 1000, 'endpoint b (sends 1000)');
  const st = await srv.admin('GET', `/v1/rooms/rtp-b/rtp-endpoints/${a.id}`);
  assert.ok(st.json.stats.sent.packets > 200, st.text);
  for (const e of [a, b]) await srv.admin('DELETE', `/v1/rooms/rtp-b/rtp-endpoints/${e.id}`);
});

for (const codec of ['pcmu', 'pcma', 'g722']) {
  test(`${codec} endpoint both ways: GStreamer ${codec} 440 Hz in, the room's 1000 Hz out in ${codec}`, async () => {
    const room = `rtp-${codec}`, rx = port(), ro = port();
    const x = await endpoint(room, { user_id: `${codec}-phone`, codec, remote: `127.0.0.1:${rx}` });
    assert.strictEqual(x.codec.name, codec);
    const o = await endpoint(room, { user_id: 'opus-peer', codec: 'opus', remote: `127.0.0.1:${ro}` });
    const recx = recordRtp(codec, rx, wav(`${codec}-x.wav`)), reco = recordRtp('opus', ro, wav(`${codec}-o.wav`));
    const tx = sendTone(codec, 440, x.port, { seconds: 6 }), to = sendTone('opus', 1000, o.port, { seconds: 6 });
    await sleep(6500);
    await Promise.all([recx.stop(), reco.stop()]);
    tx.kill(); to.kill();
    assertTone(wav(`${codec}-x.wav`), 1000, 440, `${codec} endpoint hears the room`);
    assertTone(wav(`${codec}-o.wav`), 440, 1000, `the room hears the ${codec} endpoint`);
    for (const e of [x, o]) await srv.admin('DELETE', `/v1/rooms/${room}/rtp-endpoints/${e.id}`);
  });
}

test('SRTP (SDES) endpoint with ffmpeg both ways; a spoofed plain packet neither latches nor plays', async () => {
  const room = 'rtp-srtp', rx = port(), ro = port(), lp = port();
  const key = require('node:crypto').randomBytes(30).toString('base64');
  const x = await endpoint(room, { user_id: 'secure', codec: 'pcmu', remote: `127.0.0.1:${rx}`,
    srtp: { suite: 'AES_CM_128_HMAC_SHA1_80', key: `inline:${key}` } });
  assert.strictEqual(x.srtp.suite, 'AES_CM_128_HMAC_SHA1_80');
  assert.notStrictEqual(x.srtp.key, key, 'the server encrypts with its own key');
  const o = await endpoint(room, { user_id: 'plain', codec: 'opus', remote: `127.0.0.1:${ro}` });
  // a plain RTP packet from elsewhere first: it fails authentication and latches nothing
  const spoof = dgram.createSocket('udp4');
  const pkt = Buffer.alloc(172); pkt[0] = 0x80; pkt[1] = 0;
  await new Promise((r) => spoof.send(pkt, x.port, '127.0.0.1', r));
  spoof.close();
  const sdp = path.join(dir, 'srtp-rx.sdp');
  fs.writeFileSync(sdp, `v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=rx\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${rx} RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${x.srtp.key}\r\n`);
  const out = wav('srtp-x.wav');
  const ffrx = spawn('ffmpeg', ['-loglevel', 'error', '-y', '-protocol_whitelist', 'file,udp,rtp', '-i', sdp, '-t', '5', '-ar', '48000', '-ac', '1', out]);
  let ffrxLog = '';
  ffrx.stderr.on('data', (d) => { ffrxLog += d; });
  const ffrxDone = new Promise((r) => ffrx.on('exit', r));
  const reco = recordRtp('opus', ro, wav('srtp-o.wav'));
  await sleep(300);
  const fftx = spawn('ffmpeg', ['-loglevel', 'error', '-re', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000:samples_per_frame=160',
    '-t', '6', '-af', 'volume=4', '-c:a', 'pcm_mulaw', '-payload_type', '0', '-f', 'rtp', '-srtp_out_suite', 'AES_CM_128_HMAC_SHA1_80',
    '-srtp_out_params', key, `srtp://127.0.0.1:${x.port}?localrtpport=${lp}`]);
  const to = sendTone('opus', 1000, o.port, { seconds: 6 });
  await sleep(6500);
  await reco.stop();
  fftx.kill(); to.kill();
  const t = setTimeout(() => ffrx.kill('SIGKILL'), 3000);
  await ffrxDone;
  clearTimeout(t);
  assert.ok(fs.existsSync(out), `ffmpeg wrote nothing: ${ffrxLog}`);
  assertTone(out, 1000, 440, 'ffmpeg decrypting what the SRTP endpoint sends');
  assertTone(wav('srtp-o.wav'), 440, 1000, 'the room hearing the SRTP endpoint');
  const st = await srv.admin('GET', `/v1/rooms/${room}/rtp-endpoints/${x.id}`);
  assert.ok(st.json.stats.received.srtp_errors >= 1, st.text);
  assert.strictEqual(st.json.stats.receiving_from, `127.0.0.1:${lp}`, st.text);
  for (const e of [x, o]) await srv.admin('DELETE', `/v1/rooms/${room}/rtp-endpoints/${e.id}`);
});

test('a mix of "all" played by aiortc has both tones; a stream leaving leaves the mix', async () => {
  const a = await endpoint('rtp-mix', { user_id: 'a', direction: 'recv', publish_stream_id: 'mix_in_a' });
  const b = await endpoint('rtp-mix', { user_id: 'b', direction: 'recv', publish_stream_id: 'mix_in_b' });
  const m = await srv.admin('POST', '/v1/rooms/rtp-mix/mixes', { output_stream_id: 'room_mix' });
  assert.strictEqual(m.status, 201, m.text);
  assert.strictEqual(m.json.inputs, 'all');
  const list = await srv.admin('GET', '/v1/rooms/rtp-mix/mixes');
  assert.strictEqual(list.json.count, 1);
  const streams = await srv.admin('GET', '/v1/rooms/rtp-mix/streams');
  assert.ok(streams.json.streams.some((s) => s.stream_id === 'room_mix'), streams.text);
  const ta = sendTone('opus', 440, a.port, { seconds: 16 }), tb = sendTone('opus', 1000, b.port, { seconds: 16 });
  await sleep(1500);
  let p = await peer('play', 'rtp-mix', 'mixlistener', 'room_mix', wav('mix1.wav'), 4);
  assert.strictEqual(p.code, 0, p.out);
  const t = tones(wav('mix1.wav'));
  const metrics = await fetch(`${srv.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /roomgate_mixes 1\n/);
  const ticks = [...metrics.matchAll(/roomgate_mixer_ticks_total\{worker="\d+"\} (\d+)/g)].map((m) => Number(m[1]));
  assert.ok(ticks.some((n) => n > 100), `mixer ticks in /metrics: ${ticks}`);
  assert.match(metrics, /roomgate_mixer_tick_p99_microseconds\{worker="\d+"\} \d+/);
  assert.ok(t[440] > 0.1 && t[1000] > 0.1, `the mix should carry both tones: ${fmt(t)}`);
  assert.strictEqual((await srv.admin('DELETE', `/v1/rooms/rtp-mix/rtp-endpoints/${b.id}`)).status, 200);
  await sleep(500);
  p = await peer('play', 'rtp-mix', 'mixlistener2', 'room_mix', wav('mix2.wav'), 3);
  assert.strictEqual(p.code, 0, p.out);
  assertTone(wav('mix2.wav'), 440, 1000, 'the mix after b left');
  ta.kill(); tb.kill();
  assert.strictEqual((await srv.admin('DELETE', `/v1/rooms/rtp-mix/mixes/${m.json.id}`)).status, 200);
  await srv.admin('DELETE', `/v1/rooms/rtp-mix/rtp-endpoints/${a.id}`);
});

test('5 % loss on an input (nftables): the tone and its level survive, the stats show the loss', async () => {
  const ro = port();
  const a = await endpoint('rtp-loss', { user_id: 'lossy', direction: 'recv', publish_stream_id: 'lossy_in' });
  const o = await endpoint('rtp-loss', { user_id: 'ear', direction: 'send', remote: `127.0.0.1:${ro}` });
  execFileSync('nft', ['-f', '-'], { input: `table inet rgloss {\n chain in { type filter hook input priority 0; udp dport ${a.port} numgen random mod 100 < 5 drop; }\n}\n` });
  try {
    const rec = recordRtp('opus', ro, wav('loss.wav'));
    const ta = sendTone('opus', 440, a.port, { seconds: 8 });
    await sleep(8500);
    await rec.stop();
    ta.kill();
  } finally {
    execFileSync('nft', ['delete', 'table', 'inet', 'rgloss']);
  }
  const s = soxStat(wav('loss.wav'), ['trim', '1']);
  assert.ok(Math.abs(s.freq - 440) < 10, `tone after 5 % loss: ${s.freq} Hz`);
  assert.ok(s.rms > 0.25, `level after 5 % loss: ${s.rms} (0.35 sent)`);
  const st = await srv.admin('GET', `/v1/rooms/rtp-loss/rtp-endpoints/${a.id}`);
  const lost = st.json.stats.received.packets_lost;
  assert.ok(lost >= 5, `the endpoint should count the dropped packets: ${st.text}`);
  const inp = st.json.stats.input;
  assert.ok(inp && inp.fec_recovered + inp.concealed > 0, `the mix should have concealed: ${JSON.stringify(inp)}`);
  for (const e of [a, o]) await srv.admin('DELETE', `/v1/rooms/rtp-loss/rtp-endpoints/${e.id}`);
});

test('junk UDP and RTP from a wrong source flooded at an endpoint: the mix and the others are undisturbed', async () => {
  const ro = port();
  const a = await endpoint('rtp-junk', { user_id: 'talker', direction: 'recv', publish_stream_id: 'junk_in' });
  const o = await endpoint('rtp-junk', { user_id: 'ear', direction: 'send', remote: `127.0.0.1:${ro}` });
  const rec = recordRtp('opus', ro, wav('junk.wav'));
  const ta = sendTone('opus', 440, a.port, { seconds: 7 });
  await sleep(1000); // the tone latches first
  const sock = dgram.createSocket('udp4');
  let sent = 0;
  const flood = setInterval(() => {
    for (let i = 0; i < 200; i++) {
      const junk = Buffer.alloc(20 + (i % 200));
      for (let k = 0; k < junk.length; k++) junk[k] = (k * 131 + i * 7 + sent) & 0xff;
      if (i % 2) { junk[0] = 0x80; junk[1] = 111; } // RTP-looking, from the wrong source
      sock.send(junk, a.port, '127.0.0.1');
      sent++;
    }
  }, 10);
  await sleep(4000);
  clearInterval(flood);
  await sleep(2000);
  await rec.stop();
  ta.kill();
  sock.close();
  const s = soxStat(wav('junk.wav'), ['trim', '1']);
  assert.ok(Math.abs(s.freq - 440) < 10 && s.rms > 0.25, `tone during the flood: ${s.freq} Hz, rms ${s.rms}`);
  const st = await srv.admin('GET', `/v1/rooms/rtp-junk/rtp-endpoints/${a.id}`);
  assert.ok(st.json.stats.received.wrong_source > sent / 4, `${sent} sent; ${st.text}`);
  assert.strictEqual((await srv.admin('GET', '/healthz')).status, 200);
  for (const e of [a, o]) await srv.admin('DELETE', `/v1/rooms/rtp-junk/rtp-endpoints/${e.id}`);
});

test('talking start/stop of a mixed RTP stream reaches the clients in the room', async () => {
  const c = await Client.connect(srv);
  assert.strictEqual((await c.login(srv, 'rtp-talk', 'watcher')).ok, true);
  const hb = setInterval(() => { if (!c.closed) c.request('heartbeat').catch(() => {}); }, 700);
  const a = await endpoint('rtp-talk', { user_id: 'speaker', direction: 'recv', publish_stream_id: 'talk_in' });
  // GStreamer sends no audio levels: the level comes from the mix that hears the stream
  const ear = await endpoint('rtp-talk', { user_id: 'ear', direction: 'send', remote: '127.0.0.1:9' });
  const ta = sendTone('opus', 440, a.port, { seconds: 2 });
  const on = await c.waitFor('talking', (d) => d.stream_id === 'talk_in' && d.talking, 6000).catch(async (e) => {
    const st = await srv.admin('GET', `/v1/rooms/rtp-talk/rtp-endpoints/${ear.id}`);
    throw new Error(`${e.message}\nthe mix that hears it: ${st.text}`);
  });
  assert.strictEqual(on.data.user_id, 'speaker');
  assert.ok(on.data.level > 50, JSON.stringify(on.data));
  await c.waitFor('talking', (d) => d.stream_id === 'talk_in' && !d.talking, 8000);
  ta.kill();
  clearInterval(hb);
  c.close();
  for (const e of [a, ear]) await srv.admin('DELETE', `/v1/rooms/rtp-talk/rtp-endpoints/${e.id}`);
});

test('an endpoint without RTP for timeout_ms is removed and the room sees it leave', async () => {
  const c = await Client.connect(srv);
  assert.strictEqual((await c.login(srv, 'rtp-timeout', 'watcher')).ok, true);
  const a = await endpoint('rtp-timeout', { user_id: 'silent', direction: 'recv', timeout_ms: 1500 });
  await c.waitFor('room_user_update', (d) => d.update_type === 'ADD', 3000);
  await c.waitFor('room_user_update', (d) => d.update_type === 'DELETE' && d.users.some((u) => u.user_id === 'silent'), 6000);
  assert.strictEqual((await srv.admin('GET', `/v1/rooms/rtp-timeout/rtp-endpoints/${a.id}`)).status, 404);
  c.close();
});

test('bad endpoint and mix requests get clear errors and change nothing', async () => {
  const post = (room, body, what = 'rtp-endpoints') => srv.admin('POST', `/v1/rooms/${room}/${what}`, body);
  const cases = [
    [{ user_id: 'x', codec: 'speex' }, 422, /codec/],
    [{ user_id: 'x', remote: 'example.org:5000' }, 422, /remote/],
    [{ user_id: 'x', remote: '127.0.0.1:99999' }, 422, /remote/],
    [{ user_id: 'x', play: 'nosuchstream' }, 404, /play/],
    [{ user_id: 'x', direction: 'both' }, 422, /direction/],
    [{ user_id: 'x', ptime: 25, codec: 'pcmu' }, 422, /ptime/],
    [{ user_id: 'x', payload_type: 72 }, 422, /payload_type/],
    [{ user_id: 'x', srtp: { key: 'short' } }, 422, /srtp/],
    [{ user_id: 'x', bogus: 1 }, 422, /bogus/],
    [{ codec: 'opus' }, 422, /user_id/],
  ];
  for (const [body, status, re] of cases) {
    const r = await post('rtp-bad', body);
    assert.strictEqual(r.status, status, `${JSON.stringify(body)} -> ${r.text}`);
    assert.match(r.json.error.message, re, r.text);
  }
  assert.strictEqual((await srv.admin('GET', '/v1/rooms/rtp-bad')).status, 404, 'no room left behind');
  const m1 = await post('rtp-bad', { inputs: 'all' }, 'mixes');
  assert.strictEqual(m1.status, 422, m1.text);
  assert.match(m1.json.error.message, /output_stream_id/);
  const m2 = await post('rtp-bad', { output_stream_id: 'mm', inputs: ['ghost'] }, 'mixes');
  assert.strictEqual(m2.status, 404, m2.text);
  const a = await endpoint('rtp-bad', { user_id: 'dup', direction: 'recv', publish_stream_id: 'dup_s' });
  assert.strictEqual((await post('rtp-bad', { user_id: 'dup' })).status, 409);
  assert.strictEqual((await post('rtp-bad', { user_id: 'other', direction: 'recv', publish_stream_id: 'dup_s' })).status, 409);
  assert.strictEqual((await srv.admin('GET', '/v1/rooms/rtp-bad/rtp-endpoints/nope')).status, 404);
  assert.strictEqual((await srv.admin('DELETE', '/v1/rooms/rtp-bad/mixes/nope')).status, 404);
  assert.strictEqual((await srv.admin('GET', '/v1/rooms/nothere/rtp-endpoints')).status, 404);
  await srv.admin('DELETE', `/v1/rooms/rtp-bad/rtp-endpoints/${a.id}`);
});

test('the port range exhausted gives 503 naming media.rtp_ports', async () => {
  const small = await startServer({ config: { media: { workers: 1, rtp_ports: '35000-35003' } } });
  try {
    const ok = [];
    for (let i = 0; i < 2; i++) {
      const r = await small.admin('POST', '/v1/rooms/full/rtp-endpoints', { user_id: `u${i}` });
      assert.strictEqual(r.status, 201, r.text);
      ok.push(r.json.id);
    }
    const r = await small.admin('POST', '/v1/rooms/full/rtp-endpoints', { user_id: 'u3' });
    assert.strictEqual(r.status, 503, r.text);
    assert.match(r.json.error.message, /media\.rtp_ports/);
    const mux = await small.admin('POST', '/v1/rooms/full/rtp-endpoints', { user_id: 'u4', rtcp_mux: true });
    assert.strictEqual(mux.status, 503, 'no single port left either: ' + mux.text);
    assert.strictEqual((await small.admin('DELETE', `/v1/rooms/full/rtp-endpoints/${ok[0]}`)).status, 200);
    await sleep(300); // the worker closes the sockets
    const again = await small.admin('POST', '/v1/rooms/full/rtp-endpoints', { user_id: 'u5' });
    assert.strictEqual(again.status, 201, 'ports are given back: ' + again.text);
  } finally {
    assert.strictEqual(await small.stop(), 0);
  }
});
