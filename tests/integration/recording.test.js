// Server-side recording with real RTP tools: plain RTP endpoints fed by
// GStreamer tones (through a small UDP relay that notes each sender's
// first packet), recorded per stream and mixed (Ogg Opus, WAV), checked
// with opusinfo, ffprobe, ffmpeg and sox; kill -9 mid-recording; an
// unwritable recordings directory.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const { startServer, sleep } = require('./lib/harness');
const { sendTone, tones, soxStat } = require('./lib/rtp_tools');

let srv, dir, recDir;

before(async () => {
  for (const tool of ['/usr/bin/gst-launch-1.0', '/usr/bin/sox', '/usr/bin/opusinfo', '/usr/bin/ffprobe', '/usr/bin/ffmpeg']) {
    assert.ok(fs.existsSync(tool), `${tool} missing (make test installs it)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-rec-'));
  recDir = path.join(dir, 'rec');
  fs.mkdirSync(recDir);
  srv = await startServer({ config: { media: { workers: 2, rtp_ports: '33000-33499' }, recording: { dir: recDir } } });
});
after(async () => {
  assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)');
  fs.rmSync(dir, { recursive: true, force: true });
});

async function endpoint(s, room, user) {
  const r = await s.admin('POST', `/v1/rooms/${room}/rtp-endpoints`, { user_id: user, direction: 'recv', codec: 'opus', publish_stream_id: user });
  assert.strictEqual(r.status, 201, r.text);
  return Number(/:(\d+)$/.exec(r.json.local)[1]);
}

// A tone through a relay: resolves the wall time of its first packet.
function tone(freq, toPort, seconds) {
  const sock = dgram.createSocket('udp4');
  let first = null, gst = null, stopped = false;
  const firstP = new Promise((resolve) => {
    sock.on('message', (m) => {
      if (first === null) { first = Date.now(); resolve(first); }
      sock.send(m, toPort, '127.0.0.1');
    });
  });
  // a port the kernel picks: fixed ones may be taken by other jobs of the machine
  sock.bind(0, '127.0.0.1', () => {
    if (!stopped) gst = sendTone('opus', freq, sock.address().port, { seconds });
  });
  return { first: firstP, stop: () => { stopped = true; if (gst) gst.kill('SIGKILL'); sock.close(); } };
}

async function startRec(s, room, body) {
  const r = await s.admin('POST', `/v1/rooms/${room}/recordings`, body);
  assert.strictEqual(r.status, 201, r.text);
  assert.strictEqual(r.json.state, 'recording');
  return r.json;
}

async function waitState(s, room, id, states, ms = 8000) {
  const until = Date.now() + ms;
  let r;
  do {
    r = await s.admin('GET', `/v1/rooms/${room}/recordings/${id}`);
    if (r.status === 200 && states.includes(r.json.state)) return r.json;
    await sleep(200);
  } while (Date.now() < until);
  assert.fail(`recording ${id} never reached ${states}: ${r.text}`);
}

function decode(file) {
  const out = file.replace(/\.\w+$/, '') + '.dec.wav';
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', file, '-ar', '48000', '-ac', '1', out], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `ffmpeg ${file}: ${r.stderr}`);
  return out;
}

function duration(file) {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `ffprobe ${file}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

// RMS of freq in a window [from, to) seconds of a decoded WAV.
function toneAt(wav, freq, from, to) {
  const cut = wav + `.${from}.wav`;
  spawnSync('sox', [wav, cut, 'trim', String(from), String(to - from)]);
  const t = tones(cut, [freq], 0);
  return t[freq];
}

test('per_stream and mixed (Ogg, WAV) recordings of one room: tones, alignment, equal lengths', { timeout: 60000 }, async () => {
  const room = 'rec-a';
  const pa = await endpoint(srv, room, 'alice');
  const pb = await endpoint(srv, room, 'bob');
  const ta = tone(440, pa, 14), tb = tone(1000, pb, 14);
  const [fa, fb] = [await ta.first, await tb.first];
  await sleep(500);
  const ps = await startRec(srv, room, { mode: 'per_stream', name: 'test' });
  const mo = await startRec(srv, room, { mode: 'mixed', format: 'ogg_opus' });
  const mw = await startRec(srv, room, { mode: 'mixed', format: 'wav' });
  await sleep(3000);
  const pc = await endpoint(srv, room, 'carol');
  const tc = tone(700, pc, 10);
  const fc = await tc.first;
  await sleep(5000);
  const list = await srv.admin('GET', `/v1/rooms/${room}/recordings`);
  assert.strictEqual(list.json.count, 3, list.text);
  for (const r of [ps, mo, mw]) assert.strictEqual((await srv.admin('DELETE', `/v1/rooms/${room}/recordings/${r.id}`)).status, 200);
  const done = await waitState(srv, room, ps.id, ['stopped']);
  await waitState(srv, room, mo.id, ['stopped']);
  await waitState(srv, room, mw.id, ['stopped']);
  await sleep(300); // the writer thread renames the final sidecar
  [ta, tb, tc].forEach((t) => t.stop());

  const side = JSON.parse(fs.readFileSync(path.join(done.dir, 'recording.json'), 'utf8'));
  assert.strictEqual(side.status, 'stopped');
  assert.strictEqual(side.files.length, 3, JSON.stringify(side));
  const byUser = Object.fromEntries(side.files.map((f) => [f.user_id, f]));
  const want = { alice: [440, fa], bob: [1000, fb], carol: [700, fc] };
  const durs = [];
  for (const [user, [freq, first]] of Object.entries(want)) {
    const f = byUser[user];
    assert.ok(f, `no file for ${user}: ${JSON.stringify(side.files)}`);
    const file = path.join(done.dir, f.path);
    const oi = spawnSync('opusinfo', [file], { encoding: 'utf8' });
    assert.strictEqual(oi.status, 0, `opusinfo ${file}: ${oi.stdout}${oi.stderr}`);
    const d = duration(file);
    durs.push(d);
    const expected = Math.max(0, first - side.start_ms);
    console.log(`${user}: first_packet_ms ${f.first_packet_ms}, first packet sent at +${first - side.start_ms} ms, duration ${d} s (sidecar ${f.duration_ms} ms)`);
    assert.ok(Math.abs(f.first_packet_ms - expected) <= 100, `${user}: sidecar first_packet_ms ${f.first_packet_ms} vs join ${expected}`);
    const w = decode(file);
    const t = tones(w, [440, 700, 1000]);
    assert.ok(t[freq] > 0.1, `${user}: expected ${freq} Hz, measured ${JSON.stringify(t)}`);
    if (user === 'carol') {
      const at = f.first_packet_ms / 1000;
      const before = toneAt(w, 700, 0.5, at - 0.3), afterT = toneAt(w, 700, at + 0.3, at + 2);
      assert.ok(before < 0.01 && afterT > 0.1, `carol: 700 Hz before ${before}, after ${afterT} (joins at ${at} s)`);
    }
  }
  const spread = Math.max(...durs) - Math.min(...durs);
  console.log(`per_stream durations ${durs.join(', ')} s (spread ${Math.round(spread * 1000)} ms)`);
  assert.ok(spread <= 0.04, `durations differ by ${spread} s`);

  const mix = (await srv.admin('GET', `/v1/rooms/${room}/recordings/${mo.id}`)).json;
  const mixFile = path.join(mix.dir, 'mix.ogg');
  assert.strictEqual(spawnSync('opusinfo', [mixFile]).status, 0);
  const mixDec = decode(mixFile);
  const mt = tones(mixDec, [440, 1000, 700]); // its "all" stat skips the first 0.5 s
  const mixLen = soxStat(mixDec).len;
  console.log(`mixed ogg: ${JSON.stringify(mt)}; decoded ${mixLen} s, sidecar ${mix.files[0].duration_ms} ms, ffprobe ${duration(mixFile)} s (pre-skip included)`);
  assert.ok(Math.abs(mixLen * 1000 - mix.files[0].duration_ms) <= 20, `mixed Ogg decodes to ${mixLen} s, sidecar ${mix.files[0].duration_ms} ms`);
  assert.ok(mt[440] > 0.05 && mt[1000] > 0.05, `mixed Ogg: ${JSON.stringify(mt)}`);

  const wavRec = (await srv.admin('GET', `/v1/rooms/${room}/recordings/${mw.id}`)).json;
  const wavFile = path.join(wavRec.dir, 'mix.wav');
  const st = soxStat(wavFile);
  console.log(`mixed wav: sox length ${st.len} s, rms ${st.rms}; files ${JSON.stringify(wavRec.files)}`);
  assert.ok(st.len > 7.5 && st.len < 10, `WAV length ${st.len}: ${st.text}`);
  assert.strictEqual(fs.statSync(wavFile).size, wavRec.files[0].bytes);
  const wt = tones(wavFile, [440, 1000]);
  assert.ok(wt[440] > 0.05 && wt[1000] > 0.05, `mixed WAV: ${JSON.stringify(wt)}`);
});

test('an unwritable directory fails that recording (state, log); the room and another recording go on', { timeout: 30000 }, async () => {
  fs.writeFileSync(path.join(recDir, 'rec-bad'), 'a regular file where the room directory goes');
  const p = await endpoint(srv, 'rec-bad', 'dave');
  const t = tone(440, p, 8);
  const p2 = await endpoint(srv, 'rec-good', 'erin');
  const t2 = tone(1000, p2, 8);
  await t.first;
  const bad = await startRec(srv, 'rec-bad', { mode: 'per_stream' });
  const good = await startRec(srv, 'rec-good', { mode: 'mixed' });
  const failed = await waitState(srv, 'rec-bad', bad.id, ['failed']);
  assert.match(failed.error, /ENOTDIR/);
  assert.match(srv.log(), new RegExp(`recording ${bad.id} of room rec-bad failed`));
  await sleep(2000);
  const room = await srv.admin('GET', '/v1/rooms/rec-bad/users');
  assert.strictEqual(room.status, 200, room.text);
  assert.ok(room.text.includes('dave'), room.text);
  const g = await srv.admin('GET', `/v1/rooms/rec-good/recordings/${good.id}`);
  assert.strictEqual(g.json.state, 'recording', g.text);
  await srv.admin('DELETE', `/v1/rooms/rec-good/recordings/${good.id}`);
  const gd = await waitState(srv, 'rec-good', good.id, ['stopped']);
  t.stop(); t2.stop();
  const mt = tones(decode(path.join(gd.dir, 'mix.ogg')), [1000]);
  assert.ok(mt[1000] > 0.05, JSON.stringify(mt));
});

test('kill -9 during a recording: the Ogg files decode up to about a second before the kill', { timeout: 40000 }, async () => {
  const kdir = path.join(dir, 'kill');
  const s = await startServer({ config: { media: { workers: 1, rtp_ports: '33500-33599' }, recording: { dir: kdir } } });
  try {
    const p = await endpoint(s, 'rec-k', 'kim');
    const t = tone(440, p, 10);
    await t.first;
    const r = await startRec(s, 'rec-k', { mode: 'per_stream' });
    await startRec(s, 'rec-k', { mode: 'mixed' });
    await sleep(5000);
    const killedAt = Date.now();
    s.proc.kill('SIGKILL');
    await new Promise((resolve) => s.proc.on('exit', resolve));
    t.stop();
    const rdir = r.dir;
    const side = JSON.parse(fs.readFileSync(path.join(rdir, 'recording.json'), 'utf8'));
    assert.strictEqual(side.status, 'recording');
    const oggs = [];
    for (const d of fs.readdirSync(path.dirname(rdir))) {
      for (const f of fs.readdirSync(path.join(path.dirname(rdir), d))) if (f.endsWith('.ogg')) oggs.push(path.join(path.dirname(rdir), d, f));
    }
    assert.strictEqual(oggs.length, 2, oggs.join());
    for (const f of oggs) {
      const w = decode(f);
      const len = soxStat(w).len;
      const lost = (killedAt - side.start_ms) / 1000 - len;
      console.log(`${path.basename(f)} after kill -9: ${len} s decoded, ${lost.toFixed(2)} s before the kill missing`);
      assert.ok(lost < 1.5, `${f}: ${len} s decoded, ${lost} s missing`);
      assert.ok(tones(w, [440])[440] > 0.05);
    }
  } finally {
    if (s.proc.exitCode === null && s.proc.signalCode === null) s.proc.kill('SIGKILL');
  }
});
