// Recordings without real media: hidden recorders (clients never see
// them), stream subsets, auto_record rules, the recording.* webhooks
// (started, finished with files, failed), recording.finished at shutdown,
// a full disk (a small tmpfs, when the test runs as root).
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const { startServer, Client, sleep, BIN, SECRET: SERVER_SECRET, ADMIN_KEY } = require('./lib/harness');

const SECRET = 'whsec-rec-0123456789abcdef';

async function startReceiver() {
  const rx = { events: [] };
  rx.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      rx.events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      res.writeHead(200);
      res.end('ok');
    });
  });
  await new Promise((r) => rx.server.listen(0, '127.0.0.1', r));
  rx.url = `http://127.0.0.1:${rx.server.address().port}/hook`;
  rx.close = () => new Promise((r) => { rx.server.closeAllConnections(); rx.server.close(r); });
  rx.find = (type, pred = () => true) => rx.events.find((e) => e.type === type && pred(e.data));
  rx.wait = async (type, pred = () => true, ms = 8000) => {
    const until = Date.now() + ms;
    for (;;) {
      const e = rx.find(type, pred);
      if (e) return e;
      if (Date.now() > until) throw new Error(`no ${type} event; got ${JSON.stringify(rx.events.map((x) => x.type))}`);
      await sleep(50);
    }
  };
  return rx;
}

let srv, rx, dir, recDir;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-recc-'));
  recDir = path.join(dir, 'rec');
  fs.mkdirSync(recDir);
  rx = await startReceiver();
  srv = await startServer({
    config: {
      recording: {
        dir: recDir,
        auto_record: [
          { room: 'auto-*', mode: 'per_stream' },
          { room: 'auto-m?', mode: 'mixed', format: 'wav', max_duration_s: 600 },
        ],
      },
      webhooks: [{ url: rx.url, secret: SECRET, events: ['recording.*', 'room.*'], backoff_ms: 200 }],
    },
  });
});
after(async () => {
  assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)');
  await rx.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function login(room, user) {
  const c = await Client.connect(srv);
  const r = await c.login(srv, room, user);
  assert.strictEqual(r.ok, true, JSON.stringify(r));
  return { c, r };
}

async function waitState(s, room, id, states, ms = 8000) {
  const until = Date.now() + ms;
  let r;
  do {
    r = await s.admin('GET', `/v1/rooms/${room}/recordings/${id}`);
    if (r.status === 200 && states.includes(r.json.state)) return r.json;
    await sleep(100);
  } while (Date.now() < until);
  assert.fail(`recording ${id} never reached ${states}: ${r.text}`);
}

const userEvents = (c) => c.events.filter((e) => e.event === 'room_user_update');
const counts = (c) => c.events.filter((e) => e.event === 'room_online_user_count').map((e) => e.data.count);

test('a recorder is hidden from clients (users, snapshot, count) and listed by the admin API', async () => {
  const room = 'hid-1';
  const { c: a } = await login(room, 'alice');
  const rec = await srv.admin('POST', `/v1/rooms/${room}/recordings`, { mode: 'mixed' });
  assert.strictEqual(rec.status, 201, rec.text);
  const { c: b, r: rb } = await login(room, 'bob');
  assert.deepStrictEqual(rb.data.users.map((u) => u.user_id), ['alice']);
  assert.strictEqual(rb.data.online_count, 2);
  await a.waitFor('room_user_update', (d) => d.users[0].user_id === 'bob');
  await a.waitFor('room_online_user_count', (d) => d.count === 2);
  const users = await srv.admin('GET', `/v1/rooms/${room}/users`);
  const recUser = (users.json.users || users.json).find((u) => u.user_id === rec.json.user_id);
  assert.ok(recUser, users.text);
  assert.strictEqual(recUser.kind, 'virtual');
  assert.strictEqual(recUser.hidden, true);
  assert.strictEqual((await srv.admin('DELETE', `/v1/rooms/${room}/recordings/${rec.json.id}`)).status, 200);
  await waitState(srv, room, rec.json.id, ['stopped']);
  await sleep(400); // a count update would be coalesced within 200 ms
  for (const c of [a, b]) {
    for (const e of userEvents(c)) assert.ok(!e.data.users.some((u) => u.user_id.startsWith('rec_')), JSON.stringify(e));
    assert.ok(counts(c).every((n) => n <= 2), JSON.stringify(counts(c)));
  }
  a.close(); b.close();
});

test('recording.visible: true shows the recorder to clients', async () => {
  const s = await startServer({ config: { recording: { dir: recDir, visible: true } } });
  try {
    const c = await Client.connect(s);
    assert.strictEqual((await c.login(s, 'vis-1', 'alice')).ok, true);
    const rec = await s.admin('POST', '/v1/rooms/vis-1/recordings', { mode: 'mixed' });
    assert.strictEqual(rec.status, 201, rec.text);
    const ev = await c.waitFor('room_user_update', (d) => d.update_type === 'ADD');
    assert.strictEqual(ev.data.users[0].user_id, rec.json.user_id);
    await c.waitFor('room_online_user_count', (d) => d.count === 2);
    c.close();
  } finally {
    assert.strictEqual(await s.stop(), 0);
  }
});

test('streams: a subset per_stream and mixed; an unknown stream is 404 naming it', async () => {
  const room = 'sub-1';
  const { c: a } = await login(room, 'alice');
  const { c: b } = await login(room, 'bob');
  assert.strictEqual((await a.request('publish', { stream_id: 'sub-a' })).ok, true);
  assert.strictEqual((await b.request('publish', { stream_id: 'sub-b' })).ok, true);
  let r = await srv.admin('POST', `/v1/rooms/${room}/recordings`, { mode: 'per_stream', streams: ['sub-a', 'nope'] });
  assert.strictEqual(r.status, 404, r.text);
  assert.strictEqual(r.json.error.code, 'stream_not_found');
  assert.match(r.json.error.message, /streams.*nope/);
  r = await srv.admin('POST', `/v1/rooms/${room}/recordings`, { mode: 'per_stream', streams: [] });
  assert.strictEqual(r.status, 422, r.text);
  assert.match(r.json.error.message, /streams/);
  const ps = await srv.admin('POST', `/v1/rooms/${room}/recordings`, { mode: 'per_stream', streams: ['sub-b'] });
  assert.strictEqual(ps.status, 201, ps.text);
  assert.deepStrictEqual(ps.json.streams, ['sub-b']);
  const mx = await srv.admin('POST', `/v1/rooms/${room}/recordings`, { mode: 'mixed', streams: ['sub-a'] });
  assert.strictEqual(mx.status, 201, mx.text);
  assert.deepStrictEqual(mx.json.streams, ['sub-a']);
  // a stream published later is not followed
  assert.strictEqual((await a.request('publish', { stream_id: 'sub-c' })).ok, true);
  await sleep(1500);
  for (const x of [ps, mx]) await srv.admin('DELETE', `/v1/rooms/${room}/recordings/${x.json.id}`);
  const done = await waitState(srv, room, ps.json.id, ['stopped']);
  assert.deepStrictEqual(done.files.map((f) => f.stream_id), ['sub-b']);
  assert.ok(done.files[0].duration_ms >= 1000, JSON.stringify(done.files));
  const mdone = await waitState(srv, room, mx.json.id, ['stopped']);
  assert.deepStrictEqual(mdone.files.map((f) => f.path), ['mix.ogg']);
  a.close(); b.close();
});

test('auto_record: matching rooms are recorded from creation until they close; events with files', async () => {
  const { c: a, r: ra } = await login('auto-m1', 'alice');
  assert.strictEqual(ra.data.online_count, 1);
  let list;
  for (let i = 0; i < 50; i++) {
    list = await srv.admin('GET', '/v1/rooms/auto-m1/recordings');
    if (list.status === 200 && list.json.count === 2) break;
    await sleep(50);
  }
  assert.strictEqual(list.json.count, 2, list.text);
  const recs = list.json.recordings.sort((x, y) => x.mode.localeCompare(y.mode));
  assert.deepStrictEqual(recs.map((x) => [x.mode, x.format, x.auto_record]), [['mixed', 'wav', true], ['per_stream', 'ogg_opus', true]]);
  assert.strictEqual(recs[0].max_duration_s, 600);
  assert.strictEqual((await a.request('publish', { stream_id: 'auto-a' })).ok, true);
  await sleep(1500);
  // the recorders do not keep the room open
  a.close();
  await rx.wait('room.closed', (d) => d.room_id === 'auto-m1');
  for (const x of recs) {
    const done = await waitState(srv, 'auto-m1', x.id, ['stopped']);
    const fin = await rx.wait('recording.finished', (d) => d.id === x.id);
    assert.deepStrictEqual(fin.data.files, done.files);
    assert.ok(done.files.length === 1 && done.files[0].duration_ms >= 1000 && done.files[0].bytes > 0, JSON.stringify(done.files));
    const started = await rx.wait('recording.started', (d) => d.id === x.id);
    assert.strictEqual(started.data.auto_record, true);
  }
  assert.strictEqual(rx.find('room.closed', (d) => d.room_id === 'auto-m1').data.reason, 'empty');
  assert.strictEqual(a.events.filter((e) => e.event === 'room_user_update').length, 0);
  // a room that matches no rule
  const { c: b } = await login('other-1', 'bob');
  await sleep(300);
  assert.strictEqual((await srv.admin('GET', '/v1/rooms/other-1/recordings')).json.count, 0);
  b.close();
});

test('auto_record validation errors name the field', () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-recv-'));
  const f = path.join(d, 'c.jsonc');
  const check = (rec) => {
    fs.writeFileSync(f, JSON.stringify({ server_secret: SERVER_SECRET, admin_key: ADMIN_KEY, recording: rec }, null, 2));
    return spawnSync(BIN, ['--check-config', f], { encoding: 'utf8' });
  };
  let r = check({ auto_record: [{ room: 'a*', mode: 'both' }] });
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /recording\.auto_record\[0\]\.mode.*"mixed" or "per_stream"/);
  r = check({ auto_record: [{ room: 'a*' }, { mode: 'mixed' }] });
  assert.match(r.stderr, /recording\.auto_record\[1\].*"room".*required/);
  r = check({ auto_record: [{ room: 'a*', mode: 'per_stream', format: 'wav' }] });
  assert.match(r.stderr, /recording\.auto_record\[0\]\.format/);
  r = check({ auto_record: [{ room: 'a*', color: 'red' }] });
  assert.match(r.stderr, /recording\.auto_record\[0\]\.color.*unknown key/);
  r = check({ auto_record: { room: 'a*' } });
  assert.match(r.stderr, /recording\.auto_record.*expected an array/);
  r = check({ auto_record: [{ room: 'a*', mode: 'mixed', format: 'wav', max_duration_s: 60 }], visible: false });
  assert.strictEqual(r.status, 0, r.stderr);
  fs.rmSync(d, { recursive: true });
});

test('an unwritable directory: recording.failed with the error; the room and another recording go on', async () => {
  fs.writeFileSync(path.join(recDir, 'bad-1'), 'a file where the room directory goes');
  const { c: a } = await login('bad-1', 'alice');
  const { c: b } = await login('good-1', 'bob');
  const bad = await srv.admin('POST', '/v1/rooms/bad-1/recordings', { mode: 'mixed', format: 'wav' });
  const good = await srv.admin('POST', '/v1/rooms/good-1/recordings', { mode: 'mixed', format: 'wav' });
  assert.strictEqual(bad.status, 201);
  assert.strictEqual(good.status, 201);
  const ev = await rx.wait('recording.failed', (d) => d.id === bad.json.id);
  assert.match(ev.data.error, /ENOTDIR/);
  assert.strictEqual(ev.data.room_id, 'bad-1');
  assert.strictEqual((await waitState(srv, 'bad-1', bad.json.id, ['failed'])).state, 'failed');
  await sleep(1200);
  assert.strictEqual((await a.request('publish', { stream_id: 'bad-a' })).ok, true);
  assert.strictEqual((await srv.admin('GET', `/v1/rooms/good-1/recordings/${good.json.id}`)).json.state, 'recording');
  await srv.admin('DELETE', `/v1/rooms/good-1/recordings/${good.json.id}`);
  const gd = await waitState(srv, 'good-1', good.json.id, ['stopped']);
  assert.ok(gd.files[0].duration_ms >= 1000, JSON.stringify(gd.files));
  assert.ok(!rx.find('recording.finished', (d) => d.id === bad.json.id));
  a.close(); b.close();
});

test('a full disk (64 KiB tmpfs): that recording fails with ENOSPC, the room goes on', async (t) => {
  if (process.getuid() !== 0) return t.skip('needs root to mount a tmpfs');
  const small = path.join(dir, 'small');
  fs.mkdirSync(small);
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', small], { encoding: 'utf8' });
  if (m.status !== 0) return t.skip(`mount failed: ${m.stderr}`);
  const rx2 = await startReceiver();
  const s = await startServer({
    config: { recording: { dir: small }, webhooks: [{ url: rx2.url, secret: SECRET, events: ['recording.*'] }] },
  });
  try {
    const c = await Client.connect(s);
    assert.strictEqual((await c.login(s, 'full-1', 'alice')).ok, true);
    const r = await s.admin('POST', '/v1/rooms/full-1/recordings', { mode: 'mixed', format: 'wav' });
    assert.strictEqual(r.status, 201, r.text);
    const ev = await rx2.wait('recording.failed', (d) => d.id === r.json.id, 10000);
    assert.match(ev.data.error, /ENOSPC/);
    const st = await waitState(s, 'full-1', r.json.id, ['failed']);
    console.log(`disk full after ${Date.now() - r.json.start_ms} ms: ${st.error}`);
    // the room and its client are unaffected
    assert.strictEqual((await c.request('publish', { stream_id: 'full-a' })).ok, true);
    const users = await s.admin('GET', '/v1/rooms/full-1/users');
    assert.ok(users.text.includes('alice'), users.text);
    c.close();
  } finally {
    assert.strictEqual(await s.stop(), 0);
    spawnSync('umount', [small]);
    await rx2.close();
  }
});

test('shutdown: running recordings stop and send recording.finished with their files', async () => {
  const rx3 = await startReceiver();
  const sdir = path.join(dir, 'shut');
  const s = await startServer({
    config: { recording: { dir: sdir }, webhooks: [{ url: rx3.url, secret: SECRET, events: ['recording.*'] }] },
  });
  let ids;
  try {
    const c = await Client.connect(s);
    assert.strictEqual((await c.login(s, 'shut-1', 'alice')).ok, true);
    assert.strictEqual((await c.request('publish', { stream_id: 'shut-a' })).ok, true);
    const r1 = await s.admin('POST', '/v1/rooms/shut-1/recordings', { mode: 'per_stream' });
    const r2 = await s.admin('POST', '/v1/rooms/shut-1/recordings', { mode: 'mixed', format: 'wav' });
    ids = [r1.json.id, r2.json.id];
    await sleep(1500);
  } finally {
    assert.strictEqual(await s.stop(), 0);
  }
  for (const id of ids) {
    const fin = rx3.find('recording.finished', (d) => d.id === id);
    assert.ok(fin, JSON.stringify(rx3.events.map((e) => e.type)));
    assert.ok(fin.data.files.length === 1 && fin.data.files[0].duration_ms >= 500, JSON.stringify(fin.data));
    const side = JSON.parse(fs.readFileSync(path.join(sdir, 'shut-1', id, 'recording.json'), 'utf8'));
    assert.strictEqual(side.status, 'stopped');
  }
  await rx3.close();
});
