// Malformed frames, oversized messages and bad JSON close or refuse only
// the offender; the server keeps serving everyone else.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const net = require('node:net');
const crypto = require('node:crypto');
const { startServer, Client, sleep } = require('./lib/harness');

let srv, watcher, talker, hb;
before(async () => {
  srv = await startServer({ config: { limits: { max_message_bytes: 4096 } } });
  watcher = await Client.connect(srv);
  await watcher.login(srv, 'robust', 'watcher');
  talker = await Client.connect(srv);
  await talker.login(srv, 'robust', 'talker');
  hb = setInterval(() => { watcher.request('heartbeat').catch(() => {}); talker.request('heartbeat').catch(() => {}); }, 500);
  hb.unref();
});
after(async () => {
  clearInterval(hb);
  assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)');
});

// Opens a raw TCP connection, performs the upgrade, returns {sock, read()}.
async function rawWs() {
  const sock = net.connect(srv.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  const key = crypto.randomBytes(16).toString('base64');
  sock.write(`GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => { buf = Buffer.concat([buf, d]); });
  const ended = new Promise((r) => sock.on('close', r));
  const deadline = Date.now() + 3000;
  while (!buf.includes('\r\n\r\n')) {
    if (Date.now() > deadline) throw new Error('no upgrade response');
    await sleep(10);
  }
  const head = buf.slice(0, buf.indexOf('\r\n\r\n')).toString();
  assert.match(head, /^HTTP\/1.1 101/);
  const expect = crypto.createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
  assert.ok(head.includes(expect), head);
  buf = buf.slice(buf.indexOf('\r\n\r\n') + 4);
  return { sock, ended, frames: () => buf };
}

function frame(op, payload, { mask = true, fin = true, rsv = 0 } = {}) {
  const p = Buffer.from(payload);
  const hdr = [((fin ? 0x80 : 0) | (rsv << 4) | op)];
  const len = p.length;
  if (len < 126) hdr.push((mask ? 0x80 : 0) | len);
  else { hdr.push((mask ? 0x80 : 0) | 126, len >> 8, len & 255); }
  const m = crypto.randomBytes(4);
  const body = Buffer.from(p);
  if (mask) for (let i = 0; i < body.length; i++) body[i] ^= m[i & 3];
  return Buffer.concat([Buffer.from(hdr), mask ? m : Buffer.alloc(0), body]);
}

// The close code of the first close frame the server sent.
async function closeCodeOf(raw) {
  await Promise.race([raw.ended, sleep(3000)]);
  const b = raw.frames();
  for (let i = 0; i + 1 < b.length;) {
    const op = b[i] & 15;
    let len = b[i + 1] & 127, off = 2;
    if (len === 126) { len = b.readUInt16BE(i + 2); off = 4; }
    if (op === 8) return b.readUInt16BE(i + off);
    i += off + len;
  }
  return null;
}

async function stillServing() {
  const ev = watcher.waitFor('room_stream_update', (d) => d.update_type === 'ADD');
  const sid = 'rb-' + crypto.randomBytes(4).toString('hex');
  assert.strictEqual((await talker.request('publish', { stream_id: sid })).ok, true);
  await ev;
  assert.strictEqual((await talker.request('stop_publish', { stream_id: sid })).ok, true);
  await watcher.waitFor('room_stream_update', (d) => d.update_type === 'DELETE');
  const h = await fetch(srv.url + '/healthz');
  assert.strictEqual(h.status, 200);
}

test('protocol violations close with the RFC 6455 code', async () => {
  const cases = [
    ['unmasked frame', frame(1, '{"type":"heartbeat"}', { mask: false }), 1002],
    ['reserved bit', frame(1, 'x', { rsv: 4 }), 1002],
    ['unknown opcode', frame(3, 'x'), 1002],
    ['continuation without start', frame(0, 'x'), 1002],
    ['fragmented ping', frame(9, 'x', { fin: false }), 1002],
    ['invalid UTF-8', frame(1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 1007],
    ['binary message', frame(2, Buffer.from([1, 2, 3])), 1003],
    ['oversized message', frame(1, 'x'.repeat(5000)), 1009],
  ];
  for (const [what, bytes, code] of cases) {
    const raw = await rawWs();
    raw.sock.write(bytes);
    assert.strictEqual(await closeCodeOf(raw), code, what);
    raw.sock.destroy();
  }
  await stillServing();
});

test('ping gets a pong; fragmented text is reassembled', async () => {
  const raw = await rawWs();
  raw.sock.write(frame(9, 'hi'));
  const msg = '{"v":1,"id":5,"type":"heartbeat"}';
  raw.sock.write(frame(1, msg.slice(0, 10), { fin: false }));
  raw.sock.write(frame(0, msg.slice(10, 20), { fin: false }));
  raw.sock.write(frame(9, 'mid'));
  raw.sock.write(frame(0, msg.slice(20), { fin: true }));
  await sleep(300);
  const b = raw.frames();
  assert.strictEqual(b[0], 0x8a, 'pong first');
  assert.strictEqual(b.slice(2, 4).toString(), 'hi');
  assert.ok(b.toString().includes('"id":5'), b.toString());
  raw.sock.destroy();
});

test('bad JSON and bad fields get error responses; the socket stays usable', async () => {
  const c = await Client.connect(srv);
  c.send('{not json');
  c.send('{"id":9,"type":"login","room_id":"r","token":"t"}');
  c.send('{"id":10,"type":"teleport"}');
  await sleep(300);
  const errs = c.events.filter((e) => e.type === 'response');
  assert.deepStrictEqual(errs.map((e) => [e.id, e.ok, e.error.name]),
    [[null, false, 'bad_json'], [9, false, 'invalid_field'], [10, false, 'invalid_field']]);
  assert.match(errs[1].error.message, /"user"/);
  assert.match(errs[2].error.message, /"type"/);
  const r = await c.request('login', { room_id: 'r', token: 't', user: 5 });
  assert.strictEqual(r.ok, false);
  assert.match(r.error.message, /"user"/);
  assert.strictEqual((await c.request('heartbeat')).ok, true);
  c.close();
  await stillServing();
});

test('many abrupt disconnects and garbage do not disturb the room', async () => {
  for (let i = 0; i < 30; i++) {
    const raw = await rawWs();
    raw.sock.write(crypto.randomBytes(64 + i * 7));
    raw.sock.destroy();
  }
  const sock = net.connect(srv.port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write('GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n\r\n');
  const resp = await new Promise((r) => sock.once('data', (d) => r(d.toString())));
  assert.match(resp, /^HTTP\/1.1 400/);
  sock.destroy();
  await stillServing();
});
