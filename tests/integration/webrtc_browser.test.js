// WebRTC audio through the server between real browsers: headless Chromium
// pages with fake microphones (a 440 Hz and a 1000 Hz tone) run the web SDK's
// ZEGO call sequence and the test listens to what each page hears (the
// WebAudio peak frequency of each played stream and its inbound-rtp level).
//
// Chromium offers 127.0.0.1 ICE candidates only in a network namespace whose
// only interface is lo (docs: ../shared/testing-notes.md), so this file runs
// itself again inside `unshare --net` with RG_IN_NETNS=1: the server, the
// browsers and the tests all live in that namespace.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

// ---------------------------------------------------------------------------
// Outside the namespace: run this file again inside a fresh one.
// ---------------------------------------------------------------------------
if (!process.env.RG_IN_NETNS) {
  test('browser media tests, inside a fresh network namespace (unshare --net)', { timeout: 290000 }, async () => {
    const probe = spawnSync('unshare', ['--net', 'true'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      assert.fail('cannot create a network namespace (`unshare --net true` failed: ' +
        `${probe.error ? probe.error.message : (probe.stderr || '').trim() || 'exit ' + probe.status}). ` +
        'These tests run the server and Chromium in their own namespace with only lo (Chromium ' +
        'uses 127.0.0.1 for ICE only there); run them as root or with CAP_SYS_ADMIN.');
    }
    // The inner run writes the PIDs of the browsers it starts here, so that a
    // hung run can be cleaned up (Playwright starts each browser in its own
    // process group).
    const pidDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-netns-'));
    const env = { ...process.env, RG_NETNS_PIDDIR: pidDir };
    delete env.NODE_TEST_CONTEXT; // the inner `node --test` reports by itself
    const child = spawn('unshare', ['--net', 'sh', '-c',
      'ip link set lo up && RG_IN_NETNS=1 exec "$0" --test --test-reporter=spec "$1"', process.execPath, __filename],
    { stdio: ['ignore', 'inherit', 'inherit'], env, detached: true });
    // Browsers the inner run left behind (it crashed or was killed): each is
    // the leader of its process group; a PID is only trusted while it is
    // still that Chromium.
    const killBrowsers = () => {
      for (const f of fs.readdirSync(pidDir)) {
        const pid = Number(f);
        let cmd = '';
        try { cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8'); } catch { continue; }
        if (!/chrom/.test(cmd)) continue;
        try { process.kill(-pid, 'SIGKILL'); } catch { /* gone */ }
      }
    };
    let exited = false;
    const watchdog = setTimeout(() => {
      if (exited) return;
      process.stderr.write('webrtc_browser: the inner run took over 270 s; killing it\n');
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
      killBrowsers();
    }, 270000);
    const code = await new Promise((resolve) => child.on('exit', (c, sig) => resolve(c === null ? sig : c)));
    exited = true;
    clearTimeout(watchdog);
    killBrowsers(); // normally none is left
    fs.rmSync(pidDir, { recursive: true, force: true });
    assert.strictEqual(code, 0, `the tests inside the network namespace failed (exit ${code}; their report is above)`);
  });
  return;
}

// ---------------------------------------------------------------------------
// Inside the namespace.
// ---------------------------------------------------------------------------
const { startServer, Client, sleep, APP_ID } = require('./lib/harness');
const B = require('./lib/browser');

const ROOM = 'media-room';
const QS_ROOM = 'qs-room';
const TONE_TOLERANCE_HZ = 50;

let srv;
let web;
let proxy;
let dir;
const chrome = {};          // '440' | '1000' -> {browser, pid, close()}
const pages = new Set();    // every page still open, for failure reports

const CHROMIUM_MEDIA_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
  '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--autoplay-policy=no-user-gesture-required',
];

// One Chromium per fake microphone (the capture file is per browser process).
// The PID files let the watchdog kill only browsers that are still alive.
function launchChromium(wav) {
  const dirOf = process.env.RG_NETNS_PIDDIR;
  const pidFile = (pid) => path.join(dirOf, String(pid));
  return B.launchBrowser({
    args: [...CHROMIUM_MEDIA_ARGS, `--use-file-for-fake-audio-capture=${wav}`],
    onPid: (pid) => { if (dirOf) fs.writeFileSync(pidFile(pid), ''); },
    onClose: (pid) => { if (dirOf) fs.rmSync(pidFile(pid), { force: true }); },
  });
}

before(async () => {
  for (const tool of ['/usr/bin/sox', B.CHROMIUM]) assert.ok(fs.existsSync(tool), `${tool} is missing (make test installs it)`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-webrtc-browser-'));
  for (const hz of [440, 1000]) {
    execFileSync('sox', ['-n', '-r', '48000', '-c', '1', '-b', '16', path.join(dir, `tone${hz}.wav`),
      'synth', '30', 'sine', String(hz), 'vol', '0.5']);
  }
  web = B.makeWebRoot();
  srv = await startServer({
    config: {
      http: { web_root: web.dir },
      media: { address: '127.0.0.1', workers: 2, rtp_ports: '33000-33999' },
      recording: { dir: path.join(dir, 'recordings') },
      // Long heartbeats (busy machine: no spurious reconnects); a short grace
      // period so that a socket dropped without a close frame ends soon.
      session: { heartbeat_interval_ms: 5000, heartbeat_timeout_ms: 20000, resume_grace_ms: 5000 },
    },
  });
  proxy = await new B.TcpProxy(srv.port).start();
  const [c440, c1000] = await Promise.all([launchChromium(path.join(dir, 'tone440.wav')),
    launchChromium(path.join(dir, 'tone1000.wav'))]);
  chrome['440'] = c440;
  chrome['1000'] = c1000;
});

after(async () => {
  for (const p of pages) await closePage(p);
  for (const c of Object.values(chrome)) await c.close();
  if (proxy) await proxy.stop();
  const code = srv ? await srv.stop() : 0;
  if (web) web.remove();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  assert.strictEqual(code, 0, 'server exit code (leaks/UB give non-zero)');
});

// ---- pages ----------------------------------------------------------------

// A call page (pages/call.html: the SDK as a classic script, sdk-harness.js
// recording every event, call.js running the call sequence) in the browser
// whose microphone plays `tone`.
async function callPage(tone, label) {
  const p = await B.openPage(chrome[tone].browser, srv, 'call', label);
  p.rgTone = tone;
  pages.add(p);
  return p;
}

async function closePage(p) {
  pages.delete(p);
  try { await p.close(); } catch { /* closed */ }
  await B.closePage(p);
}

// The call sequence on a page: login with a token, publish `stream` (unless
// null), play every stream of the room.
async function join(page, { user, stream, room = ROOM, server = srv.wsUrl }) {
  const r = await page.evaluate((a) => window.rg.join(a),
    { appID: APP_ID, server, roomID: room, token: srv.token(user), userID: user, userName: `N-${user}`, streamID: stream });
  assert.deepStrictEqual(r, { ok: true, value: true }, `${user}: loginRoom`);
  return r;
}

const waitEvent = (page, name, match, ms = 15000) => B.waitEvent(page, name, match, ms);

// Waits until the page has recorded at least n events `name` matching `match`.
async function waitCount(page, name, match, n, ms = 15000) {
  try {
    await page.waitForFunction(([nm, m, k]) => window.rg.all(nm, m).length >= k, [name, match, n],
      { timeout: ms, polling: 100 });
  } catch {
    throw new Error(`page ${page.rgLabel}: fewer than ${n} ${name} matching ${JSON.stringify(match)} within ${ms} ms`);
  }
  return B.events(page, name, match);
}

const count = async (page, name, match) => (await B.events(page, name, match)).length;

// Listens to `streamID` on `page` until it hears `hz` (±50 Hz) at an
// inbound-rtp audio level above 0.1 with packets arriving, for at most `ms`.
async function expectTone(page, streamID, hz, ms = 15000) {
  const deadline = Date.now() + ms;
  const seen = [];
  for (;;) {
    const m = await page.evaluate(([s]) => window.rg.measure(s, 1500), [streamID]);
    seen.push(m);
    if (m.hz !== null && Math.abs(m.hz - hz) <= TONE_TOLERANCE_HZ && m.audioLevel > 0.1 && m.packets > 20) {
      // most of the window, not a single frame, was that tone, loud
      const near = m.samples.filter(([h, db]) => h !== null && Math.abs(h - hz) <= TONE_TOLERANCE_HZ && db > -60).length;
      if (near >= m.samples.length * 0.7) {
        if (currentTest) {
          currentTest.diagnostic(`${page.rgLabel} hears ${streamID}: ${m.hz} Hz (${m.db} dB), inbound audioLevel ` +
            `${m.audioLevel.toFixed(2)}, ${m.packets} packets in 1.5 s`);
        }
        return m;
      }
    }
    if (Date.now() > deadline) {
      throw new Error(`page ${page.rgLabel} does not hear ${hz} Hz on ${streamID} within ${ms} ms; measured:\n  ` +
        seen.map((x) => JSON.stringify(x)).join('\n  '));
    }
    await sleep(300);
  }
}

// ---- failure reports --------------------------------------------------------

async function describe(p) {
  let out = `--- page ${p.rgLabel}`;
  try {
    const info = await p.evaluate(async () => {
      if (window.quickstart) return { quickstart: window.quickstart };
      const rg = window.rg;
      // quality events every 3 s: only the last two of each stream
      const evs = rg.events.filter((e, i, all) => {
        if (!/QualityUpdate$/.test(e.name)) return true;
        return all.slice(i + 1).filter((x) => x.name === e.name && x.args[0] === e.args[0]).length < 2;
      }).map((e) => {
        if (!/QualityUpdate$/.test(e.name)) return e;
        const a = e.args[1].audio;
        return { ...e, args: [e.args[0], { audioBitrate: a.audioBitrate, audioFPS: a.audioFPS, audioLevel: a.audioLevel,
          audioSendLevel: a.audioSendLevel, audioPacketsLostRate: a.audioPacketsLostRate, rtt: e.args[1].currentRoundTripTime }] };
      });
      return { events: evs, legs: rg.engine ? await rg.legSummary() : [], room: rg.engine && rg.engine.getRoomInfo() };
    });
    if (info.quickstart) {
      out += ` (quick start page) loadedAs=${info.quickstart.loadedAs} error=${JSON.stringify(info.quickstart.error)}` +
        ` heard=${JSON.stringify(info.quickstart.heard)}\n` +
        info.quickstart.events.filter((e) => !/QualityUpdate$/.test(e.name)).map((e) => `  ${e.name} ${JSON.stringify(e.args)}`).join('\n');
    } else {
      out += ' events:\n' + info.events.map((e) => `  ${new Date(e.t).toISOString().slice(11, 23)} ${e.name} ${JSON.stringify(e.args)}`).join('\n');
      out += '\n--- legs (getStats):\n  ' + info.legs.map((l) => JSON.stringify(l)).join('\n  ');
      out += `\n--- room: ${JSON.stringify(info.room)}`;
    }
  } catch (e) {
    out += ` (page gone: ${e.message.split('\n')[0]})`;
  }
  return out + `\n--- console of ${p.rgLabel}:\n  ` + (p.rgConsole || []).slice(-30).join('\n  ');
}

let currentTest = null;

function stest(name, fn, timeout = 60000) {
  test(name, { timeout }, async (t) => {
    currentTest = t;
    try {
      await fn(t);
    } catch (e) {
      const seen = [];
      for (const p of pages) seen.push(await describe(p));
      const logTail = srv ? srv.log().split('\n').slice(-60).join('\n') : '';
      e.message += '\n' + seen.join('\n') + '\n--- server log (tail):\n' + logTail;
      throw e;
    }
  });
}

// Polls an admin route until check(json) is true (bounded).
async function adminUntil(pathName, check, ms = 10000) {
  const deadline = Date.now() + ms;
  let r;
  for (;;) {
    r = await srv.admin('GET', pathName);
    if (r.status === 200 && check(r.json)) return r.json;
    if (Date.now() > deadline) throw new Error(`GET ${pathName}: condition not met within ${ms} ms; last: ${r.status} ${r.text}`);
    await sleep(300);
  }
}

// ---- the tests ----------------------------------------------------------------

let alice;  // 440 Hz, publishes alice-mic, stays to the end
let bob;    // 1000 Hz, publishes bob-mic; stops, republishes, then its page is closed
let carol;  // joins later, only listens
let dave;   // 1000 Hz, through the TCP proxy, publishes dave-mic

const STATE = (streamID, state) => ({ streamID, state, errorCode: 0, extendedData: '' });

stest('1. two pages publish and play each other, each hears the other tone; states and quality events', async () => {
  alice = await callPage('440', 'alice');
  bob = await callPage('1000', 'bob');
  await join(alice, { user: 'alice', stream: 'alice-mic' });
  await join(bob, { user: 'bob', stream: 'bob-mic' });

  // the capture really is unprocessed (AEC/ANS/AGC false map to the constraints)
  const [track] = await B.events(alice, 'localTrack');
  assert.strictEqual(track[0].settings.echoCancellation, false, JSON.stringify(track));
  assert.strictEqual(track[0].settings.noiseSuppression, false, JSON.stringify(track));
  assert.strictEqual(track[0].settings.autoGainControl, false, JSON.stringify(track));

  // ZEGO's state payloads, in order
  for (const [page, mine, other] of [[alice, 'alice-mic', 'bob-mic'], [bob, 'bob-mic', 'alice-mic']]) {
    const pub = await waitEvent(page, 'publisherStateUpdate', [{ streamID: mine, state: 'PUBLISHING' }], 20000);
    assert.deepStrictEqual(pub, [STATE(mine, 'PUBLISHING')]);
    const ply = await waitEvent(page, 'playerStateUpdate', [{ streamID: other, state: 'PLAYING' }], 20000);
    assert.deepStrictEqual(ply, [STATE(other, 'PLAYING')]);
    assert.deepStrictEqual((await B.events(page, 'publisherStateUpdate')).map((a) => a[0]),
      [STATE(mine, 'PUBLISH_REQUESTING'), STATE(mine, 'PUBLISHING')]);
    assert.deepStrictEqual((await B.events(page, 'playerStateUpdate')).map((a) => a[0]),
      [STATE(other, 'PLAY_REQUESTING'), STATE(other, 'PLAYING')]);
  }
  const add = await waitEvent(alice, 'roomStreamUpdate', [ROOM, 'ADD', [{ streamID: 'bob-mic' }]]);
  assert.deepStrictEqual(add[2], [{ streamID: 'bob-mic', user: { userID: 'bob', userName: 'N-bob' }, extraInfo: '',
    urlsFLV: [], urlsRTMP: [], urlsHLS: [], urlsHttpsFLV: [], urlsHttpsHLS: [] }]);

  // each hears the other's tone
  await expectTone(alice, 'bob-mic', 1000);
  await expectTone(bob, 'alice-mic', 440);

  // quality events: every 3 s, with sane figures
  for (const [page, mine, other] of [[alice, 'alice-mic', 'bob-mic'], [bob, 'bob-mic', 'alice-mic']]) {
    await waitCount(page, 'publishQualityUpdate', [mine], 3, 15000);
    await waitCount(page, 'playQualityUpdate', [other], 3, 15000);
    const evs = await B.eventsOf(page);
    for (const [name, sid] of [['publishQualityUpdate', mine], ['playQualityUpdate', other]]) {
      const list = evs.filter((e) => e.name === name && e.args[0] === sid);
      // every 3 s (a busy machine delays a single event, not the rhythm)
      const gaps = list.slice(1).map((e, i) => e.t - list[i].t);
      const mean = (list[list.length - 1].t - list[0].t) / (list.length - 1);
      assert.ok(mean > 2500 && mean < 4000 && gaps.every((g) => g > 1000 && g < 6000),
        `${page.rgLabel} ${name}: ${gaps.join(', ')} ms between events`);
      const stats = list[list.length - 1].args[1];
      const a = stats.audio;
      const what = `${page.rgLabel} ${name} ${JSON.stringify(stats)}`;
      assert.ok(a.audioBitrate > 5, what);
      assert.strictEqual(a.audioCodec, 'opus', what);
      assert.strictEqual(a.googCodecName, 'opus', what);
      // a percentage of the interval's packets; on loopback a loaded machine loses a few, not more
      assert.ok(a.audioPacketsLostRate >= 0 && a.audioPacketsLostRate <= 5, what);
      assert.ok(a.audioFPS > 20, what); // 50 packets/s of 20 ms Opus
      assert.strictEqual(a.muteState, '0', what);
      assert.ok(a.audioQuality >= 0 && a.audioQuality <= 4, what);
      assert.strictEqual(stats.video.muteState, '1', what);
      for (const k of ['nackCount', 'pliCount', 'currentRoundTripTime', 'totalRoundTripTime']) {
        assert.strictEqual(typeof stats[k], 'number', `${k}: ${what}`);
      }
      if (name === 'playQualityUpdate') {
        assert.ok(a.audioLevel > 0.1, what);
        assert.strictEqual(a.audioSamplingRate, 48000, what);
        assert.ok(stats.peerToPeerPacketLostRate >= 0 && stats.peerToPeerPacketLostRate <= 1, what);
      } else {
        assert.ok(a.audioSendLevel > 0.1, what);
      }
    }
  }
}, 90000);

stest('2. a page joining later hears both streams; the admin API shows the legs while media flows', async () => {
  carol = await callPage('440', 'carol');
  await join(carol, { user: 'carol', stream: null });
  const snap = await waitEvent(carol, 'roomStreamUpdate', [ROOM, 'ADD']);
  assert.deepStrictEqual(snap[2].map((s) => s.streamID).sort(), ['alice-mic', 'bob-mic']);
  await waitEvent(carol, 'playerStateUpdate', [{ streamID: 'alice-mic', state: 'PLAYING' }], 20000);
  await waitEvent(carol, 'playerStateUpdate', [{ streamID: 'bob-mic', state: 'PLAYING' }], 20000);
  await expectTone(carol, 'alice-mic', 440);
  await expectTone(carol, 'bob-mic', 1000);

  // GET /v1/rooms/{room}/streams/{stream}: the publish leg and both play legs
  const st = await adminUntil(`/v1/rooms/${ROOM}/streams/alice-mic`, (j) => j.legs && j.legs.length === 3 &&
    j.legs.every((l) => l.state === 'connected' && (l.direction === 'publish' ? l.packets_in : l.packets_out) > 50));
  const what = JSON.stringify(st.legs);
  assert.deepStrictEqual(st.legs.map((l) => l.direction).sort(), ['play', 'play', 'publish'], what);
  for (const leg of st.legs) {
    assert.strictEqual(leg.stream_id, 'alice-mic', what);
    assert.strictEqual(leg.dtls_state, 'connected', what);
    assert.match(leg.srtp_profile, /AES/, what);
    assert.match(leg.selected_pair, /^127\.0\.0\.1:\d+ <-> 127\.0\.0\.1:\d+$/, what);
    assert.strictEqual(leg.srtp_errors, 0, what);
    assert.ok(leg.bytes_in > 0 && leg.bytes_out > 0, what); // RTCP both ways
    assert.strictEqual(leg.send, 'direct', what); // sendto on the selected socket
    assert.ok(leg.packets_out_direct > 0 && leg.send_errors === 0, what);
  }
  // GET /v1/rooms/{room}/users/{user}: that user's legs
  const bobLegs = await adminUntil(`/v1/rooms/${ROOM}/users/bob`, (j) => j.legs && j.legs.length === 2);
  assert.deepStrictEqual(bobLegs.legs.map((l) => `${l.direction} ${l.stream_id} ${l.state}`).sort(),
    ['play alice-mic connected', 'publish bob-mic connected'], JSON.stringify(bobLegs));
  const carolLegs = await adminUntil(`/v1/rooms/${ROOM}/users/carol`, (j) => j.legs && j.legs.length === 2);
  assert.deepStrictEqual(carolLegs.legs.map((l) => `${l.direction} ${l.stream_id} ${l.state}`).sort(),
    ['play alice-mic connected', 'play bob-mic connected'], JSON.stringify(carolLegs));
  assert.ok(carolLegs.legs.every((l) => l.packets_out > 50), JSON.stringify(carolLegs));
}, 60000);

stest('3. stopPublishingStream: the others get DELETE with reason 1 and their players stop; republishing is heard again', async () => {
  const n = {};
  for (const p of [alice, carol]) n[p.rgLabel] = await count(p, 'playerStateUpdate', [{ streamID: 'bob-mic', state: 'NO_PLAY' }]);
  assert.strictEqual(await bob.evaluate(() => window.rg.engine.stopPublishingStream('bob-mic')), true);
  await waitEvent(bob, 'publisherStateUpdate', [STATE('bob-mic', 'NO_PUBLISH')]);
  for (const p of [alice, carol]) {
    const del = await waitEvent(p, 'roomStreamUpdate', [ROOM, 'DELETE', [{ streamID: 'bob-mic' }]]);
    assert.deepStrictEqual(JSON.parse(del[3]),
      { stream_delete_reason: [{ stream_id: 'bob-mic', code: 1, description: 'user stopped publishing' }] });
    const stops = await waitCount(p, 'playerStateUpdate', [{ streamID: 'bob-mic', state: 'NO_PLAY' }], n[p.rgLabel] + 1);
    assert.deepStrictEqual(stops[stops.length - 1], [STATE('bob-mic', 'NO_PLAY')]);
  }
  // the server dropped the stream and, after stop_play, the play legs
  assert.strictEqual((await srv.admin('GET', `/v1/rooms/${ROOM}/streams/bob-mic`)).status, 404);
  await adminUntil(`/v1/rooms/${ROOM}/users/carol`, (j) => j.legs.length === 1 && j.legs[0].stream_id === 'alice-mic');
  await adminUntil(`/v1/rooms/${ROOM}/users/bob`, (j) => j.legs.length === 1 && j.legs[0].direction === 'play');
  // alice still hears nothing wrong from that: carol keeps hearing alice
  await expectTone(carol, 'alice-mic', 440);

  // bob publishes again with the same local stream: played and heard again
  assert.strictEqual(await bob.evaluate(() => window.rg.engine.startPublishingStream('bob-mic', window.rg.local)), true);
  await waitCount(bob, 'publisherStateUpdate', [STATE('bob-mic', 'PUBLISHING')], 2, 20000);
  for (const p of [alice, carol]) {
    await waitCount(p, 'roomStreamUpdate', [ROOM, 'ADD', [{ streamID: 'bob-mic' }]], 2);
    await waitCount(p, 'playerStateUpdate', [{ streamID: 'bob-mic', state: 'PLAYING' }], 2, 20000);
    await expectTone(p, 'bob-mic', 1000);
  }
}, 90000);

stest('4. a page closed without logout: the others get stream and user DELETE within 30 s', async (t) => {
  const before = {};
  for (const p of [alice, carol]) {
    before[p.rgLabel] = {
      del: await count(p, 'roomStreamUpdate', [ROOM, 'DELETE', [{ streamID: 'bob-mic' }]]),
      noPlay: await count(p, 'playerStateUpdate', [{ streamID: 'bob-mic', state: 'NO_PLAY' }]),
    };
  }
  const reasons = [];
  const t0 = Date.now();
  await bob.close(); // the tab goes away: no logoutRoom() by the page
  await closePage(bob);
  for (const p of [alice, carol]) {
    const dels = await waitCount(p, 'roomStreamUpdate', [ROOM, 'DELETE', [{ streamID: 'bob-mic' }]], before[p.rgLabel].del + 1, 30000);
    const reason = JSON.parse(dels[dels.length - 1][3]).stream_delete_reason[0];
    reasons.push(reason.code);
    // 1: the SDK's pagehide logout got through; 5: the connection ended
    assert.ok(reason.code === 1 || reason.code === 5, JSON.stringify(reason));
    await waitEvent(p, 'roomUserUpdate', [ROOM, 'DELETE', [{ userID: 'bob' }]], Math.max(1000, 30000 - (Date.now() - t0)));
    await waitCount(p, 'playerStateUpdate', [{ streamID: 'bob-mic', state: 'NO_PLAY' }], before[p.rgLabel].noPlay + 1, 5000);
  }
  const took = Date.now() - t0;
  assert.ok(took < 30000, `took ${took} ms`);
  t.diagnostic(`bob's page closed: the others saw it leave after ${took} ms (stream delete reason ${reasons.join(', ')})`);
  assert.strictEqual((await srv.admin('GET', `/v1/rooms/${ROOM}/users/bob`)).status, 404);
  await adminUntil(`/v1/rooms/${ROOM}/streams/alice-mic`, (j) => j.legs.length === 2 &&
    j.legs.every((l) => l.state === 'connected'));
  await expectTone(carol, 'alice-mic', 440);
}, 60000);

stest('4b. a browser killed (no close frame): the others get DELETE with reason 5 after the grace period, within 30 s', async (t) => {
  const extra = await launchChromium(path.join(dir, 'tone1000.wav'));
  let erin = null;
  try {
    erin = await B.openPage(extra.browser, srv, 'call', 'erin');
    pages.add(erin);
    await join(erin, { user: 'erin', stream: 'erin-mic' });
    await waitEvent(alice, 'playerStateUpdate', [STATE('erin-mic', 'PLAYING')], 20000);
    await expectTone(alice, 'erin-mic', 1000);
    pages.delete(erin);
    const t0 = Date.now();
    process.kill(-extra.pid, 'SIGKILL'); // that Chromium's process group (Playwright made it its leader)
    for (const p of [alice, carol]) {
      const del = await waitEvent(p, 'roomStreamUpdate', [ROOM, 'DELETE', [{ streamID: 'erin-mic' }]], 30000);
      assert.deepStrictEqual(JSON.parse(del[3]),
        { stream_delete_reason: [{ stream_id: 'erin-mic', code: 5, description: 'disconnected' }] });
      await waitEvent(p, 'roomUserUpdate', [ROOM, 'DELETE', [{ userID: 'erin' }]], Math.max(1000, 30000 - (Date.now() - t0)));
      await waitEvent(p, 'playerStateUpdate', [STATE('erin-mic', 'NO_PLAY')], 5000);
    }
    const took = Date.now() - t0;
    t.diagnostic(`erin's browser killed: the others saw it leave after ${took} ms (resume_grace_ms 5000)`);
    assert.ok(took >= 4000, `the session ended after ${took} ms, before the grace period`);
    assert.strictEqual((await srv.admin('GET', `/v1/rooms/${ROOM}/users/erin`)).status, 404);
    await expectTone(carol, 'alice-mic', 440);
  } finally {
    if (erin) pages.delete(erin);
    await extra.close();
  }
}, 60000);

stest('5. the server side drops a page\'s WebSocket (TCP proxy): RECONNECTING, RECONNECTED, media keeps flowing', async () => {
  dave = await callPage('1000', 'dave');
  await join(dave, { user: 'dave', stream: 'dave-mic', server: proxy.wsUrl });
  await waitEvent(dave, 'publisherStateUpdate', [STATE('dave-mic', 'PUBLISHING')], 20000);
  await waitEvent(dave, 'playerStateUpdate', [STATE('alice-mic', 'PLAYING')], 20000);
  await waitEvent(alice, 'playerStateUpdate', [STATE('dave-mic', 'PLAYING')], 20000);
  await expectTone(alice, 'dave-mic', 1000);
  await expectTone(dave, 'alice-mic', 440);
  const info0 = await dave.evaluate(() => window.rg.engine.getRoomInfo());
  const cnt = async (p, st) => count(p, st === 'NO_PUBLISH' ? 'publisherStateUpdate' : 'playerStateUpdate', [{ state: st }]);
  const stops0 = [await cnt(dave, 'NO_PUBLISH'), await cnt(dave, 'NO_PLAY'), await cnt(alice, 'NO_PLAY')];

  assert.ok(proxy.cut() >= 1, 'dave was connected through the proxy');
  await waitEvent(dave, 'roomStateChanged', [ROOM, 'RECONNECTING', 0], 10000);
  await waitEvent(dave, 'roomStateChanged', [ROOM, 'RECONNECTED', 0], 15000);
  const info1 = await dave.evaluate(() => window.rg.engine.getRoomInfo());
  assert.strictEqual(info1.sessionID, info0.sessionID, 'the session was resumed');
  const states = (await B.events(dave, 'roomStateChanged')).map((a) => a[1]);
  assert.deepStrictEqual(states, ['LOGINING', 'LOGINED', 'RECONNECTING', 'RECONNECTED']);

  // measured again after the reconnect: both directions still carry the tones
  await expectTone(alice, 'dave-mic', 1000);
  await expectTone(dave, 'alice-mic', 440);
  assert.deepStrictEqual([await cnt(dave, 'NO_PUBLISH'), await cnt(dave, 'NO_PLAY'), await cnt(alice, 'NO_PLAY')], stops0,
    'no publisher or player stopped');
  assert.deepStrictEqual(await B.events(alice, 'roomUserUpdate', [ROOM, 'DELETE', [{ userID: 'dave' }]]), [],
    'the others saw nothing');
  const legs = await adminUntil(`/v1/rooms/${ROOM}/users/dave`, (j) => j.legs.length === 2 && j.legs.every((l) => l.state === 'connected'));
  assert.deepStrictEqual(legs.legs.map((l) => `${l.direction} ${l.stream_id}`).sort(), ['play alice-mic', 'publish dave-mic']);
}, 90000);

stest('5b. a WebSocket lost for longer than the grace period: the page logs in again, publishes and plays again', async () => {
  const info0 = await dave.evaluate(() => window.rg.engine.getRoomInfo());
  const n = {
    davePub: await count(dave, 'publisherStateUpdate', [STATE('dave-mic', 'PUBLISHING')]),
    davePlay: await count(dave, 'playerStateUpdate', [STATE('alice-mic', 'PLAYING')]),
    aliceAdd: await count(alice, 'roomStreamUpdate', [ROOM, 'ADD', [{ streamID: 'dave-mic' }]]),
    alicePlay: await count(alice, 'playerStateUpdate', [STATE('dave-mic', 'PLAYING')]),
    reconnected: await count(dave, 'roomStateChanged', [ROOM, 'RECONNECTED', 0]),
  };
  // dave mutes what it plays from alice: the mute must survive the re-login
  assert.strictEqual(await dave.evaluate(() => window.rg.engine.mutePlayStreamAudio('alice-mic', true)), true);
  proxy.block(true);
  try {
    assert.ok(proxy.cut() >= 1, 'dave was connected through the proxy');
    // the server gives up on the session after resume_grace_ms: the others see it leave
    const del = await waitEvent(alice, 'roomStreamUpdate', [ROOM, 'DELETE', [{ streamID: 'dave-mic' }]], 15000);
    assert.strictEqual(JSON.parse(del[3]).stream_delete_reason[0].code, 5, del[3]);
    await waitEvent(alice, 'roomUserUpdate', [ROOM, 'DELETE', [{ userID: 'dave' }]], 5000);
  } finally {
    proxy.block(false);
  }
  await waitCount(dave, 'roomStateChanged', [ROOM, 'RECONNECTED', 0], n.reconnected + 1, 15000);
  const info1 = await dave.evaluate(() => window.rg.engine.getRoomInfo());
  assert.notStrictEqual(info1.sessionID, info0.sessionID, 'a new session');
  // the SDK publishes and plays again on the new session
  await waitCount(dave, 'publisherStateUpdate', [STATE('dave-mic', 'PUBLISHING')], n.davePub + 1, 20000);
  await waitCount(dave, 'playerStateUpdate', [STATE('alice-mic', 'PLAYING')], n.davePlay + 1, 20000);
  await waitCount(alice, 'roomStreamUpdate', [ROOM, 'ADD', [{ streamID: 'dave-mic' }]], n.aliceAdd + 1, 20000);
  await waitCount(alice, 'playerStateUpdate', [STATE('dave-mic', 'PLAYING')], n.alicePlay + 1, 20000);
  // dave's page keeps the MediaStream startPlayingStream gave it: the SDK put
  // the new peer connection's track into it and fired addtrack (the page's
  // WebAudio analyser follows it; its <audio> element follows by itself)
  await waitEvent(dave, 'remoteTrackChanged', ['alice-mic', 'live'], 5000);
  const tracks = await dave.evaluate(() => window.rg.played['alice-mic'].remote.getAudioTracks()
    .map((t) => `${t.readyState} ${t.enabled ? 'enabled' : 'muted'}`));
  assert.deepStrictEqual(tracks, ['live muted']);
  assert.strictEqual(await dave.evaluate(() => window.rg.engine.mutePlayStreamAudio('alice-mic', false)), true);
  await expectTone(alice, 'dave-mic', 1000);
  await expectTone(dave, 'alice-mic', 440);
  await expectTone(carol, 'dave-mic', 1000);
}, 90000);

stest('7. bad offers from a raw protocol client get clear errors; the pages\' audio is undisturbed', async () => {
  const c = await Client.connect(srv);
  const hb = setInterval(() => { if (!c.closed) c.request('heartbeat').catch(() => {}); }, 2000);
  try {
    assert.strictEqual((await c.login(srv, ROOM, 'prober')).ok, true);
    // a real Chromium offer, then broken in different ways
    const offer = await alice.evaluate(async () => {
      const pc = new RTCPeerConnection();
      pc.addTransceiver('audio', { direction: 'recvonly' });
      const o = await pc.createOffer();
      pc.close();
      return o.sdp;
    });
    const lines = offer.split('\r\n');
    assert.ok(lines.includes('a=rtcp-mux'), offer);
    const opusPt = /^a=rtpmap:(\d+) opus\/48000\/2$/i.exec(lines.find((l) => /^a=rtpmap:\d+ opus\//i.test(l)))[1];
    const noMux = lines.filter((l) => l !== 'a=rtcp-mux' && l !== 'a=rtcp-mux-only').join('\r\n');
    const noOpus = lines.filter((l) => !new RegExp(`^a=(rtpmap|fmtp|rtcp-fb):${opusPt} `).test(l))
      .map((l) => (l.startsWith('m=audio ') ? l.split(' ').filter((x, i) => i < 3 || x !== opusPt).join(' ') : l)).join('\r\n');
    const stops0 = [];
    for (const p of [alice, carol, dave]) stops0.push(await count(p, 'playerStateUpdate', [{ state: 'NO_PLAY' }]));
    for (const [what, sdp, re] of [['no a=rtcp-mux', noMux, /rtcp-mux is required/], ['no Opus', noOpus, /Opus/],
      ['garbage', 'v=0\r\nthis is not SDP\r\n', /./]]) {
      const r = await c.request('play', { stream_id: 'alice-mic', sdp }, 10000);
      assert.strictEqual(r.ok, false, `${what}: ${JSON.stringify(r)}`);
      assert.strictEqual(r.error.code, 1000002, `${what}: ${JSON.stringify(r)}`);
      assert.strictEqual(r.error.name, 'bad_sdp', `${what}: ${JSON.stringify(r)}`);
      assert.match(r.error.message, re, `${what}: ${r.error.message}`);
    }
    // the good offer works from the same client (the room is not in a bad state)
    const good = await c.request('play', { stream_id: 'alice-mic', sdp: offer }, 10000);
    assert.strictEqual(good.ok, true, JSON.stringify(good));
    assert.match(good.data.sdp, /a=rtcp-mux/);
    assert.strictEqual((await c.request('stop_play', { stream_id: 'alice-mic' })).ok, true);

    // everybody still hears everybody
    await expectTone(carol, 'alice-mic', 440);
    await expectTone(alice, 'dave-mic', 1000);
    await expectTone(dave, 'alice-mic', 440);
    await expectTone(carol, 'dave-mic', 1000);
    const stops1 = [];
    for (const p of [alice, carol, dave]) stops1.push(await count(p, 'playerStateUpdate', [{ state: 'NO_PLAY' }]));
    assert.deepStrictEqual(stops1, stops0, 'no player stopped');
    assert.strictEqual((await c.request('logout')).ok, true);
  } finally {
    clearInterval(hb);
    c.close();
  }
}, 90000);

stest('7b. mutePublishStreamAudio stops the audio (remoteMicStatusUpdate MUTE) and unmuting brings it back; everybody logs out', async () => {
  const opens = {};
  for (const p of [carol, dave]) opens[p.rgLabel] = await count(p, 'remoteMicStatusUpdate', ['alice-mic', 'OPEN']);
  assert.strictEqual(await alice.evaluate(() => window.rg.engine.mutePublishStreamAudio(window.rg.local, true)), true);
  for (const p of [carol, dave]) await waitEvent(p, 'remoteMicStatusUpdate', ['alice-mic', 'MUTE'], 10000);
  const quiet = await carol.evaluate(() => window.rg.measure('alice-mic', 1500));
  assert.ok(quiet.packets <= 2, `carol still receives alice-mic while muted: ${JSON.stringify(quiet)}`);
  await waitEvent(alice, 'publishQualityUpdate', ['alice-mic', { audio: { muteState: '1' } }], 10000);
  assert.strictEqual(await alice.evaluate(() => window.rg.engine.mutePublishStreamAudio(window.rg.local, false)), true);
  for (const p of [carol, dave]) await waitCount(p, 'remoteMicStatusUpdate', ['alice-mic', 'OPEN'], opens[p.rgLabel] + 1, 10000);
  await expectTone(carol, 'alice-mic', 440);
  await expectTone(dave, 'alice-mic', 440);

  // everybody logs out: the room and its legs are gone
  for (const p of [alice, carol, dave]) {
    await p.evaluate((r) => window.rg.engine.logoutRoom(r), ROOM);
    await closePage(p);
  }
  alice = carol = dave = null;
  const deadline = Date.now() + 10000;
  while ((await srv.admin('GET', `/v1/rooms/${ROOM}`)).status !== 404) {
    assert.ok(Date.now() < deadline, 'the room is still there after every member logged out');
    await sleep(200);
  }
}, 90000);

stest('8. quick start pages (only the zego-compat §1 sequence) publish and play: classic script and ES module', async () => {
  const open = async (tone, file, user) => {
    const context = await chrome[tone].browser.newContext();
    const p = await context.newPage();
    p.rgLabel = `${file} ${user}`;
    p.rgConsole = [];
    p.on('console', (m) => p.rgConsole.push(`${m.type()}: ${m.text()}`));
    p.on('pageerror', (e) => p.rgConsole.push(`pageerror: ${e.message}`));
    pages.add(p);
    await p.goto(`${srv.url}/demo/test/${file}.html?room=${QS_ROOM}&user=${user}&stream=${user}-mic`, { timeout: 15000 });
    return p;
  };
  const qa = await open('440', 'quickstart-classic', 'qa');
  const qb = await open('1000', 'quickstart-module', 'qb');
  const hears = async (p, sid, hz) => {
    try {
      await p.waitForFunction(([s, h, tol]) => {
        const r = window.quickstart && window.quickstart.heard[s];
        const ok = r && Math.abs(r.hz - h) <= tol && r.db > -60 && Date.now() - r.at < 1000;
        window.quickstart.okCount = ok ? (window.quickstart.okCount || 0) + 1 : 0;
        return window.quickstart.okCount >= 5; // one second of that tone
      }, [sid, hz, TONE_TOLERANCE_HZ], { timeout: 25000, polling: 200 });
    } catch {
      throw new Error(`${p.rgLabel} does not hear ${hz} Hz on ${sid}: ${JSON.stringify(await p.evaluate(() => window.quickstart.heard))}`);
    }
    const h = await p.evaluate((s) => window.quickstart.heard[s], sid);
    currentTest.diagnostic(`${p.rgLabel} hears ${sid}: ${h.hz} Hz (${h.db} dB)`);
  };
  await hears(qa, 'qb-mic', 1000);
  await hears(qb, 'qa-mic', 440);
  for (const [p, kind, mine, other] of [[qa, 'classic', 'qa-mic', 'qb-mic'], [qb, 'module', 'qb-mic', 'qa-mic']]) {
    const qs = await p.evaluate(() => window.quickstart);
    const names = qs.events.map((e) => e.name);
    assert.strictEqual(qs.loadedAs, kind);
    assert.strictEqual(qs.error, null, JSON.stringify(qs.error));
    assert.strictEqual(qs.done, true);
    assert.ok(qs.events.some((e) => e.name === 'roomStateChanged' && e.args[1] === 'LOGINED'), names.join(' '));
    assert.ok(qs.events.some((e) => e.name === 'startPublishingStream' && e.args[0] === true), names.join(' '));
    assert.ok(qs.events.some((e) => e.name === 'publisherStateUpdate' && e.args[0].streamID === mine && e.args[0].state === 'PUBLISHING'));
    assert.ok(qs.events.some((e) => e.name === 'playerStateUpdate' && e.args[0].streamID === other && e.args[0].state === 'PLAYING'));
    assert.ok(!p.rgConsole.some((l) => l.startsWith('pageerror')), p.rgConsole.join('\n'));
    // the remote view put an <audio> element into the page's container
    assert.strictEqual(await p.locator('#remote-video audio').count(), 1);
  }
  for (const p of [qa, qb]) await closePage(p);
  await adminUntil('/v1/rooms', (j) => !(j.rooms || []).some((r) => r.room_id === QS_ROOM), 10000);
}, 90000);

// When the page saw its stream reach PUBLISHING (its own clock: Date.now()).
async function publishedAt(page, streamID) {
  await waitEvent(page, 'publisherStateUpdate', [{ streamID, state: 'PUBLISHING' }], 20000);
  const ev = await B.eventsOf(page);
  const e = ev.find((x) => x.name === 'publisherStateUpdate' && x.args[0].streamID === streamID && x.args[0].state === 'PUBLISHING');
  return e.t;
}

function decodeTo48k(file) {
  const out = file.replace(/\.\w+$/, '') + '.dec.wav';
  const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', file, '-ar', '48000', '-ac', '1', out], { encoding: 'utf8' });
  assert.strictEqual(r.status, 0, `ffmpeg ${file}: ${r.stderr}`);
  return out;
}

stest('9. recordings of Chromium pages: per_stream files decode, carry their tones and line up with the joins; the mixed WAV has both tones', async () => {
  const { tones } = require('./lib/rtp_tools');
  const room = 'rec-room';
  const a = await callPage('440', 'rec-a');
  const b = await callPage('1000', 'rec-b');
  await join(a, { user: 'rec-a', stream: 'rec_a', room });
  await join(b, { user: 'rec-b', stream: 'rec_b', room });
  await publishedAt(a, 'rec_a');
  await publishedAt(b, 'rec_b');
  await sleep(500);
  const ps = await srv.admin('POST', `/v1/rooms/${room}/recordings`, { mode: 'per_stream' });
  assert.strictEqual(ps.status, 201, ps.text);
  const mw = await srv.admin('POST', `/v1/rooms/${room}/recordings`, { mode: 'mixed', format: 'wav' });
  assert.strictEqual(mw.status, 201, mw.text);
  await sleep(3000);
  const c = await callPage('440', 'rec-c'); // a third page joins 3 s later
  await join(c, { user: 'rec-c', stream: 'rec_c', room });
  const tc = await publishedAt(c, 'rec_c');
  await sleep(4000);
  for (const r of [ps, mw]) assert.strictEqual((await srv.admin('DELETE', `/v1/rooms/${room}/recordings/${r.json.id}`)).status, 200);
  const done = await adminUntil(`/v1/rooms/${room}/recordings/${ps.json.id}`, (j) => j.state === 'stopped');
  const donew = await adminUntil(`/v1/rooms/${room}/recordings/${mw.json.id}`, (j) => j.state === 'stopped');
  for (const p of [a, b, c]) await closePage(p);

  const side = JSON.parse(fs.readFileSync(path.join(done.dir, 'recording.json'), 'utf8'));
  assert.strictEqual(side.files.length, 3, JSON.stringify(side));
  const want = { rec_a: 440, rec_b: 1000, rec_c: 440 };
  const durs = [];
  for (const f of side.files) {
    const file = path.join(done.dir, f.path);
    const oi = spawnSync('opusinfo', [file], { encoding: 'utf8' });
    assert.strictEqual(oi.status, 0, `opusinfo ${f.path}: ${oi.stdout}${oi.stderr}`);
    const wav = decodeTo48k(file);
    const hz = want[f.stream_id];
    const t = tones(wav, [440, 1000], Math.max(0.5, (f.first_packet_ms || 0) / 1000 + 0.5));
    const other = hz === 440 ? 1000 : 440;
    assert.ok(t[hz] > 0.1 && t[other] < t[hz] / 10, `${f.stream_id} should carry ${hz} Hz: ${JSON.stringify(t)}`);
    durs.push(f.duration_ms);
  }
  assert.ok(Math.max(...durs) - Math.min(...durs) <= 40, `equal durations ±40 ms: ${durs}`);
  const byStream = Object.fromEntries(side.files.map((f) => [f.stream_id, f]));
  for (const id of ['rec_a', 'rec_b']) assert.ok(byStream[id].first_packet_ms <= 100, `${id} was publishing at the start: ${JSON.stringify(byStream[id])}`);
  const expectC = tc - side.start_ms;
  assert.ok(Math.abs(byStream.rec_c.first_packet_ms - expectC) <= 100,
    `rec_c joined ${expectC} ms after the start; the sidecar says ${byStream.rec_c.first_packet_ms} ms`);
  const sidew = JSON.parse(fs.readFileSync(path.join(donew.dir, 'recording.json'), 'utf8'));
  const mix = path.join(donew.dir, sidew.files[0].path);
  const sox = spawnSync('sox', ['--i', '-D', mix], { encoding: 'utf8' });
  assert.ok(Math.abs(Number(sox.stdout) - sidew.files[0].duration_ms / 1000) < 0.05, `sox length ${sox.stdout} vs ${sidew.files[0].duration_ms} ms`);
  const tw = tones(mix, [440, 1000], 0.5);
  assert.ok(tw[440] > 0.1 && tw[1000] > 0.1, `the mixed WAV should carry both tones: ${JSON.stringify(tw)}`);
}, 90000);
