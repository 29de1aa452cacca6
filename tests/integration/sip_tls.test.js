// SIP over TLS with real peers. The server listens on UDP and TCP
// (sip.listen) and for TLS (sip.tls_listen) with a self-signed certificate
// made by openssl:
//  - the TLS port speaks TLS only: node's TLS client, trusting only that
//    certificate, gets 200 to an OPTIONS; plain SIP on that port gets no
//    answer;
//  - baresip dials sip:room-tls@...;transport=tls through a TCP proxy that
//    sees what it sends (a TLS ClientHello: 0x16 0x03 first); the call is
//    answered and the room hears its 440 Hz; DELETE hangs up with a BYE
//    that reaches baresip (over TLS, to its own listener);
//  - dial-out to sips:bob@<baresip's TLS port>: answered, the server holds
//    a TCP connection to that port, bob's RTP arrives;
//  - with cafile.pem (a second server): a phone with a certificate from it
//    is answered, a phone without one cannot connect;
//  - a trunk over TLS (transport "tls") to SIPp behind node's TLS server:
//    REGISTER with digest, refreshed, over a verified connection
//    (cafile.pem); a registrar whose certificate is not in cafile.pem
//    fails; a dial-out through the trunk is answered and echoed, its
//    INVITE, ACK and BYE over TLS;
//  - configuration: tls_listen without a certificate directory, without
//    sip.listen, a directory without agent.pem, an agent.pem without its
//    key (the server refuses to start), and a sips: dial-out without TLS.
// sofia-sip 1.12.11 leaks the SSL object of each closed TLS connection:
// lsan_sofia_tls.supp suppresses exactly that allocation.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { execFileSync, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const tls = require('node:tls');
const { startServer, sleep, BIN } = require('./lib/harness');
const { recordRtp, tones } = require('./lib/rtp_tools');
const { SIPP_DIR, freePort, freePorts, baresipDir, run, stopAll, waitFor } = require('./lib/sip_tools');

const SUPP = path.join(__dirname, 'lsan_sofia_tls.supp');
const LSAN = { LSAN_OPTIONS: `suppressions=${SUPP}:fast_unwind_on_malloc=0` };
let srv, dir, tlsPort, certDir, serverCert, phonePem, a440;

// A self-signed certificate for 127.0.0.1: { cert, key, pem: cert + key }.
function selfSigned(name, cn) {
  const key = path.join(dir, `${name}.key`), cert = path.join(dir, `${name}.crt`), pem = path.join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`,
    '-addext', `subjectAltName=IP:${cn}`, '-days', '1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  fs.writeFileSync(pem, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'));
  return { cert, key, pem };
}

function tlsConfig(port, tport, cdir) {
  return {
    media: { workers: 2, rtp_ports: '37000-37199' },
    sip: {
      listen: `127.0.0.1:${port}`, tls_listen: `127.0.0.1:${tport}`, tls_certificate_dir: cdir,
      media_timeout_ms: 10000,
      dial_in: [{ user_regex: '^room-([a-z0-9]+)$', room: 'sip$1', user_name: 'phone ${caller}' }],
    },
    log: { level: 'info' },
  };
}

// A server on fresh ports: [sip, tls] = the ports given to config(); a UDP
// port taken by someone else (free ports are chosen over TCP) is retried.
async function startOnFreePorts(config, env) {
  for (let i = 0; ; i++) {
    const ports = await freePorts(2);
    try {
      return { server: await startServer({ config: config(...ports), env }), ports };
    } catch (e) {
      if (i >= 3 || !/cannot listen/.test(e.message)) throw e;
    }
  }
}

async function calls(s, room) {
  const r = await s.admin('GET', `/v1/rooms/${room}/sip-calls`);
  assert.ok(r.status === 200 || r.status === 404, r.text);
  return r.status === 200 ? r.json.sip_calls : [];
}

// A TCP proxy to the server's TLS port that keeps the first bytes each
// client sends.
function sniffProxy(target) {
  const first = [];
  const conns = new Set();
  const server = net.createServer((c) => {
    const u = net.connect(target, '127.0.0.1');
    conns.add(c).add(u);
    c.pipe(u);
    u.pipe(c);
    c.once('data', (d) => first.push(d.subarray(0, 3)));
    const end = () => { c.destroy(); u.destroy(); };
    for (const s of [c, u]) { s.on('error', end); s.on('close', end); }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port, first,
    close: () => { for (const s of conns) s.destroy(); return new Promise((r) => server.close(r)); },
  })));
}

// node's TLS server in front of a TCP port (what a provider's TLS edge
// does): keeps the first plaintext line of each connection and the
// handshake errors.
function tlsTerminator(pair, target) {
  const lines = [], errors = [], conns = new Set();
  const server = tls.createServer({ key: fs.readFileSync(pair.key), cert: fs.readFileSync(pair.cert) }, (c) => {
    const u = net.connect(target, '127.0.0.1');
    conns.add(c).add(u);
    c.pipe(u);
    u.pipe(c);
    c.once('data', (d) => lines.push(d.toString('latin1').split('\r\n')[0]));
    const end = () => { c.destroy(); u.destroy(); };
    for (const s of [c, u]) { s.on('error', end); s.on('close', end); }
  });
  server.on('tlsClientError', (e) => errors.push(e.message));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port, lines, errors,
    close: () => { for (const s of conns) s.destroy(); return new Promise((r) => server.close(r)); },
  })));
}

// What a socket receives within ms (or until it closes, or until re matches).
function receive(sock, ms, re) {
  return new Promise((resolve) => {
    let got = '';
    const done = () => { clearTimeout(t); resolve(got); };
    const t = setTimeout(done, ms);
    sock.on('data', (d) => { got += d; if (re && re.test(got)) done(); });
    sock.on('close', done);
    sock.on('error', done);
  });
}

function options(port, proto) {
  return `OPTIONS sip:ping@127.0.0.1:${port} SIP/2.0\r\nVia: SIP/2.0/${proto} 127.0.0.1:9;branch=z9hG4bK${crypto.randomUUID()}\r\n`
    + 'Max-Forwards: 70\r\nTo: <sip:ping@127.0.0.1>\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\n'
    + `Call-ID: ${crypto.randomUUID()}@probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
}

before(async () => {
  for (const tool of ['/usr/bin/baresip', '/usr/bin/openssl', '/usr/bin/gst-launch-1.0', '/usr/bin/sox']) {
    assert.ok(fs.existsSync(tool), `${tool} missing (make test installs it)`);
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-siptls-'));
  certDir = path.join(dir, 'server');
  fs.mkdirSync(certDir);
  const s = selfSigned('server', '127.0.0.1');
  serverCert = s.cert;
  fs.copyFileSync(s.pem, path.join(certDir, 'agent.pem'));
  phonePem = selfSigned('phone', '127.0.0.1').pem;
  const started = await startOnFreePorts((a, b) => tlsConfig(a, b, certDir), LSAN);
  srv = started.server;
  tlsPort = started.ports[1];
  a440 = path.join(dir, 'a440_48k.wav');
  execFileSync('sox', ['-n', '-r', '48000', '-c', '2', '-b', '16', a440, 'synth', '20', 'sine', '440', 'vol', '0.5']);
});

after(async () => {
  stopAll();
  assert.strictEqual(await srv.stop(), 0, `server exit code (leaks/UB give non-zero)\n${srv.log().slice(-4000)}`);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the TLS port: OPTIONS over TLS gets 200 with our certificate; plain SIP gets no answer', async () => {
  assert.match(srv.log(), new RegExp(`SIP over TLS listening on 127\\.0\\.0\\.1:${tlsPort} as sips:127\\.0\\.0\\.1:${tlsPort}, `
    + `certificate ${certDir}/agent\\.pem, peers' certificates not verified`));
  const s = tls.connect({ host: '127.0.0.1', port: tlsPort, ca: fs.readFileSync(serverCert) });
  await new Promise((resolve, reject) => { s.once('secureConnect', resolve); s.once('error', reject); });
  assert.ok(s.authorized, `our certificate, for 127.0.0.1: ${s.authorizationError}`);
  s.write(options(tlsPort, 'TLS'));
  const answer = await receive(s, 5000, /\r\n\r\n/);
  s.destroy();
  assert.match(answer, /^SIP\/2\.0 200 /, answer);
  const p = net.connect(tlsPort, '127.0.0.1');
  await new Promise((resolve) => p.once('connect', resolve));
  p.write(options(tlsPort, 'TCP'));
  const plain = await receive(p, 2000);
  p.destroy();
  assert.doesNotMatch(plain, /SIP\/2\.0/, 'plain SIP on the TLS port is not answered');
});

test('baresip dials in over TLS: answered, the room hears 440 Hz; DELETE sends a BYE over TLS', async () => {
  const room = 'siptls';
  const proxy = await sniffProxy(tlsPort);
  const b = await baresipDir(dir, 'alice', { wav: a440, codecs: 'opus/48000/2', rtpPorts: '37200-37299', cert: phonePem });
  const phone = run('baresip', ['-f', b.dir, '-e', `/dial sip:room-tls@127.0.0.1:${proxy.port};transport=tls`, '-t', '25'],
    { cwd: b.dir });
  const call = await waitFor(srv, 'the call answered', async () => (await calls(srv, room)).find((c) => c.state === 'answered'), 15000);
  assert.strictEqual(call.direction, 'inbound');
  assert.strictEqual(call.user_name, 'phone alice');
  assert.strictEqual(call.codec.name, 'opus');
  const hello = proxy.first.map((d) => d.toString('hex'));
  assert.ok(hello.length >= 1 && hello.every((h) => h.startsWith('1603')), `first bytes from baresip: ${hello}`);
  assert.match(srv.log(), new RegExp(`call ${call.id} from sip:alice@\\S+ to sip:room-tls@\\S+;transport=tls over TLS`));
  // what the room hears from the phone: its stream, played to GStreamer
  const rxPort = 37600 + (process.pid % 200) * 2;
  const wavOut = path.join(dir, 'room_hears_tls.wav');
  const rx = recordRtp('opus', rxPort, wavOut);
  const send = await srv.admin('POST', `/v1/rooms/${room}/rtp-endpoints`,
    { user_id: 'listener', direction: 'send', play: call.stream_id, remote: `127.0.0.1:${rxPort}` });
  assert.strictEqual(send.status, 201, send.text);
  await sleep(4000);
  await rx.stop();
  const heard = tones(wavOut);
  console.log(`# over TLS the room hears 440 Hz ${heard[440]}, 1000 Hz ${heard[1000]}; first bytes ${hello}`);
  assert.ok(heard[440] > 0.1 && heard[1000] < heard[440] / 10, `room hears ${JSON.stringify(heard)}`);
  const d = await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${call.id}`);
  assert.strictEqual(d.status, 200, d.text);
  assert.strictEqual(d.json.reason, 'hangup');
  await waitFor(srv, 'baresip sees the BYE', async () => /terminated/.test(phone.out), 5000);
  phone.kill('SIGTERM');
  await phone.done;
  await proxy.close();
  await srv.admin('DELETE', `/v1/rooms/${room}`);
});

test('dial-out to a sips: URI goes over TLS', async () => {
  const room = 'siptlsout';
  const b = await baresipDir(dir, 'bob', { wav: a440, codecs: 'opus/48000/2', auto: true, rtpPorts: '37300-37399', cert: phonePem });
  const phone = run('baresip', ['-f', b.dir, '-t', '25'], { cwd: b.dir });
  await waitFor(srv, 'bob listening', async () => /baresip is ready/.test(phone.out), 5000);
  const r = await srv.admin('POST', `/v1/rooms/${room}/sip-calls`, { to: `sips:bob@127.0.0.1:${b.tlsPort}`, user_name: 'Bob' });
  assert.strictEqual(r.status, 201, r.text);
  assert.strictEqual(r.json.from, `sips:roomgate@127.0.0.1:${tlsPort}`);
  await waitFor(srv, 'answered', async () => (await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${r.json.id}`)).json.state === 'answered');
  const ss = execFileSync('ss', ['-Htnp', 'state', 'established', `( dport = :${b.tlsPort} )`], { encoding: 'utf8' });
  assert.match(ss, new RegExp(`"roomgate",pid=${srv.proc.pid}`), `the server's connection to bob's TLS port:\n${ss}`);
  await sleep(2000);
  const g = await srv.admin('GET', `/v1/rooms/${room}/sip-calls/${r.json.id}`);
  assert.ok(g.json.stats.received.packets > 50, `packets from bob: ${JSON.stringify(g.json.stats)}`);
  const d = await srv.admin('DELETE', `/v1/rooms/${room}/sip-calls/${r.json.id}`);
  assert.strictEqual(d.json.state, 'ended');
  await waitFor(srv, 'bob sees the BYE', async () => /terminated/.test(phone.out), 5000);
  phone.kill('SIGTERM');
  await phone.done;
  await srv.admin('DELETE', `/v1/rooms/${room}`);
});

test('with cafile.pem a phone needs a certificate from it', async () => {
  const cdir = path.join(dir, 'server_ca');
  fs.mkdirSync(cdir);
  fs.copyFileSync(path.join(certDir, 'agent.pem'), path.join(cdir, 'agent.pem'));
  fs.copyFileSync(path.join(dir, 'phone.crt'), path.join(cdir, 'cafile.pem'));
  const { server: s2, ports: [, p2] } = await startOnFreePorts((a, b) => tlsConfig(a, b, cdir), LSAN);
  try {
    assert.match(s2.log(), /peers' certificates verified against cafile\.pem \(both ways\)/);
    const anon = await baresipDir(dir, 'carol', { wav: a440, codecs: 'opus/48000/2', rtpPorts: '37400-37449' });
    const known = await baresipDir(dir, 'dave', { wav: a440, codecs: 'opus/48000/2', rtpPorts: '37450-37499', cert: phonePem });
    const t0 = Date.now();
    const pa = run('baresip', ['-f', anon.dir, '-e', `/dial sip:room-nocert@127.0.0.1:${p2};transport=tls`, '-t', '8'], { cwd: anon.dir });
    const pk = run('baresip', ['-f', known.dir, '-e', `/dial sip:room-cert@127.0.0.1:${p2};transport=tls`, '-t', '8'], { cwd: known.dir });
    const c = await waitFor(s2, 'dave answered', async () => (await calls(s2, 'sipcert')).find((x) => x.state === 'answered'), 10000);
    assert.strictEqual(c.user_name, 'phone dave');
    await s2.admin('DELETE', `/v1/rooms/sipcert/sip-calls/${c.id}`);
    await sleep(Math.max(0, 5000 - (Date.now() - t0)));
    // carol's handshake fails (the server asks for a certificate): no call
    assert.doesNotMatch(pa.out, /Call established/);
    assert.deepStrictEqual(await calls(s2, 'sipnocert'), []);
    assert.doesNotMatch(s2.log(), /room-nocert/);
    pa.kill('SIGKILL'); // its INVITE never left: it would wait for it
    pk.kill('SIGTERM');
    await Promise.all([pa.done, pk.done]);
  } finally {
    assert.strictEqual(await s2.stop(), 0, `second server's exit code\n${s2.log().slice(-3000)}`);
  }
});

test('a trunk over TLS: REGISTER with digest over a verified connection, a dial-out through it', async () => {
  const SECRET = 'trunk-s3cret-pw'; // the SIPp registrar's
  const provider = selfSigned('provider', '127.0.0.1'), rogue = selfSigned('rogue', '127.0.0.1');
  const cdir = path.join(dir, 'server_trunk');
  fs.mkdirSync(cdir);
  fs.copyFileSync(path.join(certDir, 'agent.pem'), path.join(cdir, 'agent.pem'));
  fs.copyFileSync(provider.cert, path.join(cdir, 'cafile.pem'));
  const sippLog = (name) => ['-trace_err', '-error_file', path.join(dir, `${name}.err`), '-trace_logs', '-log_file',
    path.join(dir, `${name}.log`)];
  const readOr = (f) => { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } };
  // SIPp over TCP behind the terminators: a registrar (401, then 200 with
  // expires=4), a UAS that echoes RTP
  const [regPort, uasPort, badPort] = await freePorts(3);
  const registrar = run('sipp', ['-sf', path.join(SIPP_DIR, 'scen_registrar.xml'), '-t', 't1', '-i', '127.0.0.1',
    '-p', String(regPort), '-m', '1', '-timeout', '90s', '-timeout_error', '-nostdin', ...sippLog('tls_registrar')], { cwd: dir });
  const termReg = await tlsTerminator(provider, regPort);
  const termUas = await tlsTerminator(provider, uasPort);
  const termBad = await tlsTerminator(rogue, badPort);
  const uas = run('sipp', ['-sf', path.join(SIPP_DIR, 'scen_uas_tls.xml'), '-t', 't1', '-i', '127.0.0.1', '-p', String(uasPort),
    '-mp', String(await freePort()), '-rtp_echo', '-set', 'contact_port', String(termUas.port), '-m', '1',
    '-timeout', '60s', '-timeout_error', '-nostdin', ...sippLog('tls_uas')], { cwd: dir });
  const rogueSipp = run('sipp', ['-sf', path.join(SIPP_DIR, 'scen_registrar.xml'), '-t', 't1', '-i', '127.0.0.1',
    '-p', String(badPort), '-m', '1', '-nostdin'], { cwd: dir });
  await sleep(500);
  const { server: s3 } = await startOnFreePorts((a, b) => ({
    media: { workers: 1, rtp_ports: '37800-37899' },
    sip: {
      listen: `127.0.0.1:${a}`, tls_listen: `127.0.0.1:${b}`, tls_certificate_dir: cdir, media_timeout_ms: 0,
      trunks: [
        { name: 'prov', address: `127.0.0.1:${termReg.port}`, transport: 'tls', username: 'trunkuser', password: SECRET,
          register: true, register_expires_s: 60 },
        { name: 'out', address: `127.0.0.1:${termUas.port}`, transport: 'tls', codecs: 'pcmu' },
        { name: 'rogue', address: `127.0.0.1:${termBad.port}`, transport: 'tls', username: 'trunkuser', password: SECRET,
          register: true },
      ],
    },
    log: { level: 'info' },
  }), LSAN);
  try {
    const regs = async () => Object.fromEntries((await s3.admin('GET', '/v1/sip/registrations')).json.registrations
      .map((x) => [x.trunk, x]));
    const r = await waitFor(s3, 'prov registered over TLS', async () => { const x = (await regs()).prov; return x.status === 'registered' && x; }, 15000);
    assert.strictEqual(r.expires_s, 4);
    await waitFor(s3, 'a refresh', async () => (readOr(path.join(dir, 'tls_registrar.log')).match(/^REGISTER at/mg) || []).length >= 1, 10000);
    assert.strictEqual((await regs()).prov.status, 'registered');
    assert.ok(termReg.lines.length >= 1 && termReg.lines.every((l) => /^REGISTER sip:127\.0\.0\.1:\d+;transport=tls SIP\/2\.0$/.test(l)),
      `what came out of the TLS connections to the registrar: ${JSON.stringify(termReg.lines)}`);
    const t = (await s3.admin('GET', '/v1/sip/trunks')).json.trunks;
    assert.deepStrictEqual(t.map((x) => x.transport), ['tls', 'tls', 'tls']);
    // dial-out through the TLS trunk: answered, SIPp's echo comes back
    const room = 'tlstrunk';
    const c = await s3.admin('POST', `/v1/rooms/${room}/sip-calls`, { trunk: 'out', to: '+4930123' });
    assert.strictEqual(c.status, 201, c.text);
    assert.strictEqual(c.json.to, `sip:+4930123@127.0.0.1:${termUas.port};transport=tls`);
    const ans = await waitFor(s3, 'answered', async () => {
      const g = await s3.admin('GET', `/v1/rooms/${room}/sip-calls/${c.json.id}`);
      return (g.json.state === 'answered' || g.json.state === 'ended') && g.json;
    }, 15000);
    assert.strictEqual(ans.state, 'answered', JSON.stringify(ans));
    assert.strictEqual(ans.codec.name, 'pcmu');
    await sleep(1500);
    const g = await s3.admin('GET', `/v1/rooms/${room}/sip-calls/${c.json.id}`);
    assert.ok(g.json.stats.received.packets > 20, `echo packets: ${JSON.stringify(g.json.stats)}`);
    const d = await s3.admin('DELETE', `/v1/rooms/${room}/sip-calls/${c.json.id}`);
    assert.strictEqual(d.status, 200, d.text);
    assert.strictEqual(await uas.done, 0, `sipp uas: ${uas.out.slice(-1000)}\n${readOr(path.join(dir, 'tls_uas.err')).slice(-1500)}`);
    const ulog = readOr(path.join(dir, 'tls_uas.log'));
    assert.match(ulog, new RegExp(`^INVITE sip:\\+4930123@127\\.0\\.0\\.1:${termUas.port};transport=tls$`, 'm'), ulog.slice(-1500));
    assert.match(ulog, /^BYE sip:sipp@127\.0\.0\.1:\d+;transport=tls$/m, ulog.slice(-1500));
    assert.ok(termUas.lines.length >= 1 && termUas.lines.every((l) => /^(INVITE|ACK|BYE) /.test(l)), JSON.stringify(termUas.lines));
    // a sips: to through the TLS trunk is accepted (422 only for udp/tcp trunks: sip_trunks)
    const v = await s3.admin('POST', `/v1/rooms/${room}/sip-calls`, { trunk: 'out', to: 'sips:+1@example.invalid', ring_timeout_s: 1 });
    assert.strictEqual(v.status, 201, v.text);
    await s3.admin('DELETE', `/v1/rooms/${room}/sip-calls/${v.json.id}`);
    // the rogue registrar's certificate is not in cafile.pem: the handshake
    // fails (our alert: unknown CA), no REGISTER reaches it, the log says
    // why at once, and the registration fails when the REGISTER times out
    assert.deepStrictEqual(termBad.lines, [], 'nothing sent to a registrar we cannot verify');
    assert.ok(termBad.errors.some((e) => /unknown ca/i.test(e)), JSON.stringify(termBad.errors));
    assert.match(s3.log(), /warn +sip: TLS: .*(certificate|TLS setup failed)/);
    const bad = await waitFor(s3, 'rogue failed', async () => { const x = (await regs()).rogue; return x.status === 'failed' && x; }, 45000);
    assert.strictEqual(bad.code, 408, JSON.stringify(bad));
    assert.ok(bad.next_attempt_ms > Date.now(), JSON.stringify(bad));
    assert.deepStrictEqual(termBad.lines, []);
    console.log(`# TLS trunk: registered (expires ${r.expires_s}); rogue registrar: ${bad.code} ${bad.reason}, `
      + `its TLS server saw: ${termBad.errors[0].split(':').slice(-2).join(':').trim()}`);
  } finally {
    assert.strictEqual(await s3.stop(), 0, `trunk server's exit code\n${s3.log().slice(-3000)}`);
    // the un-REGISTER at shutdown ends the registrar's scenario
    const code = await Promise.race([registrar.done, sleep(10000).then(() => 'timeout')]);
    assert.strictEqual(code, 0, `sipp registrar: ${registrar.out.slice(-800)}\n${readOr(path.join(dir, 'tls_registrar.err')).slice(-1500)}`);
    rogueSipp.kill('SIGKILL');
    for (const x of [termReg, termUas, termBad]) await x.close();
  }
});

test('configuration: the TLS keys are checked; a server that cannot do TLS does not start', async () => {
  const base = {
    app_id: 7, server_secret: '0123456789abcdef0123456789abcdef', admin_key: 'test-admin-key-0123456789',
    http: { listen: '127.0.0.1:0' }, media: { workers: 1 },
  };
  const check = (sip, args = ['--check-config'], env = {}) => {
    const f = path.join(dir, `cfg-${crypto.randomUUID()}.json`);
    fs.writeFileSync(f, JSON.stringify({ ...base, sip }));
    return spawnSync(BIN, [...args, f], { encoding: 'utf8', timeout: 20000,
      env: { ...process.env, ...LSAN, ...env, ASAN_OPTIONS: 'detect_leaks=1:exitcode=23' } });
  };
  const [p1, p2] = await freePorts(2);
  const listen = `127.0.0.1:${p1}`, tlsListen = `127.0.0.1:${p2}`;
  let r = check({ listen, tls_listen: tlsListen });
  assert.strictEqual(r.status, 1, r.stderr);
  assert.match(r.stderr, /sip\.tls_certificate_dir: required with sip\.tls_listen/);
  r = check({ tls_listen: tlsListen, tls_certificate_dir: certDir });
  assert.strictEqual(r.status, 1, r.stderr);
  assert.match(r.stderr, /sip\.tls_listen: needs sip\.listen/);
  r = check({ listen, tls_listen: listen, tls_certificate_dir: certDir });
  assert.match(r.stderr, /sip\.tls_listen: port \d+ is sip\.listen's/);
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  r = check({ listen, tls_listen: tlsListen, tls_certificate_dir: empty });
  assert.strictEqual(r.status, 1, r.stderr);
  assert.match(r.stderr, /sip\.tls_certificate_dir: cannot read ".*\/empty\/agent\.pem" \(no such file\)/);
  r = check({ listen, tls_listen: tlsListen, tls_certificate_dir: path.join(dir, 'missing') });
  assert.match(r.stderr, /sip\.tls_certificate_dir: ".*missing": No such file or directory/);
  // the environment sets both keys
  r = check({ listen }, ['--check-config'], { ROOMGATE_SIP_TLS_LISTEN: tlsListen, ROOMGATE_SIP_TLS_CERTIFICATE_DIR: certDir });
  assert.strictEqual(r.status, 0, r.stderr);
  // agent.pem with the certificate alone: the server refuses to start
  const certOnly = path.join(dir, 'certonly');
  fs.mkdirSync(certOnly);
  fs.copyFileSync(serverCert, path.join(certOnly, 'agent.pem'));
  r = check({ listen, tls_listen: tlsListen, tls_certificate_dir: certOnly }, ['--config']);
  assert.strictEqual(r.status, 1, r.stderr);
  assert.match(r.stderr, /sip\.tls_certificate_dir: .*certonly\/agent\.pem has no private key/);
  // dial-out over TLS needs TLS
  const { server: plain } = await startOnFreePorts((a) => ({ sip: { listen: `127.0.0.1:${a}` } }));
  try {
    for (const to of [`sips:bob@127.0.0.1:${p2}`, `sip:bob@127.0.0.1:${p2};transport=tls`]) {
      const e = await plain.admin('POST', '/v1/rooms/notls/sip-calls', { to });
      assert.strictEqual(e.status, 422, e.text);
      assert.match(e.json.error.message, /needs SIP over TLS \(sip\.tls_listen\)/);
    }
  } finally {
    assert.strictEqual(await plain.stop(), 0);
  }
});
