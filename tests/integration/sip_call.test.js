// In a SIP call, with SIPp as the phone and GStreamer recording what the
// gateway sends it: a PIN entered by RFC 4733 DTMF (wrong, then right: the
// prompt and wrong-PIN tones, then the room's audio), DTMF after admission
// as a sip.dtmf event, hold and resume by re-INVITE (answer directions,
// the call's held flag, the stream's packets stopping), a new media port,
// DTMF by SIP INFO, UPDATE to inactive, a late offer with a session timer,
// and DTMF sent to a phone by RFC 4733 (the packets checked) and by SIP INFO.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const dgram = require('node:dgram');
const http = require('node:http');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, sleep } = require('./lib/harness');
const { sendTone, recordRtp, readWav, toneRms } = require('./lib/rtp_tools');
const { freePort, freePorts, stopAll, sipp, sippDone, waitFor, eventReceiver } = require('./lib/sip_tools');

let srv, dir, sipPort, hooks, router;
const ROUTE_SECRET = 'route-webhook-secret-1';

// The routing webhook: answers by the dialed user, records what it got.
function startRouter() {
  const got = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const ts = req.headers['x-roomgate-timestamp'];
      const sig = 'v1=' + crypto.createHmac('sha256', ROUTE_SECRET).update(`${ts}.${body}`).digest('hex');
      const j = JSON.parse(body);
      got.push({ body: j, signed: req.headers['x-roomgate-signature'] === sig });
      const reply = (o) => { res.setHeader('Content-Type', 'application/json'); res.end(JSON.stringify(o)); };
      if (j.uri_user === 'route-a') return reply({ room: 'routed-a', user_id: 'caller-a', user_name: 'Routed A' });
      if (j.uri_user === 'route-b') return reply({ reject: 486 });
      if (j.uri_user === 'route-c') return setTimeout(() => reply({ room: 'too-late' }), 1500);
      return reply({ nonsense: true });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    url: `http://127.0.0.1:${server.address().port}/route`, got, close: () => new Promise((r) => server.close(r)),
  })));
}
const tonesSent = [];

// RMS of tone f in [from, to) seconds of a recording.
function windowRms(w, f, from, to) {
  const a = Math.round(from * w.rate), b = Math.min(w.x.length, Math.round(to * w.rate));
  const part = { rate: w.rate, x: w.x.subarray(a, b) };
  return toneRms(part, f, 0);
}

// The strongest 0.2 s of tone f within [from, to) seconds.
function peakRms(w, f, from, to) {
  let best = 0;
  for (let t = from; t + 0.2 <= to; t += 0.1) best = Math.max(best, windowRms(w, f, t, t + 0.2));
  return best;
}

// A recv RTP endpoint in the room fed with a PCMU tone by GStreamer.
async function roomTone(room, freq, seconds) {
  const ep = await srv.admin('POST', `/v1/rooms/${room}/rtp-endpoints`, {
    user_id: `tone${freq}`, direction: 'recv', codec: 'pcmu', publish_stream_id: `tone${freq}_${room}`,
  });
  assert.strictEqual(ep.status, 201, ep.text);
  tonesSent.push(sendTone('pcmu', freq, Number(ep.json.local.split(':').pop()), { seconds }));
  return ep.json;
}

async function callsOf(room) {
  const r = await srv.admin('GET', `/v1/rooms/${room}/sip-calls`);
  assert.strictEqual(r.status, 200, r.text);
  return r.json.sip_calls;
}

before(async () => {
  for (const tool of ['/usr/bin/sipp', '/usr/bin/gst-launch-1.0']) assert.ok(fs.existsSync(tool), `${tool} missing`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-sipcall-'));
  sipPort = await freePort();
  hooks = await eventReceiver();
  router = await startRouter();
  const deadPort = await freePort();
  srv = await startServer({
    config: {
      media: { workers: 2, rtp_ports: '24000-24199' },
      sip: {
        listen: `127.0.0.1:${sipPort}`, media_timeout_ms: 20000, codecs: 'pcmu,pcma',
        dial_in: [
          { user_regex: '^pin-([a-z0-9]+)$', room: 'pin$1', user_name: 'caller ${caller}', pin: '42' },
          { user_regex: '^room-([a-z0-9]+)$', room: 'sc$1' },
          { user_regex: '^route-', room: 'unrouted', route_url: router.url, route_secret: ROUTE_SECRET, route_timeout_ms: 500 },
          { user_regex: '^fallback-', room: 'fallback-room', route_url: `http://127.0.0.1:${deadPort}/x`, route_fallback: 'rule' },
        ],
      },
      webhooks: [{ url: hooks.url, secret: 'sip-call-webhook-secret', events: ['sip.*'], backoff_ms: 200 }],
      log: { level: 'info' },
    },
  });
});

after(async () => {
  if (process.env.RG_DEBUG_LOG && srv) console.log(srv.log());
  stopAll();
  for (const p of tonesSent) p.kill('SIGKILL');
  if (srv) await srv.stop();
  if (hooks) await hooks.close();
  if (router) await router.close();
});

test('PIN by RFC 4733: prompt, wrong PIN, right PIN, then the room; a later digit is a sip.dtmf event', async () => {
  const room = 'pinalpha';
  await roomTone(room, 1000, 30);
  const [rec1, mp, sp] = await freePorts(3);
  const wav = path.join(dir, 'pin.wav');
  const recorder = recordRtp('pcmu', rec1, wav);
  await sleep(500);
  const t0 = Date.now();
  const phone = sipp(dir, 'scen_pin_dtmf.xml', ['-s', 'pin-alpha', '-set', 'recport', String(rec1),
    '-mp', String(mp), '-p', String(sp), `127.0.0.1:${sipPort}`], { timeout: '40s' });
  // in the lobby: answered, not in the room
  const lobby = await waitFor(srv, 'the call in the lobby', async () => (await callsOf(room)).find((c) => c.state === 'answered'), 20000);
  assert.strictEqual(lobby.pin_pending, true);
  assert.strictEqual(lobby.stream_id, null);
  const users = await srv.admin('GET', `/v1/rooms/${room}/users`);
  assert.ok(!JSON.stringify(users.json).includes('caller 4915551234'), `the caller is in the room before its PIN: ${users.text}`);
  // admitted after 4# (wrong) and 42#
  const inRoom = await waitFor(srv, 'the call in the room', async () => (await callsOf(room)).find((c) => c.state === 'answered' && !c.pin_pending), 20000);
  assert.strictEqual(inRoom.stream_id, `sip_${inRoom.id}`);
  const admitted = (Date.now() - t0) / 1000;
  await sippDone(dir, 'scen_pin_dtmf.xml', phone);
  await recorder.stop();
  const w = readWav(wav);
  // prompt beeps (440 Hz) while waiting, the wrong-PIN beeps (300 Hz) after 4#, the room's 1000 Hz once admitted
  const prompt = windowRms(w, 440, 0.05, 0.35), promptRoom = windowRms(w, 1000, 0.3, 3.5);
  const wrong = peakRms(w, 300, 3.5, admitted);
  const roomAudio = windowRms(w, 1000, admitted + 0.5, admitted + 3.5);
  assert.ok(prompt > 0.1, `no prompt tone: 440 Hz RMS ${prompt}`);
  assert.ok(promptRoom < 0.01, `the room was heard before the PIN: 1000 Hz RMS ${promptRoom}`);
  assert.ok(wrong > 0.1, `no wrong-PIN tone: 300 Hz RMS ${wrong}`);
  assert.ok(roomAudio > 0.1, `the room is not heard after the PIN: 1000 Hz RMS ${roomAudio}`);
  // events: the PIN digits are not reported; 7 is, with the user
  await waitFor(srv, 'the sip.dtmf event', async () => hooks.events.some((e) => e.type === 'sip.dtmf' && e.data.room_id === room));
  const dtmf = hooks.events.filter((e) => e.type === 'sip.dtmf' && e.data.room_id === room);
  assert.deepStrictEqual(dtmf.map((e) => e.data.digit), ['7']);
  assert.strictEqual(dtmf[0].data.user_id, inRoom.user_id);
  assert.strictEqual(dtmf[0].data.method, 'rfc4733');
});

test('three wrong PINs: goodbye tone and BYE; nobody joins the room', async () => {
  const room = 'pinbeta';
  const [rec1, mp, sp] = await freePorts(3);
  const t = { ended: null };
  const phone = sipp(dir, 'scen_pin_wrong.xml', ['-s', 'pin-beta', '-set', 'recport', String(rec1),
    '-mp', String(mp), '-p', String(sp), `127.0.0.1:${sipPort}`], { timeout: '30s' });
  t.ended = await waitFor(srv, 'the call ended', async () => (await callsOf(room)).find((c) => c.state === 'ended'), 25000);
  assert.strictEqual(t.ended.reason, 'pin_failed');
  await sippDone(dir, 'scen_pin_wrong.xml', phone);
  const r = await srv.admin('GET', `/v1/rooms/${room}`);
  assert.strictEqual(r.status, 404, `room ${room} exists: ${r.text}`);
});

test('hold, resume at a new port, INFO DTMF, UPDATE to inactive', async () => {
  const room = 'schold';
  await roomTone(room, 1000, 30);
  const [rec1, rec2, sp] = await freePorts(3);
  const wav1 = path.join(dir, 'hold1.wav'), wav2 = path.join(dir, 'hold2.wav');
  const r1 = recordRtp('pcmu', rec1, wav1), r2 = recordRtp('pcmu', rec2, wav2);
  await sleep(500);
  const t0 = Date.now();
  const phone = sipp(dir, 'scen_hold.xml', ['-s', 'room-hold', '-set', 'rec1', String(rec1), '-set', 'rec2', String(rec2),
    '-p', String(sp), `127.0.0.1:${sipPort}`], { timeout: '40s' });
  const call = await waitFor(srv, 'answered', async () => (await callsOf(room)).find((c) => c.state === 'answered'));
  assert.strictEqual(call.held, false);
  const held = await waitFor(srv, 'held', async () => (await callsOf(room)).find((c) => c.held), 8000);
  const tHeld = (Date.now() - t0) / 1000;
  // statistics come from the worker once a second
  await waitFor(srv, 'the endpoint on hold', async () => {
    const st = (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${held.id}`)).json.stats;
    return st.sending === false && st.publishing === false;
  }, 3000);
  const resumed = await waitFor(srv, 'resumed', async () => (await callsOf(room)).find((c) => c.state === 'answered' && !c.held), 8000);
  assert.match(resumed.remote_media, new RegExp(`:${rec2}$`));
  const tResumed = (Date.now() - t0) / 1000;
  await sippDone(dir, 'scen_hold.xml', phone);
  await r1.stop();
  await r2.stop();
  const w1 = readWav(wav1), w2 = readWav(wav2);
  const before = windowRms(w1, 1000, 0.5, tHeld - 0.8);
  assert.ok(before > 0.1, `the phone did not hear the room before hold: ${before}`);
  // on hold nothing is sent: the first port's recording stops growing
  const heard1 = w1.x.length / w1.rate;
  assert.ok(heard1 < tHeld + 1.0, `audio went on during hold: ${heard1} s recorded, hold at ${tHeld} s`);
  const after2 = windowRms(w2, 1000, 0.3, Math.max(0.6, (w2.x.length / w2.rate) - 0.3));
  assert.ok(after2 > 0.1, `no room audio at the new port after resume (${tResumed} s): ${after2}`);
  await waitFor(srv, 'INFO digit', async () => hooks.events.some((e) => e.type === 'sip.dtmf' && e.data.room_id === room));
  const ev = hooks.events.find((e) => e.type === 'sip.dtmf' && e.data.room_id === room);
  assert.strictEqual(ev.data.digit, '5');
  assert.strictEqual(ev.data.method, 'info');
  const calls = hooks.events.filter((e) => e.type === 'sip.call' && e.data.room_id === room).map((e) => `${e.data.state}${e.data.held ? '+held' : ''}`);
  assert.deepStrictEqual(calls, ['answered', 'answered+held', 'answered', 'answered+held', 'ended']);
});

test('late offer: our offer in the 200 with a session timer, the answer in the ACK', async () => {
  const room = 'sclate';
  await roomTone(room, 1000, 20);
  const [rec1, sp] = await freePorts(2);
  const wav = path.join(dir, 'late.wav');
  const r = recordRtp('pcmu', rec1, wav);
  await sleep(500);
  const phone = sipp(dir, 'scen_late_offer.xml', ['-s', 'room-late', '-set', 'rec1', String(rec1), '-p', String(sp), `127.0.0.1:${sipPort}`]);
  await sippDone(dir, 'scen_late_offer.xml', phone);
  await r.stop();
  const w = readWav(wav);
  const rms = windowRms(w, 1000, 0.5, w.x.length / w.rate);
  assert.ok(rms > 0.1, `the late-offer call did not hear the room: ${rms}`);
  const c = (await callsOf(room))[0];
  assert.strictEqual(c.codec.name, 'pcmu');
});

// RFC 4733 packets as they arrive at a UDP port: {event, end, ts, marker}.
function teCapture(port) {
  const sock = dgram.createSocket('udp4');
  const packets = [];
  sock.on('message', (m) => {
    if (m.length < 16 || (m[1] & 0x7f) !== 101) return;
    const cc = m[0] & 0x0f, off = 12 + 4 * cc;
    packets.push({ marker: !!(m[1] & 0x80), ts: m.readUInt32BE(4), event: m[off], end: !!(m[off + 1] & 0x80), duration: m.readUInt16BE(off + 2) });
  });
  return new Promise((resolve) => sock.bind(port, '127.0.0.1', () => resolve({ packets, close: () => sock.close() })));
}

test('DTMF to the phone: RFC 4733 events, and SIP INFO without telephone-event', async () => {
  const room = 'scdtmf';
  const [rec1, uasPort, rec3] = await freePorts(3);
  const cap = await teCapture(rec1);
  const uas = sipp(dir, 'scen_uas_te.xml', ['-p', String(uasPort), '-set', 'rec1', String(rec1)], { timeout: '30s' });
  await sleep(500);
  const c = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { to: `sip:te@127.0.0.1:${uasPort}`, dtmf_after_answer: '9' });
  assert.strictEqual(c.status, 201, c.text);
  await waitFor(srv, 'answered', async () => (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${c.json.id}`)).json.state === 'answered');
  const bad = await srv.admin('POST', `/v1/rooms/${room}/sip-calls/${c.json.id}/dtmf`, { digits: '12x' });
  assert.strictEqual(bad.status, 422, bad.text);
  assert.match(bad.json.error.message, /digits/);
  const d = await srv.admin('POST', `/v1/rooms/${room}/sip-calls/${c.json.id}/dtmf`, { digits: '15#' });
  assert.strictEqual(d.status, 200, d.text);
  await waitFor(srv, 'four digits', async () => new Set(cap.packets.filter((p) => p.end).map((p) => p.ts)).size >= 4, 6000);
  await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${c.json.id}`);
  await sippDone(dir, 'scen_uas_te.xml', uas);
  cap.close();
  // one event per timestamp, in order, the marker on its first packet, ended with E three times
  const byTs = new Map();
  for (const p of cap.packets) { if (!byTs.has(p.ts)) byTs.set(p.ts, []); byTs.get(p.ts).push(p); }
  const events = [...byTs.values()];
  assert.deepStrictEqual(events.map((ps) => '0123456789*#'[ps[0].event]), ['9', '1', '5', '#']);
  for (const ps of events) {
    assert.strictEqual(ps[0].marker, true);
    assert.strictEqual(ps.filter((p) => p.end).length, 3);
    assert.strictEqual(Math.max(...ps.map((p) => p.duration)), 800); // 100 ms at 8 kHz
  }
  // INFO when the phone has no telephone-event
  const uas2 = sipp(dir, 'scen_uas_info.xml', ['-p', String(uasPort), '-set', 'rec1', String(rec3)], { timeout: '30s' });
  await sleep(500);
  const c2 = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { to: `sip:info@127.0.0.1:${uasPort}` });
  await waitFor(srv, 'answered', async () => (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${c2.json.id}`)).json.state === 'answered');
  const d2 = await srv.admin('POST', `/v1/rooms/${room}/sip-calls/${c2.json.id}/dtmf`, { digits: '1#' });
  assert.strictEqual(d2.status, 200, d2.text);
  await sleep(1000);
  await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${c2.json.id}`);
  await sippDone(dir, 'scen_uas_info.xml', uas2);
});

test('dial-in routed by a webhook: a room and user from the answer, a rejection, a timeout, a fallback', async () => {
  const [rec1, sp] = await freePorts(2);
  const args = (user) => ['-s', user, '-set', 'rec1', String(rec1), '-p', String(sp), `127.0.0.1:${sipPort}`];
  // the answer's room and user
  let p = sipp(dir, 'scen_call_short.xml', args('route-a'));
  const a = await waitFor(srv, 'routed call', async () => (await callsOf('routed-a')).find((c) => c.state === 'answered'));
  assert.strictEqual(a.user_id, 'caller-a');
  assert.strictEqual(a.user_name, 'Routed A');
  await sippDone(dir, 'scen_call_short.xml', p);
  assert.strictEqual((await callsOf('unrouted')).length, 0);
  const asked = router.got.find((g) => g.body.uri_user === 'route-a');
  assert.ok(asked.signed, 'the routing request is not signed with route_secret');
  assert.strictEqual(asked.body.room, 'unrouted');
  assert.match(asked.body.from, /^sip:4915550000@/);
  assert.strictEqual(asked.body.call_id, a.id);
  // rejected by the answer
  p = sipp(dir, 'scen_refused.xml', args('route-b'));
  await sippDone(dir, 'scen_refused.xml', p);
  assert.match(srv.log(), /refused 486: routing webhook: rejected by the webhook/);
  // no answer in time: 503
  p = sipp(dir, 'scen_refused.xml', args('route-c'));
  await sippDone(dir, 'scen_refused.xml', p);
  assert.match(srv.log(), /refused 503: routing webhook: .*(Timeout|timed out)/i);
  // an answer that says nothing usable: 503
  p = sipp(dir, 'scen_refused.xml', args('route-d'));
  await sippDone(dir, 'scen_refused.xml', p);
  assert.match(srv.log(), /refused 503: routing webhook: the answer is not a JSON object/);
  // webhook down, fallback "rule": the rule's room
  p = sipp(dir, 'scen_call_short.xml', args('fallback-x'));
  await waitFor(srv, 'fallback call', async () => (await callsOf('fallback-room')).find((c) => c.state === 'answered'));
  await sippDone(dir, 'scen_call_short.xml', p);
});

test('dial-out: a SIPp echo comes back into the room as the phone stream (N-1), busy and unreachable end clearly', async () => {
  const room = 'scecho';
  await roomTone(room, 1000, 25);
  const [uasPort, mediaPort, recPort, deadPort] = await freePorts(4);
  const uas = sipp(dir, 'scen_uas_echo.xml', ['-p', String(uasPort), '-mp', String(mediaPort), '-rtp_echo'], { timeout: '40s' });
  await sleep(500);
  const c = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { to: `sip:echo@127.0.0.1:${uasPort}`, user_name: 'Echo' });
  assert.strictEqual(c.status, 201, c.text);
  await waitFor(srv, 'answered', async () => (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${c.json.id}`)).json.state === 'answered');
  const states = () => hooks.events.filter((e) => e.type === 'sip.call' && e.data.id === c.json.id).map((e) => e.data.state);
  await waitFor(srv, 'the answered event', async () => states().includes('answered'));
  assert.deepStrictEqual(states(), ['calling', 'ringing', 'answered']);
  // what the phone sends back is the call's stream in the room: record it through a send endpoint
  const streamId = (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${c.json.id}`)).json.stream_id;
  const wav = path.join(dir, 'echo.wav');
  const rec = recordRtp('pcmu', recPort, wav);
  const ep = await srv.admin('POST', `/v1/rooms/${room}/rtp-endpoints`, {
    user_id: 'listener', direction: 'send', codec: 'pcmu', remote: `127.0.0.1:${recPort}`, play: streamId,
  });
  assert.strictEqual(ep.status, 201, ep.text);
  await sleep(4000);
  const st = (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${c.json.id}`)).json.stats;
  await rec.stop();
  // the phone hears the room minus itself: while its own (echoed) stream is
  // among the talkers, its output is encoded with its own signal subtracted
  assert.ok(st.mix.talkers.includes(streamId) && st.mix.talkers.includes(`tone1000_${room}`), JSON.stringify(st.mix));
  assert.ok(st.mix.own_frames > 50, JSON.stringify(st.mix));
  // and the echo stays at the tone's level: with its own audio in its mix it would feed back and grow
  const w = readWav(wav);
  const dur = w.x.length / w.rate;
  const early = windowRms(w, 1000, 0.5, dur / 2), late = windowRms(w, 1000, dur / 2, dur);
  assert.ok(early > 0.1, `the echo of the room's 1000 Hz did not come back as the phone's stream: ${early}`);
  assert.ok(late < early + 0.1, `the echo grows (feedback?): ${early} then ${late}`);
  await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${c.json.id}`);
  await sippDone(dir, 'scen_uas_echo.xml', uas);
  // busy
  const busy = sipp(dir, 'scen_uas_busy.xml', ['-p', String(uasPort)]);
  await sleep(500);
  const b = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { to: `sip:busy@127.0.0.1:${uasPort}` });
  const ended = await waitFor(srv, 'busy', async () => {
    const j = (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${b.json.id}`)).json;
    return j.state === 'ended' && j;
  });
  assert.strictEqual(ended.reason, 'busy');
  assert.strictEqual(ended.status, 486);
  await sippDone(dir, 'scen_uas_busy.xml', busy);
  // nobody there: the call ends with a reason and a status, not silently
  const u = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { to: `sip:nobody@127.0.0.1:${deadPort}`, ring_timeout_s: 10 });
  const gone = await waitFor(srv, 'unreachable', async () => {
    const j = (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${u.json.id}`)).json;
    return j.state === 'ended' && j;
  }, 15000);
  assert.ok(['unavailable', 'no_answer', 'rejected'].includes(gone.reason), JSON.stringify(gone));
  assert.ok(gone.status >= 400, JSON.stringify(gone));
});
