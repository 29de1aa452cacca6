// Test harness: starts the real roomgate binary on a free port with a
// temporary config, and offers an admin client and a protocol client.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const WebSocket = require('ws');
const token04 = require('./token04');

const ROOT = process.env.RG_SOURCE_DIR || path.resolve(__dirname, '../../..');
const BIN = process.env.ROOMGATE_BIN || path.join(ROOT, 'build/roomgate');
const SECRET = '0123456789abcdef0123456789abcdef';
const ADMIN_KEY = 'test-admin-key-0123456789';
const APP_ID = 7;

function deepMerge(a, b) {
  const out = { ...a };
  for (const [k, v] of Object.entries(b || {})) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) ? deepMerge(a[k] || {}, v) : v;
  }
  return out;
}

// Starts a server; resolves when it logs its port. opts.config overrides keys;
// opts.asanOptions is appended to ASAN_OPTIONS (a sanitized build).
async function startServer(opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-test-'));
  const config = deepMerge({
    app_id: APP_ID,
    server_secret: SECRET,
    admin_key: ADMIN_KEY,
    dev_token_endpoint: true,
    http: { listen: '127.0.0.1:0', web_root: path.join(ROOT, 'web') },
    media: { workers: 2 },
    session: { heartbeat_interval_ms: 1000, heartbeat_timeout_ms: 3000, resume_grace_ms: 3000 },
    log: { level: 'info' },
  }, opts.config);
  const cfgPath = path.join(dir, 'roomgate.jsonc');
  fs.writeFileSync(cfgPath, '// test config\n' + JSON.stringify(config, null, 2));
  const proc = spawn(BIN, ['--config', cfgPath], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env, ...(opts.env || {}),
      ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=23' + (opts.asanOptions ? `:${opts.asanOptions}` : ''),
    },
  });
  let log = '';
  const port = await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('server did not start:\n' + log)), 10000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(log);
      if (m) { clearTimeout(t); resolve(Number(m[1])); }
    });
    proc.on('exit', (code) => { clearTimeout(t); reject(new Error(`server exited ${code}:\n${log}`)); });
  });
  proc.stdout.on('data', (d) => { log += d; });
  const srv = {
    proc, port, dir, config,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    log: () => log,
    // Stops with SIGTERM; resolves with the exit code (ASan leaks: 23).
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      const done = new Promise((r) => proc.on('exit', (code, sig) => r(code === null ? sig : code)));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 15000);
      const code = await done;
      clearTimeout(t);
      fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
    admin(method, p, body, headers = {}) {
      return adminRequest(srv, method, p, body, headers);
    },
    token(userId, extra = {}) {
      return makeToken(srv, userId, extra);
    },
  };
  return srv;
}

async function adminRequest(srv, method, p, body, headers = {}) {
  const h = { authorization: `Bearer ${ADMIN_KEY}`, ...headers };
  let payload;
  if (body !== undefined) {
    payload = typeof body === 'string' ? body : JSON.stringify(body);
    if (!h['content-type']) h['content-type'] = 'application/json';
  }
  const r = await fetch(srv.url + p, { method, headers: h, body: payload, signal: AbortSignal.timeout(15000) });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.status, headers: r.headers, text, json };
}

// A token04 as an app server would make it (AES-GCM, lib/token04.js). The
// roomgate token CLI has its own tests (cli.test.js); making tokens in
// process keeps logins quick when the machine is loaded.
function makeToken(srv, userId, { room, ttl, noPublish, secret, appId } = {}) {
  const restricted = room || noPublish;
  const now = Math.floor(Date.now() / 1000);
  return token04.make({
    appId: appId || srv.config.app_id, userId, secret: secret || srv.config.server_secret,
    ctime: now, expire: now + (ttl || 3600),
    payload: restricted ? token04.payload({ room: room || '', publish: noPublish ? 0 : 1 }) : '',
  });
}

// A protocol client: request/response by id, events queued in order.
class Client {
  constructor(ws) {
    this.ws = ws;
    this.nextId = 1;
    this.pending = new Map();
    this.events = [];
    this.waiters = [];
    this.closed = null;
    this.lastSeq = 0;
    ws.on('message', (data) => this._onMessage(data.toString()));
    this.closedPromise = new Promise((resolve) => ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const [, p] of this.pending) p.reject(new Error(`socket closed ${code}`));
      this.pending.clear();
      resolve(this.closed);
      this._wake();
    }));
  }

  static async connect(srv) {
    const ws = new WebSocket(srv.wsUrl);
    await new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
    return new Client(ws);
  }

  _onMessage(text) {
    const m = JSON.parse(text);
    if (m.type === 'response') {
      const p = this.pending.get(m.id);
      if (p) { this.pending.delete(m.id); p.resolve(m); }
      else this.events.push(m); // unmatched (id null): kept for inspection
    } else if (m.type === 'event') {
      this.lastSeq = m.seq;
      this.events.push(m);
    }
    this._wake();
  }

  _wake() { const w = this.waiters; this.waiters = []; w.forEach((f) => f()); }

  send(obj) { this.ws.send(typeof obj === 'string' ? obj : JSON.stringify(obj)); }

  request(type, fields = {}, timeoutMs = 5000) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => { this.pending.delete(id); reject(new Error(`no response to ${type}`)); }, timeoutMs);
      this.pending.set(id, {
        resolve: (m) => { clearTimeout(t); resolve(m); },
        reject: (e) => { clearTimeout(t); reject(e); },
      });
      this.send({ v: 1, id, type, ...fields });
    });
  }

  login(srv, room, userId, { userName, userUpdate = true, token } = {}) {
    return this.request('login', {
      room_id: room, token: token || srv.token(userId),
      user: { user_id: userId, user_name: userName || `name-${userId}` }, user_update: userUpdate,
    });
  }

  // Waits for the first queued event matching pred (removes it).
  async waitEvent(pred, timeoutMs = 5000, what = 'event') {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.type === 'event' && pred(e));
      if (i >= 0) return this.events.splice(i, 1)[0];
      if (Date.now() > deadline) {
        throw new Error(`timed out waiting for ${what}; queued: ${JSON.stringify(this.events).slice(0, 2000)}`);
      }
      await new Promise((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }

  waitFor(name, pred = () => true, timeoutMs = 5000) {
    return this.waitEvent((e) => e.event === name && pred(e.data), timeoutMs, name);
  }

  async waitClose(timeoutMs = 5000) {
    return Promise.race([this.closedPromise,
      new Promise((_, rej) => setTimeout(() => rej(new Error('socket not closed')), timeoutMs))]);
  }

  close() { this.ws.close(1000); }
  terminate() { this.ws.terminate(); }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

module.exports = { startServer, Client, sleep, SECRET, ADMIN_KEY, APP_ID, BIN, ROOT };
