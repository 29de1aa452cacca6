// Admin API: auth, error shapes, statuses, /healthz, /metrics, tokens, dev token.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { startServer, Client } = require('./lib/harness');

let srv;
before(async () => { srv = await startServer({ config: { http: { max_body_bytes: 1024 } } }); });
after(async () => { assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)'); });

function isError(r, status, code) {
  assert.strictEqual(r.status, status, r.text);
  assert.ok(r.json && r.json.error, r.text);
  assert.strictEqual(r.json.error.code, code, r.text);
  assert.strictEqual(typeof r.json.error.message, 'string');
}

test('every /v1 route needs the admin key and 401 reveals nothing', async () => {
  const c = await Client.connect(srv);
  await c.login(srv, 'secret-room', 'u1');
  for (const p of ['/v1/rooms', '/v1/rooms/secret-room', '/v1/rooms/nope', '/v1/rooms/secret-room/users',
    '/v1/rooms/nope/users/x', '/v1/tokens', '/v1/whatever']) {
    for (const auth of [undefined, 'Bearer wrong', 'Basic abc', 'Bearer ']) {
      const r = await fetch(srv.url + p, { headers: auth ? { authorization: auth } : {} });
      const body = await r.json();
      assert.strictEqual(r.status, 401, p);
      assert.strictEqual(body.error.code, 'unauthorized');
      assert.strictEqual(r.headers.get('www-authenticate'), 'Bearer realm="roomgate"');
    }
  }
  await c.request('logout');
  c.close();
});

test('statuses and error codes', async () => {
  isError(await srv.admin('GET', '/v1/rooms/none'), 404, 'room_not_found');
  isError(await srv.admin('GET', '/v1/nothing'), 404, 'not_found');
  const m = await srv.admin('PUT', '/v1/rooms');
  isError(m, 405, 'method_not_allowed');
  assert.strictEqual(m.headers.get('allow'), 'GET');
  isError(await srv.admin('POST', '/v1/tokens', 'user_id=x', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  isError(await srv.admin('POST', '/v1/tokens', '{"user_id":'), 400, 'bad_json');
  isError(await srv.admin('POST', '/v1/tokens', { user_id: 'x', colour: 'red' }), 422, 'invalid_field');
  const big = await srv.admin('POST', '/v1/tokens', { user_id: 'x'.repeat(2000) });
  isError(big, 413, 'too_large');
  const bad = await srv.admin('POST', '/v1/tokens', { user_id: 'x', ttl_s: -5 });
  isError(bad, 422, 'invalid_field');
  assert.match(bad.json.error.message, /ttl_s/);
  isError(await srv.admin('POST', '/v1/tokens', { user_id: 'bad user' }), 422, 'user_id_illegal');
  isError(await srv.admin('POST', '/v1/tokens', {}), 422, 'invalid_field');
  isError(await srv.admin('DELETE', '/v1/rooms/none', { reason: 5 }), 422, 'invalid_field');
  // auth comes first, even for oversized bodies
  const big401 = await fetch(srv.url + '/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: 'x'.repeat(3000) }) });
  assert.strictEqual(big401.status, 401);
  isError(await srv.admin('POST', '/v1/tokens', '{"user_id":"x"}', { 'content-type': 'application/jsonp' }), 415, 'unsupported_media_type');
  isError(await srv.admin('GET', '/v1/rooms/'), 404, 'not_found');
  isError(await srv.admin('GET', '/v1/rooms//users'), 404, 'not_found');
  isError(await fetch(srv.url + '/nowhere').then(async (r) => ({ status: r.status, text: '', json: await r.json() })), 404, 'not_found');
});

test('POST /v1/tokens makes tokens the server accepts, with their restrictions', async () => {
  const r = await srv.admin('POST', '/v1/tokens', { user_id: 'tk', room_id: 'tk-room', ttl_s: 120, can_publish: true, stream_ids: ['tk-s'] });
  assert.strictEqual(r.status, 200, r.text);
  assert.ok(r.json.expire > Date.now() / 1000 + 100 && r.json.expire < Date.now() / 1000 + 130);
  const c = await Client.connect(srv);
  assert.strictEqual((await c.login(srv, 'other-room', 'tk', { token: r.json.token })).error.code, 1102016);
  assert.strictEqual((await c.login(srv, 'tk-room', 'tk', { token: r.json.token })).ok, true);
  assert.strictEqual((await c.request('publish', { stream_id: 'nope' })).error.code, 1002082);
  assert.strictEqual((await c.request('publish', { stream_id: 'tk-s' })).ok, true);
  const s = await srv.admin('GET', '/v1/rooms/tk-room/streams/tk-s');
  assert.strictEqual(s.json.user_id, 'tk');
  const u = await srv.admin('GET', '/v1/rooms/tk-room/users/tk');
  assert.deepStrictEqual(u.json.streams, ['tk-s']);
  const h = await fetch(srv.url + '/healthz').then((x) => x.json());
  assert.strictEqual(h.status, 'ok');
  assert.ok(h.rooms >= 1 && h.users >= 1 && h.streams >= 1 && typeof h.uptime_s === 'number' && h.version);
  await c.request('logout');
  c.close();
});

test('room IDs with reserved URL characters are reachable percent-encoded', async () => {
  const room = "a#b%c&d'e";
  const c = await Client.connect(srv);
  assert.strictEqual((await c.login(srv, room, 'pct')).ok, true);
  const r = await srv.admin('GET', '/v1/rooms/' + encodeURIComponent(room));
  assert.strictEqual(r.status, 200, r.text);
  assert.strictEqual(r.json.room_id, room);
  await c.request('logout');
  c.close();
});

test('/metrics is Prometheus text with the documented series', async () => {
  const r = await fetch(srv.url + '/metrics');
  assert.strictEqual(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/plain; version=0.0.4/);
  const t = await r.text();
  for (const name of ['roomgate_rooms', 'roomgate_users', 'roomgate_streams', 'roomgate_websocket_connections',
    'roomgate_logins_total', 'roomgate_http_requests_total', 'process_cpu_seconds_total', 'process_resident_memory_bytes']) {
    assert.match(t, new RegExp(`^# TYPE ${name} `, 'm'), name);
  }
  assert.match(t, /roomgate_http_requests_total\{route="rooms",status="401"\} \d+/);
  assert.match(t, /roomgate_http_requests_total\{route="healthz",status="200"\} \d+/);
  for (const line of t.split('\n').filter((l) => l && !l.startsWith('#'))) {
    assert.match(line, /^[a-z_][a-z0-9_]*(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [0-9.e+-]+$/, line);
  }
});

test('/dev/token serves loopback clients when enabled, 404 otherwise', async () => {
  const r = await fetch(srv.url + '/dev/token?user_id=dev1&room_id=dev-room').then((x) => x.json());
  const c = await Client.connect(srv);
  assert.strictEqual((await c.login(srv, 'dev-room', 'dev1', { token: r.token })).ok, true);
  await c.request('logout');
  c.close();
  const bad = await fetch(srv.url + '/dev/token?user_id=bad%20user');
  assert.strictEqual(bad.status, 422);
  const proxied = await fetch(srv.url + '/dev/token?user_id=dev1', { headers: { 'x-forwarded-for': '203.0.113.9' } });
  assert.strictEqual(proxied.status, 404, 'a request forwarded by a local proxy is not local');
  const off = await startServer({ config: { dev_token_endpoint: false } });
  try {
    assert.strictEqual((await fetch(off.url + '/dev/token?user_id=x')).status, 404);
  } finally {
    assert.strictEqual(await off.stop(), 0);
  }
});
