// The SIP gateway with real SIP peers: baresip dials in (Opus, then PCMU)
// playing 440 Hz while an RTP endpoint in the room plays 1000 Hz; the room
// hears 440 Hz (a send endpoint that plays the call's stream, recorded by
// GStreamer) and baresip's recording holds 1000 Hz. Dial-out to baresip
// with auto-answer and hang-up through the admin API. SIPp: OPTIONS 200,
// no dial-in rule 404, a malformed SDP 488 and garbage datagrams while a
// call is in progress, CANCEL of an unanswered dial-out.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { execFileSync } = require('node:child_process');
const dgram = require('node:dgram');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { freePort, run, track, stopAll, baresipDir, waitFor: waitForServer } = require('./lib/sip_tools');
const { startServer, sleep } = require('./lib/harness');
const { sendTone, recordRtp, tones } = require('./lib/rtp_tools');

const SIPP_DIR = path.join(__dirname, 'sipp');
let srv, dir, sipPort;

const waitFor = (what, fn, ms) => waitForServer(srv, what, fn, ms);

// A baresip 1.0.0 (headless) in its own directory (lib/sip_tools.js).
const baresip = (name, opts) => baresipDir(dir, name, opts);

function recording(rec) {
  const f = fs.readdirSync(rec).find((n) => n.endsWith('-dec.wav'));
  assert.ok(f, `baresip wrote no recording in ${rec}: ${fs.readdirSync(rec)}`);
  return path.join(rec, f);
}

function sipp(scenario, args) {
  return run('sipp', ['-sf', path.join(SIPP_DIR, scenario), '-i', '127.0.0.1', '-m', '1',
    '-timeout', '20s', '-timeout_error', '-nostdin', '-trace_err', '-error_file', path.join(dir, `${scenario}.err`), ...args],
  { cwd: dir });
}

async function sippOk(scenario, args) {
  const p = sipp(scenario, args);
  const code = await p.done;
  let err = '';
  try { err = fs.readFileSync(path.join(dir, `${scenario}.err`), 'utf8'); } catch { /* none */ }
  assert.strictEqual(code, 0, `sipp ${scenario} exited ${code}: ${p.out.slice(-1500)}\n${err.slice(-1500)}`);
}

async function calls(room) {
  const r = await srv.admin('GET', `/v1/rooms/${room}/sip-calls`);
  assert.strictEqual(r.status, 200, r.text);
  return r.json.sip_calls;
}

before(async () => {
  for (const tool of ['/usr/bin/baresip', '/usr/bin/sipp', '/usr/bin/gst-launch-1.0', '/usr/bin/sox']) {
    assert.ok(fs.existsSync(tool), `${tool} missing (make test installs it)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-sip-'));
  sipPort = await freePort();
  srv = await startServer({
    config: {
      media: { workers: 2, rtp_ports: '33000-33199' },
      sip: {
        listen: `127.0.0.1:${sipPort}`, media_timeout_ms: 5000,
        dial_in: [{ user_regex: '^room-([a-z0-9]+)$', room: 'sip$1', user_name: 'phone ${caller}' }],
      },
      log: { level: 'info' },
    },
  });
  execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', path.join(dir, 'a440_48k.wav'), 'synth', '7', 'sine', '440', 'vol', '0.5']);
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', path.join(dir, 'a440_8k.wav'), 'synth', '7', 'sine', '440', 'vol', '0.5']);
  execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', path.join(dir, 'b1k_48k.wav'), 'synth', '30', 'sine', '1000', 'vol', '0.5']);
});

after(async () => {
  stopAll();
  assert.strictEqual(await srv.stop(), 0, `server exit code (leaks/UB give non-zero)\n${srv.log().slice(-4000)}`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('OPTIONS is answered 200', async () => {
  await sippOk('scen_options.xml', [`127.0.0.1:${sipPort}`, '-p', String(await freePort())]);
});

test('an INVITE that matches no dial-in rule gets 404', async () => {
  await sippOk('scen_nomatch_404.xml', [`127.0.0.1:${sipPort}`, '-s', 'lobby', '-p', String(await freePort())]);
});

async function dialIn(room, codec, wav, codecs, rtpPorts) {
  // the room has a talker at 1000 Hz: an RTP endpoint fed by GStreamer
  const ep = await srv.admin('POST', `/v1/rooms/${room}/rtp-endpoints`, { user_id: 'tone1k', direction: 'recv', codec: 'opus' });
  assert.strictEqual(ep.status, 201, ep.text);
  const tx = sendTone('opus', 1000, Number(/:(\d+)$/.exec(ep.json.local)[1]), { seconds: 12 });
  track(tx);
  const b = await baresip(`alice_${codec}`, { wav, codecs, rtpPorts });
  const phone = run('baresip', ['-f', b.dir, '-e', `/dial sip:room-${room.slice(3)}@127.0.0.1:${sipPort}`, '-t', '9'], { cwd: b.dir });
  const call = await waitFor('the call answered', async () => (await calls(room)).find((c) => c.state === 'answered'));
  assert.strictEqual(call.direction, 'inbound');
  assert.strictEqual(call.user_name, `phone alice_${codec}`);
  assert.strictEqual(call.codec.name, codec);
  const users = await srv.admin('GET', `/v1/rooms/${room}/users`);
  const u = users.json.users.find((x) => x.user_id === call.user_id);
  assert.ok(u && u.kind === 'virtual' && u.streams.includes(call.stream_id), users.text);
  // what the room hears from the phone: its stream, played to GStreamer
  const rxPort = 35000 + (process.pid % 500) * 4 + (codec === 'pcmu' ? 2 : 0);
  const wavOut = path.join(dir, `room_hears_${codec}.wav`);
  const rx = recordRtp('opus', rxPort, wavOut);
  track(rx);
  const send = await srv.admin('POST', `/v1/rooms/${room}/rtp-endpoints`,
    { user_id: 'listener', direction: 'send', play: call.stream_id, remote: `127.0.0.1:${rxPort}` });
  assert.strictEqual(send.status, 201, send.text);
  return { call, phone, rx, wavOut, b, tx };
}

async function checkDialIn(room, codec, t) {
  const { call, phone, rx, wavOut, b, tx } = t;
  await sleep(4000);
  await rx.stop();
  const heard = tones(wavOut);
  const stats = (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${call.id}`)).json.stats;
  await phone.done; // baresip hangs up when its WAV ends
  const ended = await waitFor('the call ended', async () => (await calls(room)).find((c) => c.id === call.id && c.state === 'ended'));
  assert.strictEqual(ended.reason, 'remote_bye');
  tx.kill('SIGINT');
  const phoneHeard = tones(recording(b.rec));
  console.log(`# ${codec}: the room hears from the phone 440 Hz ${heard[440]}, 1000 Hz ${heard[1000]};`
    + ` the phone hears 1000 Hz ${phoneHeard[1000]}, 440 Hz ${phoneHeard[440]}; sent ${stats.sent && stats.sent.packets},`
    + ` received ${stats.received && stats.received.packets} packets`);
  assert.ok(heard[440] > 0.1 && heard[1000] < heard[440] / 10, `room hears ${JSON.stringify(heard)}`);
  assert.ok(phoneHeard[1000] > 0.1 && phoneHeard[440] < phoneHeard[1000] / 10, `phone hears ${JSON.stringify(phoneHeard)}`);
  await srv.admin('DELETE', `/v1/rooms/${room}`);
}

test('baresip dials in with Opus: the room hears 440 Hz, the phone 1000 Hz; junk does not disturb it', async () => {
  const room = 'sipopus';
  const t = await dialIn(room, 'opus', path.join(dir, 'a440_48k.wav'), 'opus/48000/2', '32000-32099');
  // while the call runs: garbage datagrams and a malformed SDP offer
  const sock = dgram.createSocket('udp4');
  for (const junk of ['\x00\x01\x02', 'INVITE nonsense\r\n\r\n', 'SIP/2.0 200 OK\r\nVia: x\r\n\r\n'.repeat(3)]) {
    await new Promise((r) => sock.send(Buffer.from(junk), sipPort, '127.0.0.1', r));
  }
  sock.close();
  await sippOk('scen_bad_sdp_488.xml', [`127.0.0.1:${sipPort}`, '-s', 'room-sipopus', '-p', String(await freePort())]);
  await checkDialIn(room, 'opus', t);
});

test('baresip dials in with PCMU', async () => {
  const t = await dialIn('sippcmu', 'pcmu', path.join(dir, 'a440_8k.wav'), 'pcmu', '32100-32199');
  await checkDialIn('sippcmu', 'pcmu', t);
});

test('dial-out to baresip with auto-answer; DELETE hangs up with BYE', async () => {
  const room = 'sipout';
  const b = await baresip('bob', { wav: path.join(dir, 'b1k_48k.wav'), codecs: 'opus/48000/2,pcmu', auto: true, rtpPorts: '32200-32299' });
  const phone = run('baresip', ['-f', b.dir, '-t', '25'], { cwd: b.dir });
  await sleep(1000);
  const r = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { to: `sip:bob@127.0.0.1:${b.port}`, user_name: 'Bob' });
  assert.strictEqual(r.status, 201, r.text);
  assert.strictEqual(r.json.state, 'calling');
  const id = r.json.id;
  const c = await waitFor('answered', async () => {
    const g = await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${id}`);
    return g.json.state === 'answered' && g.json;
  });
  assert.strictEqual(c.codec.name, 'opus');
  assert.strictEqual(c.user_name, 'Bob');
  await sleep(2500);
  const g = await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${id}`);
  assert.ok(g.json.stats.received.packets > 50, `packets from bob: ${JSON.stringify(g.json.stats)}`);
  const d = await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${id}`);
  assert.strictEqual(d.status, 200, d.text);
  assert.strictEqual(d.json.state, 'ended');
  assert.strictEqual(d.json.reason, 'hangup');
  await waitFor('bob sees the BYE', async () => /terminated/.test(phone.out), 5000);
  const users = await srv.admin('GET', `/v1/rooms/${room}/users`);
  assert.ok(users.status === 404 || !users.json.users.length, users.text);
  phone.kill('SIGTERM');
  await phone.done;
});

test('dial-out CANCEL before answer (SIPp rings), and bad requests', async () => {
  const room = 'sipcancel';
  const port = await freePort();
  const uas = sipp('scen_ring_cancel.xml', ['-p', String(port)]);
  await sleep(500);
  const r = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { to: `sip:ringer@127.0.0.1:${port}` });
  assert.strictEqual(r.status, 201, r.text);
  await waitFor('ringing', async () => (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${r.json.id}`)).json.state === 'ringing');
  const d = await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${r.json.id}`);
  assert.strictEqual(d.json.state, 'ended');
  assert.strictEqual(await uas.done, 0, `SIPp UAS: ${uas.out.slice(-1500)}`);
  for (const body of [{}, { to: 'tel:123' }, { to: 'sip:x@127.0.0.1', ring_timeout_s: 0 }, { to: 'sip:x@h', bogus: 1 }]) {
    const e = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, body);
    assert.strictEqual(e.status, 422, `${JSON.stringify(body)}: ${e.text}`);
  }
  assert.strictEqual((await srv.admin('GET', `/v1/rooms/${room}/sip-calls/nope`)).status, 404);
});
