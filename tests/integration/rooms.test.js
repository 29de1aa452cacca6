// Rooms, users and streams over the real WebSocket protocol.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { startServer, Client, sleep } = require('./lib/harness');

let srv;
before(async () => { srv = await startServer({ config: { limits: { max_users_per_room: 3, max_rooms: 5 } } }); });
after(async () => { assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)'); });

test('two users join and see each other', async () => {
  const a = await Client.connect(srv);
  const b = await Client.connect(srv);
  const ra = await a.login(srv, 'room-1', 'alice', { userName: 'Alice' });
  assert.strictEqual(ra.ok, true, JSON.stringify(ra));
  assert.deepStrictEqual(ra.data.users, []);
  assert.strictEqual(ra.data.user.user_id, 'alice');
  assert.ok(ra.data.session_id && ra.data.resume_token);
  const rb = await b.login(srv, 'room-1', 'bob', { userName: 'Bob' });
  assert.deepStrictEqual(rb.data.users, [{ user_id: 'alice', user_name: 'Alice' }]);
  assert.strictEqual(rb.data.online_count, 2);
  const ev = await a.waitFor('room_user_update');
  assert.deepStrictEqual(ev.data, { room_id: 'room-1', update_type: 'ADD', users: [{ user_id: 'bob', user_name: 'Bob' }] });
  const cnt = await a.waitFor('room_online_user_count', (d) => d.count === 2);
  assert.strictEqual(cnt.data.room_id, 'room-1');
  // admin view
  const room = await srv.admin('GET', '/v1/rooms/room-1');
  assert.strictEqual(room.status, 200);
  assert.deepStrictEqual(room.json.users.map((u) => u.user_id), ['alice', 'bob']);
  // a clean close (a page going away) ends the session at once
  b.close();
  await b.waitClose();
  const gone = await a.waitFor('room_user_update', (d) => d.update_type === 'DELETE', 1000);
  assert.deepStrictEqual(gone.data.users, [{ user_id: 'bob', user_name: 'Bob' }]);
  a.close();
  await a.waitClose();
});

test('users without user_update get no user events but still see streams', async () => {
  const a = await Client.connect(srv);
  const b = await Client.connect(srv);
  await a.login(srv, 'room-2', 'u1', { userUpdate: false });
  await b.login(srv, 'room-2', 'u2');
  const p = await b.request('publish', { stream_id: 's-u2', extra_info: 'hello' });
  assert.strictEqual(p.ok, true, JSON.stringify(p));
  const ev = await a.waitFor('room_stream_update');
  assert.strictEqual(ev.data.update_type, 'ADD');
  assert.deepStrictEqual(ev.data.streams, [{ stream_id: 's-u2', user: { user_id: 'u2', user_name: 'name-u2' }, extra_info: 'hello' }]);
  assert.ok(!a.events.some((e) => e.event === 'room_user_update'), 'no user events for user_update:false');
  await a.request('logout'); await b.request('logout');
  a.close(); b.close();
});

test('publish, duplicate stream ID, stop_publish gives DELETE code 1; logout DELETE code 1', async () => {
  const a = await Client.connect(srv);
  const b = await Client.connect(srv);
  await a.login(srv, 'room-3', 'pa');
  await b.login(srv, 'room-3', 'pb');
  assert.strictEqual((await a.request('publish', { stream_id: 'st-1' })).ok, true);
  await b.waitFor('room_stream_update', (d) => d.update_type === 'ADD');
  const dup = await b.request('publish', { stream_id: 'st-1' });
  assert.strictEqual(dup.ok, false);
  assert.strictEqual(dup.error.code, 1003028);
  const bad = await b.request('publish', { stream_id: 'bad stream!' });
  assert.strictEqual(bad.error.code, 1000016);
  const empty = await b.request('publish', { stream_id: '' });
  assert.strictEqual(empty.error.code, 1000015);
  const long = await b.request('publish', { stream_id: 'x'.repeat(257) });
  assert.strictEqual(long.error.code, 1000014);
  assert.strictEqual((await a.request('stop_publish', { stream_id: 'st-1' })).ok, true);
  const del = await b.waitFor('room_stream_update', (d) => d.update_type === 'DELETE');
  assert.strictEqual(del.data.reason, 1);
  assert.deepStrictEqual(JSON.parse(del.data.extended_data),
    { stream_delete_reason: [{ stream_id: 'st-1', code: 1, description: 'user stopped publishing' }] });
  // a late joiner sees current streams in the login response
  await a.request('publish', { stream_id: 'st-2' });
  const c = await Client.connect(srv);
  const rc = await c.login(srv, 'room-3', 'pc');
  assert.deepStrictEqual(rc.data.streams.map((s) => s.stream_id), ['st-2']);
  await a.request('logout');
  const d2 = await c.waitFor('room_stream_update', (d) => d.update_type === 'DELETE');
  assert.strictEqual(d2.data.reason, 1);
  const left = await c.waitFor('room_user_update', (d) => d.update_type === 'DELETE');
  assert.deepStrictEqual(left.data.users, [{ user_id: 'pa', user_name: 'name-pa' }]);
  await b.request('logout'); await c.request('logout');
  a.close(); b.close(); c.close();
});

test('admin kick and room close give KICKOUT 1002055 with the custom message', async () => {
  const a = await Client.connect(srv);
  const b = await Client.connect(srv);
  await a.login(srv, 'room-4', 'ka');
  await b.login(srv, 'room-4', 'kb');
  await b.request('publish', { stream_id: 'kb-stream' });
  await a.waitFor('room_stream_update');
  const k = await srv.admin('DELETE', '/v1/rooms/room-4/users/kb', { reason: 'be nice' });
  assert.strictEqual(k.status, 200, k.text);
  const ko = await b.waitFor('kickout');
  assert.strictEqual(ko.data.code, 1002055);
  assert.deepStrictEqual(JSON.parse(ko.data.extended_data), { custom_kickout_message: 'be nice' });
  assert.strictEqual((await b.waitClose()).code, 4000);
  const del = await a.waitFor('room_stream_update', (d) => d.update_type === 'DELETE');
  assert.strictEqual(del.data.reason, 4);
  await a.waitFor('room_user_update', (d) => d.update_type === 'DELETE');
  // close the room
  const c = await Client.connect(srv);
  await c.login(srv, 'room-4', 'kc');
  await c.request('publish', { stream_id: 'kc-stream' });
  const close = await srv.admin('DELETE', '/v1/rooms/room-4', { reason: 'closing time' });
  assert.strictEqual(close.status, 200, close.text);
  assert.strictEqual(close.json.users_kicked, 2);
  for (const cl of [a, c]) {
    const e = await cl.waitFor('kickout');
    assert.strictEqual(e.data.code, 1002055);
    assert.strictEqual(e.data.cause, 'room_closed');
    assert.strictEqual(JSON.parse(e.data.extended_data).custom_kickout_message, 'closing time');
    await cl.waitClose();
  }
  assert.strictEqual((await srv.admin('GET', '/v1/rooms/room-4')).status, 404);
  assert.strictEqual((await srv.admin('GET', '/v1/rooms/room-4/streams')).status, 404);
});

test('admin stream removal gives DELETE code 6', async () => {
  const a = await Client.connect(srv);
  const b = await Client.connect(srv);
  await a.login(srv, 'room-5', 'ra');
  await b.login(srv, 'room-5', 'rb');
  await b.request('publish', { stream_id: 'rb-s' });
  await a.waitFor('room_stream_update');
  const list = await srv.admin('GET', '/v1/rooms/room-5/streams');
  assert.strictEqual(list.json.count, 1);
  assert.strictEqual(list.json.streams[0].user_id, 'rb');
  const r = await srv.admin('DELETE', '/v1/rooms/room-5/streams/rb-s', { reason: 'not allowed here' });
  assert.strictEqual(r.status, 200);
  const del = await a.waitFor('room_stream_update', (d) => d.update_type === 'DELETE');
  assert.strictEqual(del.data.reason, 6);
  const own = await b.waitFor('stream_removed');
  assert.deepStrictEqual(own.data, { room_id: 'room-5', stream_id: 'rb-s', code: 1003025, reason: 'not allowed here' });
  assert.strictEqual((await srv.admin('DELETE', '/v1/rooms/room-5/streams/rb-s')).status, 404);
  await a.request('logout'); await b.request('logout');
  a.close(); b.close();
});

test('a second login of the same userID kicks the older session (1002050)', async () => {
  const watcher = await Client.connect(srv);
  await watcher.login(srv, 'room-6', 'watcher');
  const old = await Client.connect(srv);
  await old.login(srv, 'room-6', 'dup');
  await old.request('publish', { stream_id: 'dup-s' });
  await watcher.waitFor('room_user_update', (d) => d.update_type === 'ADD');
  await watcher.waitFor('room_stream_update', (d) => d.update_type === 'ADD');
  const neu = await Client.connect(srv);
  const r = await neu.login(srv, 'room-6', 'dup');
  assert.strictEqual(r.ok, true);
  const ko = await old.waitFor('kickout');
  assert.strictEqual(ko.data.code, 1002050);
  await old.waitClose();
  const del = await watcher.waitFor('room_stream_update', (d) => d.update_type === 'DELETE');
  assert.strictEqual(del.data.reason, 3);
  await sleep(300);
  assert.ok(!watcher.events.some((e) => e.event === 'room_user_update'), 'the user stays in the room');
  const users = await srv.admin('GET', '/v1/rooms/room-6/users');
  assert.deepStrictEqual(users.json.users.map((u) => u.user_id), ['watcher', 'dup']);
  await neu.request('logout'); await watcher.request('logout');
  neu.close(); watcher.close();
});

test('limits: room full (1002034) and max rooms (1002001)', async () => {
  const cs = [];
  for (let i = 0; i < 3; i++) {
    const c = await Client.connect(srv);
    assert.strictEqual((await c.login(srv, 'full', `f${i}`)).ok, true);
    cs.push(c);
  }
  const extra = await Client.connect(srv);
  const r = await extra.login(srv, 'full', 'f3');
  assert.strictEqual(r.ok, false);
  assert.strictEqual(r.error.code, 1002034);
  // max_rooms 5: "full" plus four more rooms, the sixth is refused
  const more = [];
  const rooms = (await srv.admin('GET', '/v1/rooms')).json.count;
  for (let i = rooms; i < 5; i++) {
    const c = await Client.connect(srv);
    assert.strictEqual((await c.login(srv, `mr-${i}`, 'x')).ok, true);
    more.push(c);
  }
  const r2 = await extra.login(srv, 'one-too-many', 'y');
  assert.strictEqual(r2.error.code, 1002001);
  for (const c of [...cs, ...more]) { await c.request('logout'); c.close(); }
  extra.close();
});

test('bad IDs at login get ZEGO codes', async () => {
  const c = await Client.connect(srv);
  const cases = [
    ['', 'u', 1002011], ['r'.repeat(129), 'u', 1002013], ['bad room/', 'u', 1002012],
    ['r', '', 1002005], ['r', 'u'.repeat(65), 1002007], ['r', 'bad user', 1002006],
  ];
  for (const [room, user, code] of cases) {
    const r = await c.request('login', { room_id: room, token: 'x', user: { user_id: user } });
    assert.strictEqual(r.ok, false);
    assert.strictEqual(r.error.code, code, `${room}/${user}: ${JSON.stringify(r)}`);
  }
  c.close();
});
