// Every token04 rejection at login, privileges at publish, renew_token.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const { startServer, Client, SECRET, APP_ID } = require('./lib/harness');
const tok = require('./lib/token04');

let srv;
before(async () => { srv = await startServer(); });
after(async () => { assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)'); });

const now = () => Math.floor(Date.now() / 1000);

async function tryLogin(token, { room = 'tok', user = 'tu' } = {}) {
  const c = await Client.connect(srv);
  const r = await c.request('login', { room_id: room, token, user: { user_id: user } });
  if (r.ok) await c.request('logout');
  c.close();
  return r;
}

test('valid tokens: CLI (GCM), node GCM and legacy CBC are accepted', async () => {
  assert.strictEqual((await tryLogin(srv.token('tu'))).ok, true);
  assert.strictEqual((await tryLogin(tok.make({ appId: APP_ID, userId: 'tu', secret: SECRET }))).ok, true);
  assert.strictEqual((await tryLogin(tok.make({ appId: APP_ID, userId: 'tu', secret: SECRET, mode: 'cbc' }))).ok, true);
});

test('each rejection has its ZEGO code and a message naming the token', async () => {
  const base = { appId: APP_ID, userId: 'tu', secret: SECRET };
  const good = tok.make(base);
  const flipped = Buffer.from(good.slice(2), 'base64');
  flipped[30] ^= 1;
  const cases = [
    ['wrong user', tok.make({ ...base, userId: 'someone' }), 1002077],
    ['expired', tok.make({ ...base, ctime: now() - 7200, expire: now() - 10 }), 1102018],
    ['other app', tok.make({ ...base, appId: APP_ID + 1 }), 1102016],
    ['other secret', tok.make({ ...base, secret: 'ffffffffffffffffffffffffffffffff' }), 1102016],
    ['flipped byte', '04' + flipped.toString('base64'), 1102016],
    ['not base64', '04@@@@', 1102016],
    ['wrong prefix', '03' + good.slice(2), 1102016],
    ['truncated', good.slice(0, 40), 1102016],
    ['empty', '', 1102016],
    ['header/JSON expire differ', tok.make({ ...base, headerExpire: now() + 99999 }), 1102016],
    ['not JSON inside', tok.make({ ...base, raw: 'hello' }), 1102016],
    ['other room', tok.make({ ...base, payload: tok.payload({ room: 'elsewhere' }) }), 1102016],
    ['no login privilege', tok.make({ ...base, payload: tok.payload({ login: 0 }) }), 1102016],
    ['bad payload', tok.make({ ...base, payload: '{"privilege":7}' }), 1102016],
  ];
  for (const [what, token, code] of cases) {
    const r = await tryLogin(token);
    assert.strictEqual(r.ok, false, what);
    assert.strictEqual(r.error.code, code, `${what}: ${JSON.stringify(r)}`);
    assert.match(r.error.message, /token/, what);
  }
  const m = await fetch(srv.url + '/metrics').then((x) => x.text());
  assert.match(m, /roomgate_logins_total\{result="token_expired"\} [1-9]/);
  assert.match(m, /roomgate_logins_total\{result="token_user_mismatch"\} [1-9]/);
  assert.match(m, /roomgate_logins_total\{result="token_invalid"\} [1-9]/);
  assert.match(m, /roomgate_logins_total\{result="ok"\} [1-9]/);
});

test('legacy CBC tokens can be switched off', async () => {
  const s2 = await startServer({ config: { legacy_cbc_tokens: false } });
  try {
    const c = await Client.connect(s2);
    const cbc = tok.make({ appId: APP_ID, userId: 'tu', secret: SECRET, mode: 'cbc' });
    const r = await c.request('login', { room_id: 'tok', token: cbc, user: { user_id: 'tu' } });
    assert.strictEqual(r.error.code, 1102016);
    assert.match(r.error.message, /CBC/);
    const gcm = tok.make({ appId: APP_ID, userId: 'tu', secret: SECRET });
    assert.strictEqual((await c.request('login', { room_id: 'tok', token: gcm, user: { user_id: 'tu' } })).ok, true);
    c.close();
  } finally {
    assert.strictEqual(await s2.stop(), 0);
  }
});

test('room-bound token works for its room only', async () => {
  const t = tok.make({ appId: APP_ID, userId: 'tu', secret: SECRET, payload: tok.payload({ room: 'tok' }) });
  assert.strictEqual((await tryLogin(t)).ok, true);
  assert.strictEqual((await tryLogin(t, { room: 'tok2' })).error.code, 1102016);
});

test('publish privileges: no publish (1103019), stream list (1002082)', async () => {
  const c = await Client.connect(srv);
  await c.login(srv, 'priv', 'p1', { token: srv.token('p1', { noPublish: true }) });
  const r = await c.request('publish', { stream_id: 'p1-s' });
  assert.strictEqual(r.error.code, 1103019);
  await c.request('logout');
  const t = tok.make({ appId: APP_ID, userId: 'p1', secret: SECRET, payload: tok.payload({ streams: ['allowed-1'] }) });
  await c.login(srv, 'priv', 'p1', { token: t });
  assert.strictEqual((await c.request('publish', { stream_id: 'other-1' })).error.code, 1002082);
  assert.strictEqual((await c.request('publish', { stream_id: 'allowed-1' })).ok, true);
  await c.request('logout');
  c.close();
});

test('renew_token: same user accepted, another user refused', async () => {
  const c = await Client.connect(srv);
  await c.login(srv, 'renew', 'r1', { token: srv.token('r1', { ttl: 60 }) });
  const ok = await c.request('renew_token', { token: srv.token('r1', { ttl: 7200 }) });
  assert.strictEqual(ok.ok, true);
  assert.ok(ok.data.token_expire > now() + 7000);
  const bad = await c.request('renew_token', { token: srv.token('r2') });
  assert.strictEqual(bad.error.code, 1002077);
  await c.request('logout');
  c.close();
});

test('login attempts per IP are limited', async () => {
  const s2 = await startServer({ config: { limits: { login_attempts_per_ip_per_s: 3 } } });
  try {
    const c = await Client.connect(s2);
    const results = [];
    for (let i = 0; i < 6; i++) {
      results.push(await c.request('login', { room_id: 'rl', token: 'bad', user: { user_id: 'x' } }));
    }
    const limited = results.filter((r) => r.error && r.error.name === 'rate_limited');
    assert.ok(limited.length >= 2, JSON.stringify(results.map((r) => r.error.name)));
    c.close();
  } finally {
    assert.strictEqual(await s2.stop(), 0);
  }
});
