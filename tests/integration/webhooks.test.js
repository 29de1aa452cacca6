// Webhooks: the real server POSTs signed events to local HTTP receivers.
// Endpoint 0 takes every event, endpoint 1 a filter, endpoints 2 and 3
// point at a closed port (the receiver is down): 2 with a small queue and
// quick retries, 3 with retries that outlast the shutdown grace.
'use strict';
const { test, before, after } = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const http = require('node:http');
const { startServer, Client, sleep } = require('./lib/harness');

const SECRET0 = 'whsec-0-0123456789abcdef';
const SECRET1 = 'whsec-1-fedcba9876543210';

// A receiver that records every request; respondWith(request), when set,
// picks the status (default 200).
async function startReceiver() {
  const rx = { requests: [], respondWith: null };
  rx.server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const r = { at: Date.now(), method: req.method, url: req.url, headers: req.headers, body, json: JSON.parse(body) };
      const status = rx.respondWith ? rx.respondWith(r) : 200;
      r.ok = status >= 200 && status < 300;
      rx.requests.push(r);
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(status < 300 ? 'ok' : 'try again');
    });
  });
  await new Promise((r) => rx.server.listen(0, '127.0.0.1', r));
  rx.port = rx.server.address().port;
  rx.url = `http://127.0.0.1:${rx.port}/hook`;
  rx.close = () => new Promise((r) => { rx.server.closeAllConnections(); rx.server.close(r); });
  // Delivered events (2xx answers) for one room, in arrival order.
  rx.delivered = (room) => rx.requests.filter((r) => r.ok && r.json.data.room_id === room);
  return rx;
}

// A port with nothing listening.
async function deadPort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// The documented receiver check (docs/webhooks.md).
function verify(secret, headers, rawBody, toleranceS = 300) {
  const ts = headers['x-roomgate-timestamp'];
  const sig = headers['x-roomgate-signature'] || '';
  if (!/^\d+$/.test(ts || '') || Math.abs(Date.now() / 1000 - Number(ts)) > toleranceS) return false;
  const expected = 'v1=' + crypto.createHmac('sha256', secret).update(`${ts}.${rawBody}`).digest('hex');
  return sig.length === expected.length && crypto.timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
}

async function waitUntil(pred, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function metrics(srv) {
  return fetch(srv.url + '/metrics').then((r) => r.text());
}

function metric(text, name, labels) {
  const re = new RegExp(`^${name}\\{${labels.replace(/[{}]/g, '')}\\} (\\d+)$`, 'm');
  const m = re.exec(text);
  return m ? Number(m[1]) : null;
}

let srv, rx0, rx1, dead;
before(async () => {
  rx0 = await startReceiver();
  rx1 = await startReceiver();
  dead = await deadPort();
  srv = await startServer({
    config: {
      webhooks: [
        { url: rx0.url + '?token=query-secret', secret: SECRET0, backoff_ms: 500, max_backoff_ms: 4000, max_attempts: 5 },
        { url: rx1.url, secret: SECRET1, events: ['room.*', 'user.left'] },
        { url: `http://127.0.0.1:${dead}/down`, secret: SECRET0, events: ['room.*'], backoff_ms: 300,
          max_backoff_ms: 600, max_attempts: 3, queue: 2, timeout_ms: 2000 },
        // down too, and waiting longer than the shutdown grace
        { url: `http://127.0.0.1:${dead}/later`, secret: SECRET0, events: ['room.closed'], backoff_ms: 10000,
          max_attempts: 10 },
      ],
      log: { level: 'info,webhook=debug' },
    },
  });
});
after(async () => {
  const t0 = Date.now();
  assert.strictEqual(await srv.stop(), 0, 'server exit code (leaks/UB give non-zero)');
  // pending deliveries get a bounded grace (2 s), then are dropped and logged
  assert.ok(Date.now() - t0 < 12000, `shutdown took ${Date.now() - t0} ms`);
  assert.match(srv.log(), /webhook 3 \(http:\/\/127\.0\.0\.1:\d+\/later\): \d+ events not delivered at shutdown/);
  await rx0.close();
  await rx1.close();
});

test('a login/publish/logout sequence arrives signed, in order, with unique ids', async () => {
  const a = await Client.connect(srv);
  assert.strictEqual((await a.login(srv, 'wh-1', 'alice', { userName: 'Alice' })).ok, true);
  assert.strictEqual((await a.request('publish', { stream_id: 'wh-s1', extra_info: 'mic' })).ok, true);
  assert.strictEqual((await a.request('stop_publish', { stream_id: 'wh-s1' })).ok, true);
  assert.strictEqual((await a.request('publish', { stream_id: 'wh-s2' })).ok, true);
  await a.request('logout');
  a.close();
  const want = ['room.created', 'user.joined', 'stream.added', 'stream.removed', 'stream.added',
    'stream.removed', 'user.left', 'room.closed'];
  const got = await waitUntil(() => {
    const d = rx0.delivered('wh-1');
    return d.length >= want.length && d;
  }, 20000, 'the events of room wh-1 at receiver 0').catch((e) => {
    throw new Error(`${e.message}; got ${JSON.stringify(rx0.requests.map((r) => r.json.type))}\n${srv.log().slice(-3000)}`);
  });
  assert.deepStrictEqual(got.map((r) => r.json.type), want);
  const ids = new Set();
  for (const r of got) {
    assert.strictEqual(r.method, 'POST');
    assert.strictEqual(r.url, '/hook?token=query-secret');
    assert.ok(verify(SECRET0, r.headers, r.body), `bad signature on ${r.body}`);
    assert.ok(!verify(SECRET1, r.headers, r.body), 'the signature depends on the secret');
    assert.ok(!verify(SECRET0, r.headers, r.body + ' '), 'the signature covers the body');
    assert.strictEqual(r.headers['content-type'], 'application/json');
    assert.strictEqual(r.headers['x-roomgate-event'], r.json.type);
    assert.strictEqual(r.headers['x-roomgate-delivery'], r.json.id);
    assert.strictEqual(r.headers['x-roomgate-attempt'], '1');
    assert.match(r.json.id, /^[0-9a-f]{32}$/);
    ids.add(r.json.id);
    assert.ok(Math.abs(r.json.timestamp - Date.now()) < 60000, `timestamp ${r.json.timestamp}`);
    assert.ok(Math.abs(Number(r.headers['x-roomgate-timestamp']) * 1000 - r.json.timestamp) < 60000);
    assert.deepStrictEqual(Object.keys(r.json).sort(), ['data', 'id', 'timestamp', 'type']);
  }
  assert.strictEqual(ids.size, got.length, 'ids are unique');
  for (let i = 1; i < got.length; i++) assert.ok(got[i].json.timestamp >= got[i - 1].json.timestamp);
  const [created, joined, added, removed, , , left, closed] = got.map((r) => r.json.data);
  assert.deepStrictEqual(created, { room_id: 'wh-1' });
  assert.deepStrictEqual(joined, { room_id: 'wh-1', user_id: 'alice', user_name: 'Alice', kind: 'client' });
  assert.deepStrictEqual(added, { room_id: 'wh-1', user_id: 'alice', user_name: 'Alice', kind: 'client', stream_id: 'wh-s1', extra_info: 'mic' });
  assert.strictEqual(removed.stream_id, 'wh-s1');
  assert.strictEqual(removed.reason, 1);
  assert.strictEqual(removed.reason_text, 'user stopped publishing');
  assert.ok(removed.duration_ms >= 0);
  assert.strictEqual(left.user_id, 'alice');
  assert.strictEqual(left.reason, 1);
  assert.strictEqual(closed.reason, 'empty');
  assert.ok(closed.duration_ms >= 0);
  // endpoint 1 gets only what its filter asks for, signed with its own secret
  const got1 = await waitUntil(() => {
    const d = rx1.delivered('wh-1');
    return d.length >= 3 && d;
  }, 20000, 'the events of room wh-1 at receiver 1');
  assert.deepStrictEqual(got1.map((r) => r.json.type), ['room.created', 'user.left', 'room.closed']);
  for (const r of got1) assert.ok(verify(SECRET1, r.headers, r.body));
  assert.strictEqual(got1[0].json.id, got[0].json.id, 'one event, one id on every endpoint');
  // secrets appear neither in the log nor in /metrics
  const m = await metrics(srv);
  for (const text of [srv.log(), m]) {
    assert.ok(!text.includes(SECRET0) && !text.includes(SECRET1) && !text.includes('query-secret'));
  }
  assert.match(m, new RegExp(`roomgate_webhook_endpoint_info\\{endpoint="0",url="http://127.0.0.1:${rx0.port}/hook"\\} 1`));
  for (const line of m.split('\n').filter((l) => l.startsWith('roomgate_webhook'))) {
    assert.match(line, /^[a-z_]+\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\} [0-9]+$/, line);
  }
});

test('kicks, admin room close and duplicate logins carry their reasons', async () => {
  const a = await Client.connect(srv);
  const b = await Client.connect(srv);
  await a.login(srv, 'wh-2', 'ka');
  await b.login(srv, 'wh-2', 'kb');
  await b.request('publish', { stream_id: 'wh-kb' });
  assert.strictEqual((await srv.admin('DELETE', '/v1/rooms/wh-2/users/kb', { reason: 'be nice' })).status, 200);
  await b.waitClose();
  // the same user logging in again takes over: no user.left / user.joined
  const a2 = await Client.connect(srv);
  await a2.login(srv, 'wh-2', 'ka');
  await a.waitClose();
  assert.strictEqual((await srv.admin('DELETE', '/v1/rooms/wh-2', { reason: 'closing time' })).status, 200);
  await a2.waitClose();
  const want = ['room.created', 'user.joined', 'user.joined', 'stream.added', 'stream.removed', 'user.left',
    'user.left', 'room.closed'];
  const got = await waitUntil(() => {
    const d = rx0.delivered('wh-2');
    return d.length >= want.length && d;
  }, 20000, 'the events of room wh-2').catch((e) => {
    throw new Error(`${e.message}; got ${JSON.stringify(rx0.delivered('wh-2').map((r) => r.json.type))}`);
  });
  assert.deepStrictEqual(got.map((r) => r.json.type), want);
  const d = got.map((r) => r.json.data);
  assert.deepStrictEqual([d[4].stream_id, d[4].reason, d[4].reason_text], ['wh-kb', 4, 'kicked out']);
  assert.deepStrictEqual([d[5].user_id, d[5].reason], ['kb', 4]);
  assert.deepStrictEqual([d[6].user_id, d[6].reason], ['ka', 6]);
  assert.deepStrictEqual([d[7].reason, d[7].message], ['closed', 'closing time']);
});

test('a receiver answering 500 twice gets the event on the 3rd attempt, later events wait', async () => {
  let failures = 0;
  rx0.respondWith = (r) => (r.json.data.room_id === 'wh-3' && r.json.type === 'room.created' && failures++ < 2 ? 500 : 200);
  const a = await Client.connect(srv);
  await a.login(srv, 'wh-3', 'retry-user');
  await a.request('logout');
  a.close();
  const all = () => rx0.requests.filter((r) => r.json.data.room_id === 'wh-3');
  await waitUntil(() => rx0.delivered('wh-3').length >= 4, 30000, 'the events of room wh-3').catch((e) => {
    throw new Error(`${e.message}; got ${JSON.stringify(all().map((r) => [r.json.type, r.ok]))}`);
  });
  rx0.respondWith = null;
  const tries = all().filter((r) => r.json.type === 'room.created');
  assert.strictEqual(tries.length, 3);
  assert.deepStrictEqual(tries.map((r) => r.headers['x-roomgate-attempt']), ['1', '2', '3']);
  assert.deepStrictEqual(tries.map((r) => r.ok), [false, false, true]);
  assert.strictEqual(new Set(tries.map((r) => r.json.id)).size, 1, 'one delivery id for every attempt');
  assert.strictEqual(new Set(tries.map((r) => r.body)).size, 1, 'the same body every time');
  for (const r of tries) assert.ok(verify(SECRET0, r.headers, r.body));
  // backoff 500 ms, then 1000 ms (timers never fire early; the machine may be slow)
  const gap1 = tries[1].at - tries[0].at, gap2 = tries[2].at - tries[1].at;
  assert.ok(gap1 >= 450, `first wait ${gap1} ms`);
  assert.ok(gap2 >= 950, `second wait ${gap2} ms`);
  // per-endpoint order: the next event went out only after the 3rd attempt succeeded
  assert.deepStrictEqual(all().map((r) => r.json.type),
    ['room.created', 'room.created', 'room.created', 'user.joined', 'user.left', 'room.closed']);
  const m = await metrics(srv);
  assert.ok(metric(m, 'roomgate_webhook_retries_total', 'endpoint="0"') >= 2, m);
});

test('with the receiver down: retries, gives up, counts overflow, and the server stays healthy', async () => {
  const m0 = await metrics(srv);
  const failed0 = metric(m0, 'roomgate_webhook_deliveries_total', 'endpoint="2",result="failed"');
  const retries0 = metric(m0, 'roomgate_webhook_retries_total', 'endpoint="2"');
  const overflow0 = metric(m0, 'roomgate_webhook_dropped_total', 'endpoint="2",reason="overflow"');
  const logAt = srv.log().length;
  // six rooms in quick succession: endpoint 2 (queue 2) holds each event about 1 s
  const clients = [];
  for (let i = 0; i < 6; i++) clients.push(await Client.connect(srv));
  await Promise.all(clients.map((c, i) => c.login(srv, `wh-down-${i}`, `d${i}`)));
  await Promise.all(clients.map((c) => c.request('logout')));
  clients.forEach((c) => c.close());
  const m = await waitUntil(async () => {
    const t = await metrics(srv);
    return metric(t, 'roomgate_webhook_deliveries_total', 'endpoint="2",result="failed"') >= failed0 + 2 && t;
  }, 30000, 'endpoint 2 to give up two more events');
  // (the first may have been half-way through its attempts; the second was retried twice)
  assert.ok(metric(m, 'roomgate_webhook_retries_total', 'endpoint="2"') >= retries0 + 2, m);
  assert.strictEqual(metric(m, 'roomgate_webhook_deliveries_total', 'endpoint="2",result="delivered"'), 0);
  assert.ok(metric(m, 'roomgate_webhook_dropped_total', 'endpoint="2",reason="overflow"') >= overflow0 + 1, m);
  assert.ok(metric(m, 'roomgate_webhook_queue_depth', 'endpoint="2"') <= 2, m);
  const log = srv.log().slice(logAt);
  assert.match(log, /webhook 2 \(http:\/\/127\.0\.0\.1:\d+\/down\): gave up room\.created [0-9a-f]{32} after 3 attempts/);
  // a full queue is logged (at most every 10 s per endpoint)
  assert.match(srv.log(), /webhook 2 \(http:\/\/127\.0\.0\.1:\d+\/down\): queue full/);
  // the other endpoints and the server are unaffected
  const h = await fetch(srv.url + '/healthz').then((r) => r.json());
  assert.strictEqual(h.status, 'ok');
  const c = await Client.connect(srv);
  const r = await c.login(srv, 'wh-after', 'still-here');
  assert.strictEqual(r.ok, true, JSON.stringify(r));
  await waitUntil(() => rx0.delivered('wh-after').length >= 2, 20000, 'receiver 0 still served');
  await c.request('logout');
  c.close();
});

test('one endpoint from ROOMGATE_WEBHOOK_URL / _SECRET / _EVENTS', async () => {
  const rx = await startReceiver();
  const secret = 'whsec-env-0123456789abcdef';
  const s2 = await startServer({
    env: { ROOMGATE_WEBHOOK_URL: rx.url, ROOMGATE_WEBHOOK_SECRET: secret, ROOMGATE_WEBHOOK_EVENTS: 'user.*' },
  });
  try {
    const c = await Client.connect(s2);
    await c.login(s2, 'wh-env', 'envy');
    await c.request('logout');
    c.close();
    const got = await waitUntil(() => {
      const d = rx.delivered('wh-env');
      return d.length >= 2 && d;
    }, 20000, 'the events of room wh-env');
    assert.deepStrictEqual(got.map((r) => r.json.type), ['user.joined', 'user.left']);
    for (const r of got) assert.ok(verify(secret, r.headers, r.body));
    assert.ok(!s2.log().includes(secret));
  } finally {
    assert.strictEqual(await s2.stop(), 0);
    await rx.close();
  }
});
