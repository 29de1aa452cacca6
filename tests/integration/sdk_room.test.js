// The web SDK (web/sdk/roomgate-web.js and .mjs) in headless Chromium against
// the real server: login, users, streams, counts, errors, kickout, reconnect
// (resume and login again), logout, token expiry, and the demo page.
// Media (WebRTC) is not covered here: the server's media plane is not in yet.
'use strict';
const { test, describe, before, after } = require('node:test');
const assert = require('node:assert');
const { startServer, Client, sleep, APP_ID } = require('./lib/harness');
const B = require('./lib/browser');

let srv;
let web;
let chrome;
let proxy;
const openPages = new Set();

before(async () => {
  web = B.makeWebRoot();
  srv = await startServer({
    config: {
      http: { web_root: web.dir },
      // the heartbeat timeout outlasts the offline test's 4 s; the grace period is short
      session: { heartbeat_interval_ms: 1000, heartbeat_timeout_ms: 8000, resume_grace_ms: 3000 },
    },
  });
  proxy = await new B.TcpProxy(srv.port).start();
  chrome = await B.launchBrowser();
});

after(async () => {
  for (const p of openPages) await B.closePage(p);
  if (chrome) await chrome.close();
  if (proxy) await proxy.stop();
  const code = srv ? await srv.stop() : 0;
  if (web) web.remove();
  assert.strictEqual(code, 0, 'server exit code (leaks/UB give non-zero)');
});

// A test with a time bound that prints what every open page saw when it fails
// and closes the pages it opened.
function ptest(name, fn, timeout = 60000) {
  test(name, { timeout }, async () => {
    const mine = [];
    const ctx = {
      async page(kind, label, server) {
        const p = await B.openPage(chrome.browser, srv, kind, label);
        openPages.add(p);
        mine.push(p);
        await p.evaluate(([appID, url]) => window.rg.create(appID, url), [APP_ID, server || srv.wsUrl]);
        return p;
      },
    };
    try {
      await B.explain(() => mine, () => fn(ctx));
    } finally {
      for (const p of mine) { await B.closePage(p); openPages.delete(p); }
    }
  });
}

function login(page, room, userID, { token, userUpdate = true, userName } = {}) {
  return page.evaluate(([r, t, u, n, uu]) => window.rg.login(r, t, { userID: u, userName: n }, { userUpdate: uu }),
    [room, token || srv.token(userID), userID, userName || `N-${userID}`, userUpdate]);
}

// A raw protocol client (lib/harness.js) that keeps its session alive.
async function rawClient() {
  const c = await Client.connect(srv);
  const t = setInterval(() => { if (!c.closed) c.request('heartbeat').catch(() => {}); }, 700);
  t.unref();
  c.closedPromise.then(() => clearInterval(t));
  const close = c.close.bind(c);
  c.close = () => { clearInterval(t); close(); };
  return c;
}

const names = (evs) => evs.map((e) => e.name);
async function eventNames(page, only) {
  const evs = await B.eventsOf(page);
  return names(evs.filter((e) => !only || only.includes(e.name)));
}
const stateArgs = (evs, name) => evs.filter((e) => e.name === name).map((e) => e.args.slice(1, 3));

const STREAM_SHAPE = (streamID, userID, userName, extraInfo) => ({
  streamID, user: { userID, userName }, extraInfo,
  urlsFLV: [], urlsRTMP: [], urlsHLS: [], urlsHttpsFLV: [], urlsHttpsHLS: [],
});

async function logout(page, room) {
  await page.evaluate((r) => window.rg.engine.logoutRoom(r), room);
  await B.waitEvent(page, 'roomStateChanged', [room, 'LOGOUT', 0]);
}

for (const kind of ['classic', 'module']) {
  describe(`SDK loaded as ${kind === 'classic' ? 'a classic script' : 'an ES module'}`, () => {
    const R = (s) => `${kind}-${s}`;

    ptest('the SDK loads and detects the browser', async (t) => {
      const a = await t.page(kind, 'a');
      const info = await a.evaluate(() => ({
        loadedAs: window.rg.loadedAs,
        defaultExportSame: window.rg.defaultExportSame,
        version: window.RG_Engine.getVersion(),
        global: typeof window.ZegoExpressEngine,
      }));
      assert.strictEqual(info.loadedAs, kind);
      if (kind === 'module') assert.strictEqual(info.defaultExportSame, true, 'default export is the named export');
      assert.match(info.version, /^roomgate-web-/);
      const caps = await a.evaluate(() => window.rg.engine.checkSystemRequirements());
      assert.strictEqual(caps.webRTC, true);
      assert.strictEqual(caps.microphone, true, JSON.stringify(caps));
      assert.strictEqual(caps.camera, true, JSON.stringify(caps)); // Chromium's fake devices
      assert.strictEqual(caps.customCapture, true);
      assert.strictEqual(typeof caps.screenSharing, 'boolean');
      assert.deepStrictEqual(Object.keys(caps.videoCodec).sort(), ['H264', 'H265', 'VP8', 'VP9']);
      assert.strictEqual(caps.videoCodec.VP8, true);
      assert.deepStrictEqual(caps.errInfo, caps.screenSharing ? {} : { screenSharing: caps.errInfo.screenSharing });
      const single = await a.evaluate(() => window.rg.engine.checkSystemRequirements('webRTC'));
      assert.deepStrictEqual(single, { result: true, errInfo: {} });
    });

    ptest('two pages log in to one room and see each other; logout', async (t) => {
      const room = R('two');
      const a = await t.page(kind, 'alice');
      const ra = await login(a, room, 'alice');
      assert.deepStrictEqual(ra, { ok: true, value: true });
      const ea = await B.eventsOf(a);
      assert.deepStrictEqual(stateArgs(ea, 'roomStateChanged'), [['LOGINING', 0], ['LOGINED', 0]]);
      assert.deepStrictEqual(stateArgs(ea, 'roomStateUpdate'), [['CONNECTING', 0], ['CONNECTED', 0]]);
      await B.waitEvent(a, 'roomOnlineUserCountUpdate', [room, 1]);

      const b = await t.page(kind, 'bob');
      assert.deepStrictEqual(await login(b, room, 'bob', { userName: 'Bob' }), { ok: true, value: true });
      const add = await B.waitEvent(a, 'roomUserUpdate', [room, 'ADD', [{ userID: 'bob' }]]);
      assert.deepStrictEqual(add, [room, 'ADD', [{ userID: 'bob', userName: 'Bob' }]]);
      // b learns about alice from the login snapshot, after loginRoom resolved
      const existing = await B.waitEvent(b, 'roomUserUpdate', [room, 'ADD']);
      assert.deepStrictEqual(existing, [room, 'ADD', [{ userID: 'alice', userName: 'N-alice' }]]);
      const order = await eventNames(b, ['loginResolved', 'roomUserUpdate']);
      assert.deepStrictEqual(order, ['loginResolved', 'roomUserUpdate']);
      await B.waitEvent(a, 'roomOnlineUserCountUpdate', [room, 2]);
      await B.waitEvent(b, 'roomOnlineUserCountUpdate', [room, 2]);
      const info = await b.evaluate(() => window.rg.engine.getRoomInfo());
      assert.strictEqual(info.state, 'logined');
      assert.deepStrictEqual(info.users.map((u) => u.userID), ['alice']);

      await logout(b, room);
      const eb = await B.eventsOf(b);
      assert.deepStrictEqual(stateArgs(eb, 'roomStateUpdate').pop(), ['DISCONNECTED', 0]);
      const del = await B.waitEvent(a, 'roomUserUpdate', [room, 'DELETE']);
      assert.deepStrictEqual(del, [room, 'DELETE', [{ userID: 'bob', userName: 'Bob' }]]);
      await B.waitEvent(a, 'roomOnlineUserCountUpdate', [room, 1]);
      const users = await srv.admin('GET', `/v1/rooms/${room}/users`);
      assert.deepStrictEqual(users.json.users.map((u) => u.user_id), ['alice']);
      await logout(a, room);
      assert.strictEqual((await srv.admin('GET', `/v1/rooms/${room}`)).status, 404, 'room gone after the last logout');
    });

    ptest('without userUpdate no roomUserUpdate fires', async (t) => {
      const room = R('quiet');
      const a = await t.page(kind, 'quiet-a');
      await login(a, room, 'qa', { userUpdate: false });
      const b = await t.page(kind, 'quiet-b');
      await login(b, room, 'qb', { userUpdate: false });
      await B.waitEvent(a, 'roomOnlineUserCountUpdate', [room, 2]);
      await sleep(300);
      assert.deepStrictEqual(await B.events(a, 'roomUserUpdate'), []);
      assert.deepStrictEqual(await B.events(b, 'roomUserUpdate'), []);
      await logout(a, room);
      await logout(b, room);
    });

    ptest('login errors reach the page with ZEGO codes', async (t) => {
      const room = R('errors');
      const a = await t.page(kind, 'err');
      // a token made for another user
      const wrong = await login(a, room, 'alice', { token: srv.token('mallory') });
      assert.strictEqual(wrong.ok, false);
      assert.strictEqual(wrong.error.code, 1002077, JSON.stringify(wrong));
      assert.strictEqual(typeof wrong.error.msg, 'string');
      await B.waitEvent(a, 'roomStateChanged', [room, 'LOGIN_FAILED', 1002077]);
      await B.waitEvent(a, 'roomStateUpdate', [room, 'DISCONNECTED', 1002077]);
      // a token that is not one
      const bad = await login(a, room, 'alice', { token: '04AAAAAAAAAAAA' });
      assert.strictEqual(bad.error.code, 1102016, JSON.stringify(bad));
      await B.waitEvent(a, 'roomStateChanged', [room, 'LOGIN_FAILED', 1102016]);
      // an illegal room ID, checked by the server
      const ill = await login(a, 'bad room!', 'alice');
      assert.strictEqual(ill.error.code, 1002012, JSON.stringify(ill));
      // the same engine can still log in
      assert.deepStrictEqual(await login(a, room, 'alice'), { ok: true, value: true });
      const ev = await B.eventsOf(a);
      assert.deepStrictEqual(stateArgs(ev, 'roomStateChanged').map((x) => x[0]),
        ['LOGINING', 'LOGIN_FAILED', 'LOGINING', 'LOGIN_FAILED', 'LOGINING', 'LOGIN_FAILED', 'LOGINING', 'LOGINED']);
      // a second login while in a room is refused locally
      const twice = await login(a, room, 'alice');
      assert.strictEqual(twice.error.code, 1002001);
      await logout(a, room);
    });

    ptest('roomStreamUpdate from a raw protocol client: ADD, snapshot, DELETE reasons', async (t) => {
      const room = R('streams');
      const sid = R('raw-mic');
      const a = await t.page(kind, 'watcher');
      await login(a, room, 'watcher');
      const c = await rawClient();
      try {
        assert.strictEqual((await c.login(srv, room, 'raw')).ok, true);
        const p = await c.request('publish', { stream_id: sid, extra_info: '{"mic":true}' });
        assert.strictEqual(p.ok, true, JSON.stringify(p));
        const add = await B.waitEvent(a, 'roomStreamUpdate', [room, 'ADD', [{ streamID: sid }]]);
        assert.deepStrictEqual(add, [room, 'ADD', [STREAM_SHAPE(sid, 'raw', 'name-raw', '{"mic":true}')], '']);

        // a late joiner gets the current streams after loginRoom resolved
        const b = await t.page(kind, 'late');
        await login(b, room, 'late');
        const snap = await B.waitEvent(b, 'roomStreamUpdate', [room, 'ADD']);
        assert.deepStrictEqual(snap, [room, 'ADD', [STREAM_SHAPE(sid, 'raw', 'name-raw', '{"mic":true}')], '']);
        assert.deepStrictEqual(await eventNames(b, ['loginResolved', 'roomStreamUpdate']), ['loginResolved', 'roomStreamUpdate']);

        assert.strictEqual((await c.request('stop_publish', { stream_id: sid })).ok, true);
        const del = await B.waitEvent(a, 'roomStreamUpdate', [room, 'DELETE']);
        assert.deepStrictEqual(del.slice(0, 3), [room, 'DELETE', [STREAM_SHAPE(sid, 'raw', 'name-raw', '{"mic":true}')]]);
        assert.deepStrictEqual(JSON.parse(del[3]),
          { stream_delete_reason: [{ stream_id: sid, code: 1, description: 'user stopped publishing' }] });

        // removed by the server (admin API): reason 6
        const sid2 = R('raw-two');
        await c.request('publish', { stream_id: sid2 });
        await B.waitEvent(b, 'roomStreamUpdate', [room, 'ADD', [{ streamID: sid2 }]]);
        const rm = await srv.admin('DELETE', `/v1/rooms/${room}/streams/${sid2}`, { reason: 'not here' });
        assert.strictEqual(rm.status, 200, rm.text);
        const del2 = await B.waitEvent(b, 'roomStreamUpdate', [room, 'DELETE', [{ streamID: sid2 }]]);
        assert.strictEqual(JSON.parse(del2[3]).stream_delete_reason[0].code, 6);
        const removed = await c.waitFor('stream_removed');
        assert.strictEqual(removed.data.code, 1003025);

        // the publisher logs out: DELETE with reason 1 and a user DELETE
        await c.request('publish', { stream_id: sid });
        await B.waitEvent(a, 'roomStreamUpdate', [room, 'ADD', [{ streamID: sid }]]);
        await c.request('logout');
        const n = (await B.events(a, 'roomStreamUpdate', [room, 'DELETE', [{ streamID: sid }]])).length;
        await B.waitEvent(a, 'roomUserUpdate', [room, 'DELETE', [{ userID: 'raw' }]]);
        await a.waitForFunction(([r, s, k]) => window.rg.all('roomStreamUpdate', [r, 'DELETE', [{ streamID: s }]]).length > k,
          [room, sid, n - 1], { timeout: 5000 });
        const info = await a.evaluate(() => window.rg.engine.getRoomInfo());
        assert.deepStrictEqual(info.streams, []);
        await logout(a, room);
        await logout(b, room);
      } finally {
        c.close();
      }
    });

    ptest('an admin kick reaches the page as KICKOUT with the custom message', async (t) => {
      const room = R('kick');
      const a = await t.page(kind, 'kicked');
      const b = await t.page(kind, 'stays');
      await login(a, room, 'kicked');
      await login(b, room, 'stays');
      await B.waitEvent(a, 'roomUserUpdate', [room, 'ADD', [{ userID: 'stays' }]]);
      const r = await srv.admin('DELETE', `/v1/rooms/${room}/users/kicked`, { reason: 'be nice' });
      assert.strictEqual(r.status, 200, r.text);
      const k = await B.waitEvent(a, 'roomStateChanged', [room, 'KICKOUT']);
      assert.strictEqual(k[2], 1002055);
      assert.deepStrictEqual(JSON.parse(k[3]), { custom_kickout_message: 'be nice' });
      const d = await B.waitEvent(a, 'roomStateUpdate', [room, 'DISCONNECTED']);
      assert.strictEqual(d[2], 1002055);
      await B.waitEvent(b, 'roomUserUpdate', [room, 'DELETE', [{ userID: 'kicked' }]]);
      await sleep(1500); // no reconnect after a kickout
      const states = stateArgs(await B.eventsOf(a), 'roomStateChanged').map((x) => x[0]);
      assert.deepStrictEqual(states, ['LOGINING', 'LOGINED', 'KICKOUT']);
      assert.strictEqual(await a.evaluate(() => window.rg.engine.getRoomInfo()), null);
      // a second login of the same user elsewhere takes over: 1002050
      const c = await t.page(kind, 'again');
      await login(c, room, 'stays');
      const k2 = await B.waitEvent(b, 'roomStateChanged', [room, 'KICKOUT']);
      assert.strictEqual(k2[2], 1002050);
      await logout(c, room);
    });

    ptest('a dropped connection: RECONNECTING, resume, RECONNECTED; the others see nothing', async (t) => {
      const room = R('drop');
      const a = await t.page(kind, 'mover', proxy.wsUrl);
      const b = await t.page(kind, 'watcher');
      await login(a, room, 'mover');
      await login(b, room, 'watcher');
      await B.waitEvent(b, 'roomUserUpdate', [room, 'ADD', [{ userID: 'mover' }]]);
      const before = await a.evaluate(() => window.rg.engine.getRoomInfo());
      proxy.block(true);
      assert.ok(proxy.cut() >= 1, 'the page was connected through the proxy');
      await B.waitEvent(a, 'roomStateChanged', [room, 'RECONNECTING', 0]);
      await B.waitEvent(a, 'roomStateUpdate', [room, 'CONNECTING', 0]);
      // while it is away someone joins: the page gets that event replayed
      const c = await rawClient();
      try {
        await c.login(srv, room, 'newcomer');
        await sleep(400);
        proxy.block(false);
        await B.waitEvent(a, 'roomStateChanged', [room, 'RECONNECTED', 0]);
        await B.waitEvent(a, 'roomStateUpdate', [room, 'CONNECTED', 0]);
        await B.waitEvent(a, 'roomUserUpdate', [room, 'ADD', [{ userID: 'newcomer' }]]);
        const afterInfo = await a.evaluate(() => window.rg.engine.getRoomInfo());
        assert.strictEqual(afterInfo.sessionID, before.sessionID, 'the same session was resumed');
        assert.deepStrictEqual(afterInfo.users.map((u) => u.userID).sort(), ['newcomer', 'watcher']);
        await sleep(1500); // past a heartbeat timeout: the page keeps the session alive
        assert.deepStrictEqual(await B.events(b, 'roomUserUpdate', [room, 'DELETE']), [], 'the watcher saw no DELETE');
        const states = stateArgs(await B.eventsOf(a), 'roomStateChanged').map((x) => x[0]);
        assert.deepStrictEqual(states, ['LOGINING', 'LOGINED', 'RECONNECTING', 'RECONNECTED']);
        const users = await srv.admin('GET', `/v1/rooms/${room}/users`);
        assert.deepStrictEqual(users.json.users.map((u) => u.user_id).sort(), ['mover', 'newcomer', 'watcher']);
        await c.request('logout');
      } finally {
        proxy.block(false);
        c.close();
      }
      await logout(a, room);
      await logout(b, room);
    });

    ptest('the browser goes offline: heartbeats notice, RECONNECTING, back online: RECONNECTED', async (t) => {
      const room = R('offline');
      const a = await t.page(kind, 'offline');
      const b = await t.page(kind, 'watcher');
      await login(a, room, 'offline');
      await login(b, room, 'watcher');
      await B.waitEvent(b, 'roomUserUpdate', [room, 'ADD', [{ userID: 'offline' }]]);
      const before = await a.evaluate(() => window.rg.engine.getRoomInfo());
      // Chromium's offline mode holds the open WebSocket's frames rather than
      // closing it: the SDK must notice unanswered heartbeats by itself.
      await a.context().setOffline(true);
      await B.waitEvent(a, 'roomStateChanged', [room, 'RECONNECTING', 0], 6000);
      await sleep(1000);
      const t0 = Date.now();
      await a.context().setOffline(false);
      await B.waitEvent(a, 'roomStateChanged', [room, 'RECONNECTED', 0], 6000);
      // the 'online' event cuts the back-off wait short
      assert.ok(Date.now() - t0 < 2500, `reconnected ${Date.now() - t0} ms after going online`);
      const afterInfo = await a.evaluate(() => window.rg.engine.getRoomInfo());
      assert.strictEqual(afterInfo.sessionID, before.sessionID, 'the same session was resumed');
      await sleep(1000);
      assert.deepStrictEqual(await B.events(b, 'roomUserUpdate', [room, 'DELETE']), [], 'the watcher saw no DELETE');
      await logout(a, room);
      await B.waitEvent(b, 'roomUserUpdate', [room, 'DELETE', [{ userID: 'offline' }]]);
      await logout(b, room);
    });

    ptest('a connection lost past the grace period: logs in again and reports what changed', async (t) => {
      const room = R('lost');
      const a = await t.page(kind, 'mover', proxy.wsUrl);
      const b = await t.page(kind, 'watcher');
      const c = await rawClient();
      const d = await rawClient();
      try {
        await c.login(srv, room, 'leaver');
        await c.request('publish', { stream_id: R('leaver-s') });
        await login(a, room, 'mover');
        await login(b, room, 'watcher');
        await B.waitEvent(a, 'roomStreamUpdate', [room, 'ADD', [{ streamID: R('leaver-s') }]]);
        await B.waitEvent(a, 'roomUserUpdate', [room, 'ADD', [{ userID: 'watcher' }]]);
        const before = await a.evaluate(() => window.rg.engine.getRoomInfo());
        proxy.block(true);
        proxy.cut();
        await B.waitEvent(a, 'roomStateChanged', [room, 'RECONNECTING', 0]);
        // while it is away: one user leaves, another joins and publishes
        await c.request('logout');
        await d.login(srv, room, 'joiner');
        await d.request('publish', { stream_id: R('joiner-s') });
        // the server gives up on the session (grace period): the others see it leave
        await B.waitEvent(b, 'roomUserUpdate', [room, 'DELETE', [{ userID: 'mover' }]], 8000);
        proxy.block(false);
        await B.waitEvent(a, 'roomStateChanged', [room, 'RECONNECTED', 0], 10000);
        await B.waitEvent(a, 'roomUserUpdate', [room, 'DELETE', [{ userID: 'leaver' }]]);
        await B.waitEvent(a, 'roomUserUpdate', [room, 'ADD', [{ userID: 'joiner' }]]);
        const sdel = await B.waitEvent(a, 'roomStreamUpdate', [room, 'DELETE', [{ streamID: R('leaver-s') }]]);
        assert.strictEqual(JSON.parse(sdel[3]).stream_delete_reason[0].stream_id, R('leaver-s'));
        await B.waitEvent(a, 'roomStreamUpdate', [room, 'ADD', [{ streamID: R('joiner-s') }]]);
        await B.waitEvent(b, 'roomUserUpdate', [room, 'ADD', [{ userID: 'mover' }]]);
        const afterInfo = await a.evaluate(() => window.rg.engine.getRoomInfo());
        assert.notStrictEqual(afterInfo.sessionID, before.sessionID, 'a new session');
        assert.deepStrictEqual(afterInfo.users.map((u) => u.userID).sort(), ['joiner', 'watcher']);
        assert.deepStrictEqual(afterInfo.streams.map((s) => s.streamID), [R('joiner-s')]);
        const states = stateArgs(await B.eventsOf(a), 'roomStateChanged').map((x) => x[0]);
        assert.deepStrictEqual(states, ['LOGINING', 'LOGINED', 'RECONNECTING', 'RECONNECTED']);
        await d.request('logout');
      } finally {
        proxy.block(false);
        c.close();
        d.close();
      }
      await logout(a, room);
      await logout(b, room);
    });

    ptest('tokenWillExpire fires 30 s before expiry; renewToken', async (t) => {
      const room = R('token');
      const a = await t.page(kind, 'renew');
      const r = await login(a, room, 'renew', { token: srv.token('renew', { ttl: 32 }) });
      assert.strictEqual(r.ok, true, JSON.stringify(r));
      const ev = await B.waitEvent(a, 'tokenWillExpire', [room], 6000);
      assert.deepStrictEqual(ev, [room]);
      const ok = await a.evaluate(([tok, rm]) => window.rg.engine.renewToken(tok, rm), [srv.token('renew'), room]);
      assert.strictEqual(ok, true);
      await sleep(500);
      assert.ok(!a.rgConsole.some((l) => /renewToken/.test(l)), a.rgConsole.join('\n'));
      assert.strictEqual(await a.evaluate(() => window.rg.engine.renewToken('x', 'other-room')), false);
      await logout(a, room);
    });
  });
}

describe('demo page', () => {
  ptest('joins, lists its own user and the others, streams, and ends', async (t) => {
    const room = 'demo-room';
    const context = await chrome.browser.newContext();
    const demo = await context.newPage();
    demo.rgLabel = 'demo';
    demo.rgConsole = [];
    demo.on('console', (m) => demo.rgConsole.push(`${m.type()}: ${m.text()}`));
    demo.on('pageerror', (e) => demo.rgConsole.push(`pageerror: ${e.message}`));
    const c = await rawClient();
    const dump = async () => `--- demo console:\n  ${demo.rgConsole.join('\n  ')}\n--- demo text:\n` +
      (await demo.locator('body').innerText().catch((e) => e.message));
    try {
      // another page is in the room first
      const b = await t.page('classic', 'other');
      await login(b, room, 'other-user');
      await demo.goto(`${srv.url}/demo/`, { timeout: 15000 });
      assert.strictEqual(await demo.evaluate(() => typeof window.ZegoExpressEngine), 'function');
      await demo.fill('#roomID', room);
      await demo.fill('#userID', 'demo-user');
      await demo.click('#join');
      await demo.locator('#users li[data-user="demo-user"]').waitFor({ timeout: 10000 });
      assert.match(await demo.locator('#users li[data-user="demo-user"]').innerText(), /demo-user/);
      await demo.locator('#roomState:text("LOGINED")').waitFor({ timeout: 5000 });
      // the demo lists the other page's user, which sees the demo join
      await demo.locator('#users li[data-user="other-user"]').waitFor({ timeout: 10000 });
      await B.waitEvent(b, 'roomUserUpdate', [room, 'ADD', [{ userID: 'demo-user' }]]);
      // the demo publishes its microphone: the stream is announced (media is
      // not checked here: ICE on loopback needs a network namespace)
      await B.waitEvent(b, 'roomStreamUpdate', [room, 'ADD', [{ streamID: 'demo-user-main' }]], 10000);
      // a third user joins after the demo: the demo lists it too
      const b2 = await t.page('classic', 'third');
      await login(b2, room, 'third-user');
      await demo.locator('#users li[data-user="third-user"]').waitFor({ timeout: 10000 });
      await logout(b2, room);
      await demo.locator('#users li[data-user="third-user"]').waitFor({ state: 'detached', timeout: 10000 });
      // a raw client publishes: the demo lists the stream
      await c.login(srv, room, 'raw-pub');
      await c.request('publish', { stream_id: 'demo-raw-s' });
      await demo.locator('#streams li[data-stream="demo-raw-s"]').waitFor({ timeout: 10000 });
      await c.request('stop_publish', { stream_id: 'demo-raw-s' });
      await demo.locator('#streams li[data-stream="demo-raw-s"]').waitFor({ state: 'detached', timeout: 10000 });
      // End
      await demo.click('#end');
      await B.waitEvent(b, 'roomUserUpdate', [room, 'DELETE', [{ userID: 'demo-user' }]]);
      await demo.locator('#users li').first().waitFor({ state: 'detached', timeout: 5000 });
      assert.ok(!demo.rgConsole.some((l) => l.startsWith('pageerror')), demo.rgConsole.join('\n'));
      await c.request('logout');
      await logout(b, room);
    } catch (e) {
      e.message += '\n' + (await dump());
      throw e;
    } finally {
      c.close();
      await context.close();
    }
  });
});
