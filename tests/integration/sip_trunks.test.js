// SIP trunks with real peers (SIPp), all against one server:
//  - registration: a SIPp registrar challenges (401 Digest), checks the
//    credentials (verifyauth), grants 4 s, sees the refreshes and, at the
//    server's SIGTERM, the un-REGISTER; a second registrar answers 403:
//    failed with code 403 and a next attempt in the future; the
//    sip.registration events reach a webhook receiver;
//  - inbound trunks: a source in no trunk's cidrs gets 403; a PBX at
//    127.0.0.2 (its trunk's cidrs) is answered; a PBX at 127.0.0.3 whose
//    trunk requires digest credentials gets 401, then 200 with the right
//    password and 403 with a wrong one;
//  - dial-out through a trunk: tel:+49-30-123456 becomes
//    sip:+4930123456@<trunk>, the provider's 407 is answered with the
//    trunk's credentials (the digest checked here), the call is answered,
//    then hung up; a proxy that challenges again ends the call auth_failed;
//  - a trunk with "srtp": "required": a plain offer from it gets 488, our
//    offer through it is RTP/SAVP with an SDES key;
//  - the admin API never shows a password, the server never logs one;
//    bad trunk configurations are refused with the field named.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const { freePort, run, stopAll, waitFor: waitForServer } = require('./lib/sip_tools');
const { startServer, sleep, BIN } = require('./lib/harness');

const SIPP_DIR = path.join(__dirname, 'sipp');
const SECRET = 'trunk-s3cret-pw';        // outbound (REGISTER, dial-out); also in the SIPp scenarios
const IN_SECRET = 'inbound-pbx-pa55word'; // inbound digest of trunk "secure"
const HOOK_SECRET = 'whsec-trunks-0123456789';
let srv, dir, sipPort, regPort, reg403Port, uasPort, srtpPort, rx;
let registrar;

function sipp(scenario, args, name = scenario) {
  return run('sipp', ['-sf', path.join(SIPP_DIR, scenario), '-timeout', '30s', '-timeout_error', '-nostdin',
    '-trace_err', '-error_file', path.join(dir, `${name}.err`), '-trace_logs', '-log_file', path.join(dir, `${name}.log`),
    ...args], { cwd: dir });
}

function readOr(f) {
  try { return fs.readFileSync(f, 'utf8'); } catch { return ''; }
}

async function sippOk(p, name) {
  const code = await p.done;
  assert.strictEqual(code, 0, `sipp ${name} exited ${code}: ${p.out.slice(-1500)}\n${readOr(path.join(dir, `${name}.err`)).slice(-1500)}`
    + `\nserver log:\n${srv.log().slice(-2500)}`);
}

// A UAC from one loopback address: -i picks the source.
async function uac(scenario, name, src, user, extra = []) {
  const p = sipp(scenario, [`127.0.0.1:${sipPort}`, '-i', src, '-p', String(await freePort()), '-m', '1', '-s', user,
    '-mp', String(await freePort()), ...extra], name);
  await sippOk(p, name);
}

const waitFor = (what, fn, ms) => waitForServer(srv, what, fn, ms);

async function startReceiver() {
  const r = { events: [] };
  r.server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { r.events.push(JSON.parse(body)); res.end('ok'); });
  });
  await new Promise((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${r.server.address().port}/hook`;
  return r;
}

const regs = async () => {
  const r = await srv.admin('GET', '/v1/sip/registrations');
  assert.strictEqual(r.status, 200, r.text);
  return Object.fromEntries(r.json.registrations.map((x) => [x.trunk, x]));
};

before(async () => {
  assert.ok(fs.existsSync('/usr/bin/sipp'), '/usr/bin/sipp missing (make test installs it)');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-trunks-'));
  [sipPort, regPort, reg403Port, uasPort, srtpPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  rx = await startReceiver();
  // the registrars listen before the server sends its first REGISTER
  registrar = sipp('scen_registrar.xml', ['-i', '127.0.0.1', '-p', String(regPort), '-m', '1', '-timeout', '120s'], 'registrar');
  sipp('scen_registrar_403.xml', ['-i', '127.0.0.1', '-p', String(reg403Port)], 'registrar_403');
  await sleep(500);
  srv = await startServer({
    config: {
      media: { workers: 1, rtp_ports: '33400-33499' },
      sip: {
        listen: `127.0.0.1:${sipPort}`, media_timeout_ms: 0,
        trunks: [
          { name: 'prov', address: `127.0.0.1:${regPort}`, username: 'trunkuser', password: SECRET, register: true, register_expires_s: 60 },
          { name: 'refuser', address: `127.0.0.1:${reg403Port}`, username: 'nobody', password: SECRET, register: true },
          { name: 'far', inbound: { cidrs: ['10.9.9.0/24'] } },
          { name: 'pbx', inbound: { cidrs: ['127.0.0.2/32'] } },
          { name: 'secure', inbound: { cidrs: ['127.0.0.3'], username: 'pbxuser', password: IN_SECRET }, max_calls: 2 },
          { name: 'out', address: `127.0.0.1:${uasPort}`, username: 'trunkuser', password: SECRET, from_user: '+4930999',
            display_name: 'Rooms', codecs: 'pcmu' },
          { name: 'srtp', address: `127.0.0.1:${srtpPort}`, inbound: { cidrs: ['127.0.0.4'] }, srtp: 'required' },
        ],
        dial_in: [
          { user_regex: '^conf-([0-9]+)$', room: 'trk$1', trunk: 'pbx' },
          { user_regex: '^sec-([0-9]+)$', room: 'sec$1', trunk: 'secure' },
          { user_regex: '^srtp-([0-9]+)$', room: 'srtp$1' },
        ],
      },
      webhooks: [{ url: rx.url, secret: HOOK_SECRET, events: ['sip.*'], backoff_ms: 100 }],
      log: { level: 'info' },
    },
  });
});

after(async () => {
  stopAll([registrar]);
  if (srv) assert.strictEqual(await srv.stop(), 0, `server exit code (leaks/UB give non-zero)\n${srv.log().slice(-4000)}`);
  if (registrar && registrar.exitCode === null) registrar.kill('SIGKILL');
  if (rx) rx.server.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('REGISTER: 401 answered with digest credentials, registered, refreshed; a 403 registrar: failed with a next attempt', async () => {
  const r = await waitFor('prov registered', async () => { const x = (await regs()).prov; return x.status === 'registered' && x; });
  assert.strictEqual(r.code, 200);
  assert.strictEqual(r.expires_s, 4); // what the registrar granted, not the 60 asked for
  assert.ok(r.registered_at_ms > Date.now() - 30000 && r.registered_at_ms <= Date.now(), JSON.stringify(r));
  assert.strictEqual(r.next_attempt_ms, null);
  const f = await waitFor('refuser failed', async () => { const x = (await regs()).refuser; return x.status === 'failed' && x; });
  assert.strictEqual(f.code, 403);
  assert.strictEqual(f.reason, 'Forbidden');
  assert.ok(f.next_attempt_ms > Date.now(), `next attempt ${f.next_attempt_ms} is not in the future`);
  assert.strictEqual(f.expires_s, null);
  // only the trunks that register are listed
  assert.deepStrictEqual(Object.keys(await regs()).sort(), ['prov', 'refuser']);
  // the events, in order for each trunk
  const ev = await waitFor('sip.registration events', async () => {
    const e = rx.events.filter((x) => x.type === 'sip.registration');
    const prov = e.filter((x) => x.data.trunk === 'prov').map((x) => x.data.status);
    const ref = e.filter((x) => x.data.trunk === 'refuser');
    return prov.includes('registered') && ref.some((x) => x.data.status === 'failed') && { prov, ref };
  });
  assert.deepStrictEqual(ev.prov.slice(0, 2), ['registering', 'registered']);
  const failed = ev.ref.find((x) => x.data.status === 'failed').data;
  assert.strictEqual(failed.code, 403);
  assert.ok(failed.next_attempt_ms > 0);
  // nua refreshes within the 4 s granted; the registrar logs each REGISTER
  await waitFor('a refresh', async () => (readOr(path.join(dir, 'registrar.log')).match(/^REGISTER at/mg) || []).length >= 1, 8000);
  assert.strictEqual((await regs()).prov.status, 'registered');
});

test('dial-in from a source in no trunk\'s cidrs: 403; from the PBX\'s address: answered', async () => {
  await uac('scen_refused_403.xml', 'refused_403', '127.0.0.1', 'conf-1');
  const before = rx.events.length;
  await uac('scen_trunk_call.xml', 'trunk_call', '127.0.0.2', 'conf-7');
  const ended = await waitFor('the call\'s events', async () => {
    const e = rx.events.slice(before).filter((x) => x.type === 'sip.call' && x.data.room_id === 'trk7');
    return e.find((x) => x.data.state === 'ended') && e;
  });
  assert.deepStrictEqual(ended.map((x) => x.data.state), ['answered', 'ended']);
  assert.strictEqual(ended[0].data.trunk, 'pbx');
  assert.strictEqual(ended[1].data.reason, 'remote_bye');
  // a rule bound to another trunk does not apply: sec-1 from the PBX's address
  await uac('scen_nomatch_404.xml', 'nomatch_404', '127.0.0.2', 'sec-1');
});

test('digest-required trunk: 401, then 200 with the right password, 403 with a wrong one', async () => {
  await uac('scen_auth_call.xml', 'auth_call', '127.0.0.3', 'sec-5', ['-au', 'pbxuser', '-ap', IN_SECRET]);
  const calls = await srv.admin('GET', '/v1/rooms/sec5/sip-calls');
  assert.strictEqual(calls.status, 200, calls.text);
  const c = calls.json.sip_calls[0];
  assert.ok(c && c.trunk === 'secure' && c.state === 'ended' && c.reason === 'remote_bye', calls.text);
  await uac('scen_auth_403.xml', 'auth_403', '127.0.0.3', 'sec-6', ['-au', 'pbxuser', '-ap', 'not-the-password']);
  await uac('scen_auth_403.xml', 'auth_403_user', '127.0.0.3', 'sec-6', ['-au', 'someone', '-ap', IN_SECRET]);
  // before authentication nothing tells rules apart: no rule for this user, and still 401 then 403
  await uac('scen_auth_403.xml', 'auth_403_norule', '127.0.0.3', 'nothing-here', ['-au', 'pbxuser', '-ap', 'wrong']);
  assert.match(srv.log(), /refused 403: trunk secure: wrong credentials/);
  assert.match(srv.log(), /refused 403: the source matches no trunk's inbound.cidrs/);
});

test('dial-out through a trunk: a tel: number, the provider\'s 407 answered, answered, hung up', async () => {
  const uas = sipp('scen_uas_auth_407.xml', ['-i', '127.0.0.1', '-p', String(uasPort), '-m', '1', '-mp', String(await freePort())], 'uas_407');
  await sleep(500);
  const room = 'trkout';
  const r = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { trunk: 'out', to: 'tel:+49-30-123456' });
  assert.strictEqual(r.status, 201, r.text);
  assert.strictEqual(r.json.to, `sip:+4930123456@127.0.0.1:${uasPort}`);
  assert.strictEqual(r.json.from, '"Rooms" <sip:+4930999@127.0.0.1>');
  assert.strictEqual(r.json.trunk, 'out');
  const c = await waitFor('answered', async () => {
    const g = await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${r.json.id}`);
    return (g.json.state === 'answered' || g.json.state === 'ended') && g.json;
  });
  assert.strictEqual(c.state, 'answered', JSON.stringify(c));
  assert.strictEqual(c.codec.name, 'pcmu');
  const t = (await srv.admin('GET', '/v1/sip/trunks')).json.trunks.find((x) => x.name === 'out');
  assert.strictEqual(t.active_calls, 1);
  const d = await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${r.json.id}`);
  assert.strictEqual(d.status, 200, d.text);
  await sippOk(uas, 'uas_407');
  const ulog = readOr(path.join(dir, 'uas_407.log'));
  assert.match(ulog, /request-URI: INVITE sip:\+4930123456@127\.0\.0\.1:\d+ SIP\/2\.0/);
  // the digest of the second INVITE, checked here (RFC 2617, qop=auth)
  const pa = /proxy-authorization: (Digest .*)/.exec(ulog);
  assert.ok(pa, ulog.slice(-1500));
  const kv = Object.fromEntries([...pa[1].matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]*))/g)].map((m) => [m[1], m[2] ?? m[3]]));
  const md5 = (x) => crypto.createHash('md5').update(x).digest('hex');
  const ha1 = md5(`trunkuser:provider.test:${SECRET}`), ha2 = md5(`INVITE:${kv.uri}`);
  assert.strictEqual(kv.username, 'trunkuser');
  assert.strictEqual(kv.realm, 'provider.test');
  assert.strictEqual(kv.response, md5(`${ha1}:${kv.nonce}:${kv.nc}:${kv.cnonce}:${kv.qop}:${ha2}`), pa[1]);
  // bad requests name the field
  for (const [body, field] of [[{ trunk: 'nope', to: '+123' }, 'trunk'], [{ to: '+4930123' }, 'to'],
    [{ trunk: 'out', to: '12ab' }, 'to'], [{ trunk: 3, to: '+1' }, 'trunk'], [{ trunk: 'pbx', to: '+1' }, 'trunk'],
    [{ trunk: 'out', to: 'sips:bob@127.0.0.1' }, 'to']]) {
    const e = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, body);
    assert.strictEqual(e.status, 422, `${JSON.stringify(body)}: ${e.text}`);
    assert.match(e.json.error.message, new RegExp(`field "${field}"`), e.text);
  }
});

test('dial-out through a trunk: challenged again after our credentials, the call ends auth_failed', async () => {
  const uas = sipp('scen_uas_407_twice.xml', ['-i', '127.0.0.1', '-p', String(uasPort), '-m', '1'], 'uas_407_twice');
  await sleep(500);
  const room = 'trkout2';
  const r = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { trunk: 'out', to: '+4930123456' });
  assert.strictEqual(r.status, 201, r.text);
  const c = await waitFor('ended', async () => {
    const g = await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${r.json.id}`);
    return g.json.state === 'ended' && g.json;
  });
  assert.strictEqual(c.reason, 'auth_failed', JSON.stringify(c));
  assert.strictEqual(c.status, 407);
  await sippOk(uas, 'uas_407_twice');
});

test('a trunk that requires SRTP: a plain offer from it gets 488; our offer through it is RTP/SAVP with a key', async () => {
  await uac('scen_plain_488.xml', 'plain_488', '127.0.0.4', 'srtp-1');
  assert.match(srv.log(), /refused 488: trunk srtp requires SRTP/);
  const uas = sipp('scen_uas_srtp_offer.xml', ['-i', '127.0.0.1', '-p', String(srtpPort), '-m', '1'], 'uas_srtp');
  await sleep(500);
  const r = await srv.admin('POST', '/v1/rooms/srtpout/sip-calls', { trunk: 'srtp', to: '100' });
  assert.strictEqual(r.status, 201, r.text);
  const c = await waitFor('ended', async () => {
    const g = await srv.admin('GET', `/v1/rooms/srtpout/sip-calls/${r.json.id}`);
    return g.json.state === 'ended' && g.json;
  });
  assert.strictEqual(c.status, 488, JSON.stringify(c));
  await sippOk(uas, 'uas_srtp');
  assert.match(readOr(path.join(dir, 'uas_srtp.log')), /offer: m=audio \d+ RTP\/SAVP/);
});

test('GET /v1/sip/trunks: settings without passwords; the log holds none either', async () => {
  const r = await srv.admin('GET', '/v1/sip/trunks');
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.count, 7);
  for (const s of [SECRET, IN_SECRET]) {
    assert.ok(!r.text.includes(s), 'a password in GET /v1/sip/trunks');
    assert.ok(!srv.log().includes(s), 'a password in the server log');
  }
  const byName = Object.fromEntries(r.json.trunks.map((t) => [t.name, t]));
  assert.deepStrictEqual(byName.secure.inbound, { cidrs: ['127.0.0.3'], username: 'pbxuser', digest: true });
  assert.strictEqual(byName.secure.max_calls, 2);
  assert.deepStrictEqual(byName.out.codecs, ['pcmu']);
  assert.strictEqual(byName.out.from_user, '+4930999');
  assert.strictEqual(byName.prov.transport, 'udp');
  assert.strictEqual(byName.prov.register, true);
  assert.strictEqual(byName.far.inbound.digest, false);
  assert.ok(!('password' in byName.prov), JSON.stringify(byName.prov));
  const regsR = await srv.admin('GET', '/v1/sip/registrations');
  assert.ok(!regsR.text.includes(SECRET));
  assert.strictEqual((await srv.admin('POST', '/v1/sip/trunks', {})).status, 405);
  assert.strictEqual((await srv.admin('GET', '/v1/sip/nothing')).status, 404);
});

test('bad trunk configurations are refused, naming the field', () => {
  const cases = [
    [{ trunks: [{ name: 'a', address: 'h:1' }, { name: 'b', address: 'h:1', transport: 'sctp' }] }, /sip\.trunks\[1\]\.transport.*"udp", "tcp" or "tls"/],
    [{ trunks: [{ name: 'a', address: 'h:1' }, { name: 'a', address: 'h:2' }] }, /sip\.trunks\[1\]\.name.*unique/],
    [{ trunks: [{ name: 'a', address: 'h:1', inbound: { cidrs: ['10.0.0.300/8'] } }] }, /sip\.trunks\[0\]\.inbound\.cidrs\[0\]/],
    [{ trunks: [{ name: 'a', address: 'h:1', register: true, password: SECRET }] }, /sip\.trunks\[0\]\.register.*username/],
    [{ trunks: [{ name: 'a', address: 'h:1' }], dial_in: [{ user_regex: 'x', room: 'r', trunk: 'b' }] }, /sip\.dial_in\[0\]\.trunk: no trunk named "b"/],
    [{ listen: '127.0.0.1:5060', trunks: [{ name: 'a', address: 'h:1', transport: 'tls' }] }, /sip\.trunks\[0\]\.transport: "tls" needs SIP over TLS/],
  ];
  for (const [sip, re] of cases) {
    const f = path.join(dir, 'bad.jsonc');
    fs.writeFileSync(f, JSON.stringify({ server_secret: '0123456789abcdef0123456789abcdef', admin_key: 'test-admin-key-0123456789', sip }));
    const r = spawnSync(BIN, ['--check-config', f], { encoding: 'utf8', timeout: 10000 });
    assert.notStrictEqual(r.status, 0, `accepted: ${JSON.stringify(sip)}`);
    assert.match(r.stderr, re);
    assert.ok(!r.stderr.includes(SECRET), r.stderr);
  }
});

test('shutdown un-REGISTERs (Expires 0) within the shutdown wait', async () => {
  assert.strictEqual(await srv.stop(), 0, `server exit code (leaks/UB give non-zero)\n${srv.log().slice(-4000)}`);
  await sippOk(registrar, 'registrar');
  const log = readOr(path.join(dir, 'registrar.log'));
  const lines = log.match(/^REGISTER at .*$/mg) || [];
  assert.ok(lines.length >= 2 && /Expires: *0|expires=0/i.test(lines[lines.length - 1]), log.slice(-1500));
  assert.ok(lines.slice(0, -1).every((l) => !/Expires: *0|expires=0/i.test(l)), log.slice(-1500));
  assert.match(srv.log(), /trunk prov: unregistered \(200 OK\)/);
  assert.doesNotMatch(srv.log(), /shutdown did not complete/);
});
