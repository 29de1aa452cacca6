// The command line: --version, --help, --check-config, token, refusing
// non-loopback listening with the example secrets, environment-only config.
'use strict';
const { test } = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { BIN, ROOT, startServer, Client } = require('./lib/harness');

const run = (args, env = {}) => spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 10000 });

test('--version and --help', () => {
  const v = run(['--version']);
  assert.strictEqual(v.status, 0);
  assert.match(v.stdout, /^roomgate \d+\.\d+\.\d+/);
  const h = run(['--help']);
  assert.strictEqual(h.status, 0);
  assert.match(h.stdout, /--check-config/);
  assert.strictEqual(run(['--bogus']).status, 2);
});

test('--check-config accepts the shipped config and names the bad key with its position', () => {
  assert.strictEqual(run(['--check-config', path.join(ROOT, 'config/roomgate.jsonc')]).status, 0);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-cli-'));
  const bad = path.join(dir, 'bad.jsonc');
  fs.writeFileSync(bad, '{\n  // comment\n  "limits": {\n    "max_room": 5\n  }\n}\n');
  const r = run(['--check-config', bad]);
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /bad\.jsonc:4:5: key "limits\.max_room": unknown key/);
  fs.writeFileSync(bad, '{"session": {"heartbeat_timeout_ms": "soon"}}');
  assert.match(run(['--check-config', bad]).stderr, /session\.heartbeat_timeout_ms.*unsigned integer/);
  assert.match(run(['--check-config', path.join(dir, 'missing.jsonc')]).stderr, /No such file/);
  fs.rmSync(dir, { recursive: true });
});

test('refuses to listen beyond loopback with the example secret or key', () => {
  const cfg = path.join(ROOT, 'config/roomgate.jsonc');
  let r = run(['--config', cfg], { ROOMGATE_HTTP_LISTEN: '0.0.0.0:0' });
  assert.strictEqual(r.status, 1);
  assert.match(r.stderr, /server_secret: still the example value/);
  r = run(['--config', cfg], { ROOMGATE_HTTP_LISTEN: '0.0.0.0:0', ROOMGATE_SERVER_SECRET: 'ffffffffffffffffffffffffffffffff' });
  assert.match(r.stderr, /admin_key: still the example value/);
  r = run(['--check-config', cfg], { ROOMGATE_MEDIA_ADDRESS: '10.1.2.3' });
  assert.strictEqual(r.status, 1);
  r = run(['--check-config', cfg], { ROOMGATE_RTP_PORTS: '5-4' });
  assert.match(r.stderr, /ROOMGATE_RTP_PORTS/);
});

test('token subcommand', () => {
  const r = run(['token', '--app-id', '1', '--secret', 'fa94dd0f974cf2e293728a526b028271', '--user', 'demo', '--room', 'r', '--ttl', '60']);
  assert.strictEqual(r.status, 0, r.stderr);
  assert.match(r.stdout, /^04[A-Za-z0-9+/=]+\n$/);
  assert.strictEqual(run(['token', '--app-id', '1', '--secret', 'short', '--user', 'u']).status, 1);
  assert.strictEqual(run(['token', '--user', 'u']).status, 2);
});

test('configuration from the environment alone (the Docker way)', async () => {
  const srv = await startServer({
    env: { ROOMGATE_APP_ID: '4242', ROOMGATE_ADMIN_KEY: 'env-admin-key-0123456789', ROOMGATE_LOG_LEVEL: 'warn,main=info' },
  });
  try {
    const rooms = await fetch(srv.url + '/v1/rooms', { headers: { authorization: 'Bearer env-admin-key-0123456789' } });
    assert.strictEqual(rooms.status, 200);
    srv.config.app_id = 4242;
    const c = await Client.connect(srv);
    assert.strictEqual((await c.login(srv, 'env', 'e1')).ok, true);
    await c.request('logout');
    c.close();
    assert.doesNotMatch(srv.log(), /0123456789abcdef0123456789abcdef|env-admin-key/, 'secrets never logged');
  } finally {
    assert.strictEqual(await srv.stop(), 0);
  }
});
