// Transfers (REFER) with SIPp as the transferor and as the target: by
// default REFER is answered 405; with sip.refer "follow" a REFER is
// accepted 202, the target (a SIPp echo) is dialed into the same room as a
// new call with referred_by, which publishes its stream and carries the
// room's audio, and the transferor gets NOTIFYs "100 Trying" then "200 OK"
// (the last terminating the subscription), also when the transferor hung
// up before the target answered; a busy target's 486 is reported the same
// way; a tel: target goes through the referring call's trunk; targets
// outside sip.refer_allow (403, no call placed),
// Replaces (501), other schemes (400) and a REFER outside a call (405) are
// refused.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, sleep } = require('./lib/harness');
const { sendTone, recordRtp, readWav, toneRms } = require('./lib/rtp_tools');
const { freePort, freePorts, stopAll, sipp, sippDone, waitFor, eventReceiver, sippMessages } = require('./lib/sip_tools');

let srv, plain, dir, sipPort, plainPort, trunkPort, hooks;
const tones = [];

async function callsOf(room) {
  const r = await srv.admin('GET', `/v1/rooms/${room}/sip-calls`);
  assert.strictEqual(r.status, 200, r.text);
  return r.json.sip_calls;
}

async function callGet(room, id) {
  const r = await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${id}`);
  assert.strictEqual(r.status, 200, r.text);
  return r.json;
}

// A recv RTP endpoint in the room fed with a PCMU tone by GStreamer.
async function roomTone(room, freq, seconds) {
  const ep = await srv.admin('POST', `/v1/rooms/${room}/rtp-endpoints`, {
    user_id: `tone${freq}`, direction: 'recv', codec: 'pcmu', publish_stream_id: `tone${freq}_${room}`,
  });
  assert.strictEqual(ep.status, 201, ep.text);
  tones.push(sendTone('pcmu', freq, Number(ep.json.local.split(':').pop()), { seconds }));
}

// The transferor: SIPp calling user at port (our SIP port), traced.
async function transferor(scenario, user, port, extra = []) {
  const [rec1, sp] = await freePorts(2);
  const trace = path.join(dir, `${user}.msg`);
  const p = sipp(dir, scenario, ['-s', user, '-set', 'rec1', String(rec1), ...extra, '-trace_msg', '-message_file', trace,
    '-p', String(sp), `127.0.0.1:${port}`], { timeout: '90s' });
  return { p, trace, scenario };
}

// The NOTIFYs the transferor got: {body, state (Subscription-State), event, type}.
function notifies(trace) {
  const hdr = (m, h) => { const r = new RegExp(`^${h}: *(.*?)\\r?$`, 'mi').exec(m.text); return r ? r[1] : null; };
  return sippMessages(trace).filter((m) => !m.sent && /^NOTIFY /.test(m.line)).map((m) => ({
    body: m.text.slice(m.text.indexOf(m.line)).split('\r\n\r\n')[1].split('\r\n')[0],
    state: hdr(m, 'Subscription-State'), event: hdr(m, 'Event'), type: hdr(m, 'Content-Type'),
  }));
}

// A call of the room placed by a transfer.
function transferred(room) {
  return waitFor(srv, `the transferred call in ${room}`, async () => (await callsOf(room)).find((c) => c.referred_by), 15000);
}

before(async () => {
  for (const tool of ['/usr/bin/sipp', '/usr/bin/gst-launch-1.0']) assert.ok(fs.existsSync(tool), `${tool} missing`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-siprefer-'));
  [sipPort, plainPort, trunkPort] = await freePorts(3);
  hooks = await eventReceiver();
  srv = await startServer({
    config: {
      media: { workers: 2, rtp_ports: '24400-24499' },
      sip: {
        listen: `127.0.0.1:${sipPort}`, codecs: 'pcmu', media_timeout_ms: 0,
        refer: 'follow', refer_allow: '^(sip:(echo|busy)@127\\.0\\.0\\.1:[0-9]+|tel:\\+49-?30[-0-9]+)$',
        dial_in: [{ user_regex: '^room-([a-z]+)$', room: 'rf$1' }],
        // the phones call in through it (127.0.0.1); a number goes out through it
        trunks: [{ name: 'pbx', address: `127.0.0.1:${trunkPort}`, inbound: { cidrs: ['127.0.0.1'] } }],
      },
      webhooks: [{ url: hooks.url, secret: 'sip-refer-webhook-secret', events: ['sip.*'], backoff_ms: 200 }],
      log: { level: 'info' },
    },
  });
  plain = await startServer({
    config: {
      media: { workers: 1, rtp_ports: '24500-24599' },
      sip: { listen: `127.0.0.1:${plainPort}`, codecs: 'pcmu', media_timeout_ms: 0, dial_in: [{ user_regex: '^room-', room: 'plain' }] },
    },
  });
});

after(async () => {
  if (process.env.RG_DEBUG_LOG && srv) console.log(srv.log());
  stopAll();
  for (const p of tones) p.kill('SIGKILL');
  if (hooks) await hooks.close();
  const codes = [srv && await srv.stop(), plain && await plain.stop()];
  assert.deepStrictEqual(codes, [0, 0], 'a server did not exit cleanly');
});

test('by default a REFER is answered 405, and REFER is not in Allow', async () => {
  const t = await transferor('scen_refer_405.xml', 'room-plain', plainPort);
  await sippDone(dir, t.scenario, t.p);
  const calls = (await plain.admin('GET', '/v1/rooms/plain/sip-calls')).json.sip_calls;
  assert.deepStrictEqual(calls.map((c) => c.referred_by), [null], JSON.stringify(calls));
});

test('follow: 202, NOTIFY 100 then 200 (terminated); the target joins the room with referred_by and carries its audio', async () => {
  const room = 'rfecho';
  await roomTone(room, 1000, 40);
  const [uasPort, mediaPort, recPort] = await freePorts(3);
  const uasTrace = path.join(dir, 'uas_echo.msg');
  const uas = sipp(dir, 'scen_uas_echo.xml', ['-p', String(uasPort), '-mp', String(mediaPort), '-rtp_echo',
    '-trace_msg', '-message_file', uasTrace], { timeout: '60s' });
  await sleep(500);
  const target = `sip:echo@127.0.0.1:${uasPort}`;
  const t = await transferor('scen_refer.xml', 'room-echo', sipPort, ['-set', 'target', target]);
  await sippDone(dir, t.scenario, t.p);
  // the transferor's subscription: 100 Trying, then 200 OK that ends it
  const n = notifies(t.trace);
  assert.deepStrictEqual(n.map((x) => x.body), ['SIP/2.0 100 Trying', 'SIP/2.0 200 OK'], JSON.stringify(n));
  assert.match(n[0].state, /^active/, JSON.stringify(n));
  assert.match(n[1].state, /^terminated/, JSON.stringify(n));
  for (const x of n) {
    assert.match(x.event, /^refer\b/, JSON.stringify(x));
    assert.match(x.type, /^message\/sipfrag/, JSON.stringify(x));
  }
  // the target got our INVITE; the new call is in the room, answered, after the transferor's BYE
  const invite = sippMessages(uasTrace).find((m) => !m.sent && /^INVITE /.test(m.line));
  assert.ok(invite && invite.line.startsWith(`INVITE ${target} `), invite && invite.line);
  const calls = await callsOf(room);
  const referrer = calls.find((c) => c.direction === 'inbound');
  const c = calls.find((x) => x.referred_by);
  assert.ok(referrer && c, JSON.stringify(calls));
  assert.strictEqual(referrer.reason, 'remote_bye', JSON.stringify(referrer));
  assert.strictEqual(referrer.referred_by, null);
  assert.strictEqual(c.referred_by, referrer.id);
  assert.strictEqual(c.direction, 'outbound');
  assert.strictEqual(c.to, target);
  assert.strictEqual(c.state, 'answered', JSON.stringify(c));
  assert.strictEqual(c.stream_id, `sip_${c.id}`);
  assert.strictEqual(c.user_name, 'echo');
  const users = await srv.admin('GET', `/v1/rooms/${room}/users`);
  assert.ok(users.text.includes(c.user_id), users.text);
  // its stream (the echo of what it hears: the room's 1000 Hz) is played back through a send endpoint
  const wav = path.join(dir, 'refer_echo.wav');
  const rec = recordRtp('pcmu', recPort, wav);
  const ep = await srv.admin('POST', `/v1/rooms/${room}/rtp-endpoints`, {
    user_id: 'listener', direction: 'send', codec: 'pcmu', remote: `127.0.0.1:${recPort}`, play: c.stream_id,
  });
  assert.strictEqual(ep.status, 201, ep.text);
  await sleep(4000);
  const st = (await callGet(room, c.id)).stats;
  await rec.stop();
  assert.ok(st.publishing && st.received.packets > 100, JSON.stringify(st));
  const rms = toneRms(readWav(wav), 1000, 0.5);
  assert.ok(rms > 0.1, `the transferred call's stream does not carry the room's 1000 Hz: RMS ${rms}`);
  // its sip.call events name the referrer
  await waitFor(srv, 'the answered event', async () => hooks.events.some((e) => e.type === 'sip.call' && e.data.id === c.id && e.data.state === 'answered'));
  const evs = hooks.events.filter((e) => e.type === 'sip.call' && e.data.id === c.id);
  assert.deepStrictEqual(evs.map((e) => e.data.referred_by), evs.map(() => referrer.id), JSON.stringify(evs));
  assert.match(srv.log(), new RegExp(`call ${referrer.id}: REFER to ${target.replace(/\./g, '\\.')} accepted: call ${c.id}`));
  await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${c.id}`);
  await sippDone(dir, 'scen_uas_echo.xml', uas);
});

test('the transferor hangs up before the target answers: the last NOTIFY still reaches it', async () => {
  const room = 'rflate';
  const [uasPort, mediaPort] = await freePorts(2);
  const uas = sipp(dir, 'scen_uas_late.xml', ['-p', String(uasPort), '-mp', String(mediaPort)], { timeout: '60s' });
  await sleep(500);
  const t = await transferor('scen_refer_bye_first.xml', 'room-late', sipPort, ['-set', 'target', `sip:echo@127.0.0.1:${uasPort}`]);
  await sippDone(dir, t.scenario, t.p);
  const n = notifies(t.trace);
  assert.deepStrictEqual(n.map((x) => x.body), ['SIP/2.0 100 Trying', 'SIP/2.0 200 OK'], JSON.stringify(n));
  assert.match(n[1].state, /^terminated/, JSON.stringify(n));
  // in that order: the BYE's answer, then the last NOTIFY
  const lines = sippMessages(t.trace).filter((m) => !m.sent).map((m) => m.line.replace(/ sip:\S+/, ''));
  assert.deepStrictEqual(lines.slice(-2), ['SIP/2.0 200 OK', 'NOTIFY SIP/2.0'], JSON.stringify(lines));
  const c = await transferred(room);
  assert.strictEqual(c.state, 'answered', JSON.stringify(c));
  const referrer = await callGet(room, c.referred_by);
  assert.strictEqual(referrer.reason, 'remote_bye', JSON.stringify(referrer));
  await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${c.id}`);
  await sippDone(dir, 'scen_uas_late.xml', uas);
});

test('a tel: target goes out through the referring call\'s trunk', async () => {
  const room = 'rftel';
  const [mediaPort] = await freePorts(1);
  const uasTrace = path.join(dir, 'uas_trunk.msg');
  const uas = sipp(dir, 'scen_uas_echo.xml', ['-p', String(trunkPort), '-mp', String(mediaPort), '-trace_msg', '-message_file', uasTrace],
    { timeout: '60s' });
  await sleep(500);
  const t = await transferor('scen_refer.xml', 'room-tel', sipPort, ['-set', 'target', 'tel:+49-30-1234567']);
  await sippDone(dir, t.scenario, t.p);
  assert.deepStrictEqual(notifies(t.trace).map((x) => x.body), ['SIP/2.0 100 Trying', 'SIP/2.0 200 OK']);
  const invite = sippMessages(uasTrace).find((m) => !m.sent && /^INVITE /.test(m.line));
  assert.ok(invite && invite.line.startsWith(`INVITE sip:+49301234567@127.0.0.1:${trunkPort} `), invite && invite.line);
  const c = await transferred(room);
  assert.strictEqual(c.trunk, 'pbx', JSON.stringify(c));
  assert.strictEqual(c.state, 'answered', JSON.stringify(c));
  await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${c.id}`);
  await sippDone(dir, 'scen_uas_echo.xml', uas);
});

test('a busy target: NOTIFY "SIP/2.0 486 Busy Here" ends the subscription', async () => {
  const room = 'rfbusy';
  const [uasPort] = await freePorts(1);
  const uas = sipp(dir, 'scen_uas_busy.xml', ['-p', String(uasPort)]);
  await sleep(500);
  const t = await transferor('scen_refer.xml', 'room-busy', sipPort, ['-set', 'target', `sip:busy@127.0.0.1:${uasPort}`]);
  await sippDone(dir, t.scenario, t.p);
  await sippDone(dir, 'scen_uas_busy.xml', uas);
  const n = notifies(t.trace);
  assert.deepStrictEqual(n.map((x) => x.body), ['SIP/2.0 100 Trying', 'SIP/2.0 486 Busy Here'], JSON.stringify(n));
  assert.match(n[1].state, /^terminated/, JSON.stringify(n));
  const c = await transferred(room);
  assert.strictEqual(c.state, 'ended');
  assert.strictEqual(c.reason, 'busy');
  assert.strictEqual(c.status, 486);
});

test('refused: a target outside refer_allow 403 (no call placed), Replaces 501, mailto: 400, outside a call 405', async () => {
  const room = 'rfno';
  const t = await transferor('scen_refer_refused.xml', 'room-no', sipPort);
  await sippDone(dir, t.scenario, t.p);
  const calls = await callsOf(room);
  assert.strictEqual(calls.length, 1, `a call was placed: ${JSON.stringify(calls)}`);
  const id = calls[0].id;
  const log = srv.log();
  assert.match(log, new RegExp(`call ${id}: REFER to sip:evil@127\\.0\\.0\\.1:9 refused 403: does not match sip\\.refer_allow`));
  assert.match(log, new RegExp(`call ${id}: REFER to sip:echo@127\\.0\\.0\\.1:9 refused 501: attended transfer \\(Replaces\\)`));
  assert.match(log, new RegExp(`call ${id}: REFER to mailto:someone@example\\.com refused 400`));
  const ood = await transferor('scen_refer_nodialog.xml', 'room-none', sipPort);
  await sippDone(dir, ood.scenario, ood.p);
  assert.strictEqual((await callsOf('rfnone')).length, 0);
});
