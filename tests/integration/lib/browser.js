// Browser helpers for the SDK tests: headless Chromium through playwright-core,
// a web root for the server (web/ plus the test pages), a TCP proxy that can
// break connections, and page helpers that wait on what the page recorded.
'use strict';
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { ROOT } = require('./harness');

const CHROMIUM = process.env.RG_CHROMIUM || '/usr/bin/chromium';
const PAGES_DIR = path.join(__dirname, '..', 'pages');

const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
];

function requirePlaywright() {
  try {
    return require('playwright-core');
  } catch (e) {
    throw new Error('playwright-core is not installed: run `npm ci` in tests/integration (make npm-test)\n' + e.message);
  }
}

// Starts Chromium (a fresh temporary profile, made and removed by Playwright)
// and connects to it. opts.args replaces the default flags; opts.onPid(pid)
// and opts.onClose(pid) let a caller track the process. Returns
// {browser, pid, close()}: close() ends exactly the process started here.
async function launchBrowser(opts = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: the SDK tests need it ` +
      '(apt-get install -y chromium; it is listed in docker/packages-test.txt)');
  }
  const { chromium } = requirePlaywright();
  const server = await chromium.launchServer({
    executablePath: CHROMIUM, headless: true, args: opts.args || CHROMIUM_ARGS, timeout: 30000,
    handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false,
  });
  const pid = server.process().pid;
  if (opts.onPid) opts.onPid(pid);
  let browser;
  try {
    browser = await chromium.connect(server.wsEndpoint(), { timeout: 30000 });
  } catch (e) {
    await server.kill();
    throw e;
  }
  return {
    browser, pid,
    async close() {
      const t = setTimeout(() => server.kill(), 10000);
      try { await browser.close(); } catch { /* already gone */ }
      try { await server.close(); } catch { await server.kill(); }
      clearTimeout(t);
      if (opts.onClose) opts.onClose(pid);
    },
  };
}

// A web root for the test server: sdk/ is the repository's web/sdk, demo/ holds
// the repository's demo files and demo/test/ the test pages (symlinks).
function makeWebRoot() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rg-web-'));
  fs.symlinkSync(path.join(ROOT, 'web', 'sdk'), path.join(dir, 'sdk'));
  fs.mkdirSync(path.join(dir, 'demo'));
  const demoSrc = path.join(ROOT, 'web', 'demo');
  for (const f of fs.readdirSync(demoSrc)) fs.symlinkSync(path.join(demoSrc, f), path.join(dir, 'demo', f));
  fs.symlinkSync(PAGES_DIR, path.join(dir, 'demo', 'test'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

// A TCP proxy in front of the server: cut() breaks every open connection (the
// browser sees its WebSocket drop with 1006), block(true) refuses new ones.
class TcpProxy {
  constructor(targetPort) {
    this.targetPort = targetPort;
    this.blocked = false;
    this.pairs = new Set();
    this.accepted = 0;
    this.refused = 0;
    this.server = net.createServer((client) => this._onConnection(client));
  }

  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = this.server.address().port;
    this.wsUrl = `ws://127.0.0.1:${this.port}/ws`;
    return this;
  }

  _onConnection(client) {
    if (this.blocked) {
      this.refused++;
      client.resetAndDestroy();
      return;
    }
    this.accepted++;
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    const pair = { client, upstream };
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  }

  cut() {
    const n = this.pairs.size;
    for (const p of [...this.pairs]) {
      this.pairs.delete(p);
      p.client.resetAndDestroy();
      p.upstream.resetAndDestroy();
    }
    return n;
  }

  block(on) { this.blocked = !!on; }

  async stop() {
    this.cut();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

// ---- page helpers ----

// Opens a test page (pages/<name>.html, served at /demo/test/) and records its
// console. Every page keeps the events it saw in window.rg.events.
async function openPage(browser, srv, name, label) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.rgLabel = label || name;
  page.rgConsole = [];
  page.on('console', (m) => page.rgConsole.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => page.rgConsole.push(`pageerror: ${e.message}`));
  await page.goto(`${srv.url}/demo/test/${name}.html`, { timeout: 15000 });
  await page.waitForFunction(() => window.rg && window.rg.ready === true, null, { timeout: 10000 });
  return page;
}

async function closePage(page) {
  try { await page.context().close(); } catch { /* closed */ }
}

async function eventsOf(page) {
  try { return await page.evaluate(() => window.rg.events); } catch (e) { return `(page gone: ${e.message})`; }
}

// What a page saw, for failure messages.
async function describePage(page) {
  const ev = await eventsOf(page);
  const lines = Array.isArray(ev) ? ev.map((e) => `  ${e.name} ${JSON.stringify(e.args)}`) : [`  ${ev}`];
  return `--- page ${page.rgLabel} events:\n${lines.join('\n')}\n--- page ${page.rgLabel} console:\n  ` +
    page.rgConsole.slice(-40).join('\n  ');
}

// Waits until the page recorded an event `name` whose arguments match `match`
// (see rg.matches in pages/sdk-harness.js). Returns that event's arguments.
async function waitEvent(page, name, match, timeoutMs = 8000) {
  try {
    const h = await page.waitForFunction(({ name, match }) => window.rg.find(name, match),
      { name, match }, { timeout: timeoutMs, polling: 50 });
    return await h.jsonValue();
  } catch (e) {
    // explain() (or the caller) adds what the pages saw
    throw new Error(`page ${page.rgLabel}: no ${name} matching ${JSON.stringify(match)} within ${timeoutMs} ms`);
  }
}

// All recorded events named `name` (optionally matching `match`).
async function events(page, name, match) {
  return page.evaluate(({ name, match }) => window.rg.all(name, match), { name, match });
}

// Runs fn and, when it fails, adds what each page saw to the error.
async function explain(pages, fn) {
  try {
    return await fn();
  } catch (e) {
    const seen = [];
    for (const p of pages()) seen.push(await describePage(p));
    e.message += '\n' + seen.join('\n');
    throw e;
  }
}

module.exports = {
  CHROMIUM, launchBrowser, makeWebRoot, TcpProxy, openPage, closePage, waitEvent, events, eventsOf,
  describePage, explain,
};
