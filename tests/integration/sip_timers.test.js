// Session timers (RFC 4028) with SIPp as the phone and as the called
// party, the cases at once (about 70 s in all): the gateway as refresher
// of a call it answered (UPDATE at about half the interval, the call goes
// on), a phone that refreshes (the call outlives the first expiry), a phone
// that does not (BYE before the expiry, reason session_expired), 422 for an
// interval below Min-SE, and a call placed by the gateway whose answer makes
// it the refresher.
'use strict';
const { describe, it, before, after } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startServer, sleep } = require('./lib/harness');
const { sendTone } = require('./lib/rtp_tools');
const { freePort, freePorts, stopAll, sipp, sippDone, waitFor, sippMessages } = require('./lib/sip_tools');

const ROOM = 'timers';
let srv, dir, sipPort, tone;

async function callsOf(room) {
  const r = await srv.admin('GET', `/v1/rooms/${room}/sip-calls`);
  assert.strictEqual(r.status, 200, r.text);
  return r.json.sip_calls;
}

async function callGet(id) {
  const r = await srv.admin('GET', `/v1/rooms/${ROOM}/sip-calls/${id}`);
  assert.strictEqual(r.status, 200, r.text);
  return r.json;
}

// A phone's call: SIPp with scenario, user part user, its messages traced.
async function phone(scenario, user, extra = []) {
  const [rec1, sp] = await freePorts(2);
  const trace = path.join(dir, `${user}.msg`);
  const p = sipp(dir, scenario, ['-s', user, '-set', 'rec1', String(rec1), ...extra, '-trace_msg', '-message_file', trace,
    '-p', String(sp), `127.0.0.1:${sipPort}`], { timeout: '120s' });
  return { p, trace, scenario };
}

// The call of user's phone once it is answered.
function answeredCall(user) {
  return waitFor(srv, `the call of ${user}`, async () => (await callsOf(ROOM)).find((c) => c.state === 'answered' &&
    c.from.startsWith('sip:4915550000@') && c.to.includes(`sip:${user}@`)), 20000);
}

// Seconds from the phone's INVITE (or ACK) to the first message whose
// first line matches re.
function secondsTo(msgs, from, re) {
  const t0 = msgs.find((m) => from.test(m.line)), t1 = msgs.find((m) => re.test(m.line) && m.t >= (t0 ? t0.t : 0));
  return t0 && t1 ? t1.t - t0.t : NaN;
}

before(async () => {
  for (const tool of ['/usr/bin/sipp', '/usr/bin/gst-launch-1.0']) assert.ok(fs.existsSync(tool), `${tool} missing`);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-siptimers-'));
  sipPort = await freePort();
  srv = await startServer({
    config: {
      media: { workers: 2, rtp_ports: '24600-24799' },
      sip: {
        listen: `127.0.0.1:${sipPort}`, codecs: 'pcmu', media_timeout_ms: 0,
        dial_in: [{ user_regex: '^timer-', room: ROOM }],
      },
      log: { level: 'info' },
    },
  });
  // the room's audio, heard by every call
  const ep = await srv.admin('POST', `/v1/rooms/${ROOM}/rtp-endpoints`, {
    user_id: 'tone', direction: 'recv', codec: 'pcmu', publish_stream_id: 'tone_timers',
  });
  assert.strictEqual(ep.status, 201, ep.text);
  tone = sendTone('pcmu', 1000, Number(ep.json.local.split(':').pop()), { seconds: 110 });
});

after(async () => {
  if (process.env.RG_DEBUG_LOG && srv) console.log(srv.log());
  stopAll();
  if (tone) tone.kill('SIGKILL');
  if (srv) assert.strictEqual(await srv.stop(), 0, 'the server did not exit cleanly');
});

describe('session timers', { concurrency: true }, () => {
  it('the phone names us the refresher: our UPDATE at about half of 90 s, answered; the call goes on', async () => {
    const ph = await phone('scen_timer_uas_refresher.xml', 'timer-a');
    const c = await answeredCall('timer-a');
    await waitFor(srv, 'our UPDATE', async () => sippMessages(ph.trace).some((m) => /^UPDATE /.test(m.line)), 70000);
    const tUpdate = secondsTo(sippMessages(ph.trace), /^ACK /, /^UPDATE /);
    assert.ok(tUpdate > 35 && tUpdate < 55, `our refresh came ${tUpdate} s after the ACK (45 +- 5 expected)`);
    // after the refresh the call is up and the room's audio still goes to the phone
    const s1 = await callGet(c.id);
    await sleep(2500);
    const s2 = await callGet(c.id);
    assert.strictEqual(s2.state, 'answered', JSON.stringify(s2));
    assert.ok(s2.stats.sent.packets - s1.stats.sent.packets > 50, `${JSON.stringify(s1.stats.sent)} then ${JSON.stringify(s2.stats.sent)}`);
    await sippDone(dir, ph.scenario, ph.p);
    const j = await callGet(c.id);
    assert.strictEqual(j.reason, 'remote_bye', JSON.stringify(j));
  });

  it('the phone refreshes by UPDATE at 40 s: the call outlives the first interval', async () => {
    const ph = await phone('scen_timer_uac_refresh.xml', 'timer-b');
    const c = await answeredCall('timer-b');
    await sippDone(dir, ph.scenario, ph.p); // a BYE of ours before the phone's fails it
    const j = await callGet(c.id);
    assert.strictEqual(j.reason, 'remote_bye', JSON.stringify(j));
    assert.ok(j.ended_ms - j.answered_ms > 68000, `the call lasted ${(j.ended_ms - j.answered_ms) / 1000} s`);
  });

  it('the phone does not refresh: our BYE at 90 - min(32, 90 / 3) = 60 s, reason session_expired', async () => {
    const ph = await phone('scen_timer_uac_silent.xml', 'timer-c');
    const c = await answeredCall('timer-c');
    await sippDone(dir, ph.scenario, ph.p); // our BYE within 90 s, with Reason: SIP;cause=408
    const tBye = secondsTo(sippMessages(ph.trace), /^ACK /, /^BYE /);
    assert.ok(tBye > 58 && tBye < 66, `our BYE came ${tBye} s after the ACK (60 expected)`);
    const j = await callGet(c.id);
    assert.strictEqual(j.state, 'ended');
    assert.strictEqual(j.reason, 'session_expired', JSON.stringify(j));
    assert.match(srv.log(), new RegExp(`call ${c.id}: the session was not refreshed within 60 s of its 90 s interval`));
  });

  it('an interval below 90 s is answered 422 with Min-SE: 90', async () => {
    const ph = await phone('scen_timer_422.xml', 'timer-d');
    await sippDone(dir, ph.scenario, ph.p);
    assert.ok(!(await callsOf(ROOM)).some((c) => c.to.includes('sip:timer-d@')), 'a call was listed for the 422');
  });

  it('dial-out: the answer names us the refresher; our UPDATE at about half the interval', async () => {
    const [uasPort, mediaPort] = await freePorts(2);
    const trace = path.join(dir, 'uas.msg');
    const uas = sipp(dir, 'scen_uas_timer.xml', ['-p', String(uasPort), '-mp', String(mediaPort), '-trace_msg', '-message_file', trace],
      { timeout: '120s' });
    await sleep(500);
    const c = await srv.admin('POST', `/v1/rooms/${ROOM}/sip-calls`, { to: `sip:timer@127.0.0.1:${uasPort}` });
    assert.strictEqual(c.status, 201, c.text);
    await waitFor(srv, 'answered', async () => (await callGet(c.json.id)).state === 'answered', 20000);
    await waitFor(srv, 'our UPDATE', async () => sippMessages(trace).some((m) => /^UPDATE /.test(m.line)), 70000);
    const msgs = sippMessages(trace);
    assert.match(msgs.find((m) => /^INVITE /.test(m.line)).text, /^Session-Expires: *1800\r?$/m);
    const tUpdate = secondsTo(msgs, /^ACK /, /^UPDATE /);
    assert.ok(tUpdate > 35 && tUpdate < 55, `our refresh came ${tUpdate} s after the ACK (45 +- 5 expected)`);
    await sleep(2000);
    assert.strictEqual((await callGet(c.json.id)).state, 'answered');
    await srv.admin('DELETE', `/v1/rooms/${ROOM}/sip-calls/${c.json.id}`);
    await sippDone(dir, 'scen_uas_timer.xml', uas);
  });
});
