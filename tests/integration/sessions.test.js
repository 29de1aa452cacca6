// Heartbeats, resume within the grace period, grace expiry, login timeout.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { startServer, Client, sleep } = require('./lib/harness');

let srv;
before(async () => {
  srv = await startServer({
    config: { session: { heartbeat_interval_ms: 300, heartbeat_timeout_ms: 1200, resume_grace_ms: 1500, login_timeout_ms: 2500 } },
  });
});
after(async () => { assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)'); });

function heartbeat(c, ms) {
  const t = setInterval(() => { if (!c.closed) c.request('heartbeat').catch(() => {}); }, ms);
  t.unref(); // a failed test must not keep the process alive
  return () => clearInterval(t);
}

test('a silent session is dropped: stream DELETE code 2, user DELETE, close 4001', async () => {
  const watcher = await Client.connect(srv);
  const r = await watcher.login(srv, 'hb', 'watcher');
  assert.strictEqual(r.data.heartbeat_interval_ms, 300);
  const stopHb = heartbeat(watcher, 300);
  const silent = await Client.connect(srv);
  await silent.login(srv, 'hb', 'silent');
  await silent.request('publish', { stream_id: 'silent-s' });
  await watcher.waitFor('room_stream_update', (d) => d.update_type === 'ADD');
  const t0 = Date.now();
  const del = await watcher.waitFor('room_stream_update', (d) => d.update_type === 'DELETE', 5000);
  assert.strictEqual(del.data.reason, 2);
  assert.ok(Date.now() - t0 >= 800, 'not before the timeout');
  await watcher.waitFor('room_user_update', (d) => d.update_type === 'DELETE');
  assert.strictEqual((await silent.waitClose()).code, 4001);
  stopHb();
  await watcher.request('logout');
  watcher.close();
});

test('resume within the grace period: nobody notices, missed events are replayed', async () => {
  const watcher = await Client.connect(srv);
  await watcher.login(srv, 'res', 'watcher');
  const stopW = heartbeat(watcher, 300);
  let c = await Client.connect(srv);
  const login = await c.login(srv, 'res', 'mover');
  await c.request('publish', { stream_id: 'mover-s' });
  await watcher.waitFor('room_stream_update', (d) => d.update_type === 'ADD');
  const { session_id: sid, resume_token: rtok } = login.data;
  const lastSeq = c.lastSeq;
  c.terminate(); // socket breaks without a close frame
  await sleep(200);
  // something happens while it is away
  const other = await Client.connect(srv);
  await other.login(srv, 'res', 'other');
  const stopO = heartbeat(other, 300);
  await sleep(300);
  c = await Client.connect(srv);
  const res = await c.request('resume', { session_id: sid, resume_token: rtok, last_seq: lastSeq });
  assert.strictEqual(res.ok, true, JSON.stringify(res));
  assert.deepStrictEqual(res.data.streams, []);
  assert.ok(res.data.users.some((u) => u.user_id === 'other'));
  const missed = await c.waitFor('room_user_update', (d) => d.update_type === 'ADD' && d.users[0].user_id === 'other');
  assert.ok(missed.seq > lastSeq);
  const stopC = heartbeat(c, 300);
  await sleep(2000); // longer than the grace period and the heartbeat timeout
  assert.ok(!watcher.events.some((e) => e.data.update_type === 'DELETE'), 'others saw nothing: ' + JSON.stringify(watcher.events));
  const streams = await srv.admin('GET', '/v1/rooms/res/streams');
  assert.deepStrictEqual(streams.json.streams.map((s) => s.stream_id), ['mover-s']);
  // a wrong token or an unknown session cannot resume
  const thief = await Client.connect(srv);
  const bad = await thief.request('resume', { session_id: sid, resume_token: 'f'.repeat(32) });
  assert.strictEqual(bad.ok, false);
  assert.strictEqual(bad.error.code, 1002053);
  stopW(); stopO(); stopC();
  for (const x of [watcher, other, c]) { await x.request('logout'); x.close(); }
  thief.close();
});

test('no resume within the grace period: DELETE code 5', async () => {
  const watcher = await Client.connect(srv);
  await watcher.login(srv, 'grace', 'watcher');
  const stopW = heartbeat(watcher, 300);
  const c = await Client.connect(srv);
  await c.login(srv, 'grace', 'gone');
  await c.request('publish', { stream_id: 'gone-s' });
  await watcher.waitFor('room_stream_update', (d) => d.update_type === 'ADD');
  c.terminate();
  const t0 = Date.now();
  const del = await watcher.waitFor('room_stream_update', (d) => d.update_type === 'DELETE', 5000);
  assert.strictEqual(del.data.reason, 5);
  assert.ok(Date.now() - t0 >= 1200, `DELETE came after ${Date.now() - t0} ms, before the grace period`);
  await watcher.waitFor('room_user_update', (d) => d.update_type === 'DELETE');
  stopW();
  await watcher.request('logout');
  watcher.close();
});

test('a clean close ends the session at once: DELETE code 5 before the grace period', async () => {
  const watcher = await Client.connect(srv);
  await watcher.login(srv, 'clean', 'watcher');
  const c = await Client.connect(srv);
  await c.login(srv, 'clean', 'leaver');
  await c.request('publish', { stream_id: 'leaver-s' });
  await watcher.waitFor('room_stream_update', (d) => d.update_type === 'ADD');
  const t0 = Date.now();
  c.ws.close(1001, 'page closed');
  const del = await watcher.waitFor('room_stream_update', (d) => d.update_type === 'DELETE', 1200);
  assert.strictEqual(del.data.reason, 5);
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  await watcher.request('logout');
  watcher.close();
});

test('a connection that never logs in is closed (4002)', async () => {
  const c = await Client.connect(srv);
  assert.strictEqual((await c.waitClose(6000)).code, 4002);
});

test('requests before login are refused; logout then login again on one socket', async () => {
  const c = await Client.connect(srv);
  const r = await c.request('publish', { stream_id: 'x' });
  assert.strictEqual(r.ok, false);
  assert.strictEqual(r.error.name, 'not_logged_in');
  assert.strictEqual((await c.login(srv, 'again', 'a1')).ok, true);
  const twice = await c.login(srv, 'again', 'a1');
  assert.strictEqual(twice.error.name, 'already_logged_in');
  assert.strictEqual((await c.request('logout')).ok, true);
  assert.strictEqual((await c.login(srv, 'again-2', 'a1')).ok, true);
  await c.request('logout');
  c.close();
});
