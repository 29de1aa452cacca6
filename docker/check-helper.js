#!/usr/bin/env node
// Helper of docker/check.sh (`make docker-check`). Subcommands:
//   plan DOCKERFILE [STAGE]   print one stage's instructions (default: the last
//                             stage) as shell words: `df INSTRUCTION ARG...`
//   stages DOCKERFILE         print "index|name|image" per stage
//   copy CONTEXT ROOT WORKDIR DEST SRC...
//                             do what `COPY SRC... DEST` does in an image whose
//                             root filesystem is the directory ROOT, honouring
//                             CONTEXT/.dockerignore; symlinks met on the way
//                             are resolved inside ROOT, never on the host
//   hash CONTEXT SRC...       print "FILES SHA256" of what COPY SRC... would copy
//   mkdir ROOT PATH...        mkdir -p PATH inside ROOT (symlinks resolved in ROOT)
//   free-port                 print a free TCP port on 127.0.0.1
//   ws-login HTTP_URL ADMIN_KEY ROOM USER TOKEN
//                             log in over WebSocket (/ws) with TOKEN, check with
//                             the admin API that USER is in ROOM, log out
//   sip-listen PORT SECONDS   wait for one SIP request on UDP 127.0.0.1:PORT
//                             and print its first line
// Only the Dockerfile instructions docker/Dockerfile* use are understood;
// anything else is reported so that check.sh fails instead of guessing.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function die(msg) {
  process.stderr.write(`check-helper: ${msg}\n`);
  process.exit(1);
}

const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;

// ---- Dockerfile parsing ----

function logicalLines(text, file) {
  const out = [];
  let cur = null;
  let start = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].replace(/\r$/, '');
    if (/^\s*#/.test(raw) || (cur !== null && raw.trim() === '')) {
      if (/^\s*#\s*escape\s*=/i.test(raw) && cur === null && out.length === 0) {
        if (!/=\s*\\\s*$/.test(raw)) die(`${file}:${i + 1}: only the default escape character is supported`);
      }
      continue; // comments (also inside continuations) and blank continuation lines
    }
    if (cur === null) {
      if (raw.trim() === '') continue;
      start = i + 1;
      cur = '';
    }
    const m = /^(.*)\\\s*$/.exec(raw);
    if (m) {
      cur += m[1];
      continue;
    }
    cur += raw;
    out.push({ line: start, text: cur.trim() });
    cur = null;
  }
  if (cur !== null) die(`${file}: the last instruction ends with a line continuation`);
  return out;
}

function jsonArray(s) {
  if (!s.startsWith('[')) return null;
  try {
    const v = JSON.parse(s);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch {
    /* shell form */
  }
  return null;
}

// Leading --name=value flags.
function takeFlags(s) {
  const flags = {};
  for (;;) {
    const m = /^--([a-z-]+)=(\S+)\s*/.exec(s);
    if (!m) return { flags, rest: s };
    flags[m[1]] = m[2];
    s = s.slice(m[0].length);
  }
}

// ENV/LABEL words: KEY=VALUE with "..." or '...' quoting and \ escapes.
function envPairs(s, where) {
  const words = [];
  let i = 0;
  while (i < s.length) {
    while (i < s.length && /\s/.test(s[i])) i++;
    if (i >= s.length) break;
    let w = '';
    while (i < s.length && !/\s/.test(s[i])) {
      const c = s[i];
      if (c === '"' || c === "'") {
        const end = s.indexOf(c, i + 1);
        if (end < 0) die(`${where}: unterminated quote`);
        w += s.slice(i + 1, end).replace(c === '"' ? /\\(.)/g : /$^/, '$1');
        i = end + 1;
      } else if (c === '\\' && i + 1 < s.length) {
        w += s[i + 1];
        i += 2;
      } else {
        w += c;
        i++;
      }
    }
    words.push(w);
  }
  if (words.length >= 1 && !words[0].includes('=')) {
    // legacy "ENV KEY value with spaces"
    return [[words[0], s.trim().slice(words[0].length).trim()]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq < 1) die(`${where}: expected KEY=VALUE, got "${w}"`);
    return [w.slice(0, eq), w.slice(eq + 1)];
  });
}

function parseDockerfile(file) {
  const text = fs.readFileSync(file, 'utf8');
  const stages = [];
  for (const { line, text: t } of logicalLines(text, file)) {
    const m = /^(\S+)\s*(.*)$/s.exec(t);
    const cmd = m[1].toUpperCase();
    const args = m[2].trim();
    const where = `${path.basename(file)}:${line}`;
    if (cmd === 'FROM') {
      const f = takeFlags(args);
      const w = f.rest.split(/\s+/);
      if (Object.keys(f.flags).length || !(w.length === 1 || (w.length === 3 && /^as$/i.test(w[1])))) {
        die(`${where}: unsupported FROM form "${args}"`);
      }
      stages.push({ image: w[0], name: w[2] || '', instrs: [] });
      continue;
    }
    if (!stages.length) {
      if (cmd === 'ARG') die(`${where}: ARG before FROM is not supported`);
      die(`${where}: ${cmd} before the first FROM`);
    }
    stages[stages.length - 1].instrs.push({ cmd, args, where });
  }
  if (!stages.length) die(`${file}: no FROM`);
  return stages;
}

function noVars(s, where) {
  if (/\$/.test(s)) die(`${where}: variable substitution outside RUN is not supported by check.sh`);
}

function planWords(ins) {
  const { cmd, args, where } = ins;
  const exec = jsonArray(args);
  switch (cmd) {
    case 'RUN':
      return exec ? ['RUN_EXEC', ...exec] : ['RUN_SHELL', args];
    case 'ENTRYPOINT':
    case 'CMD':
      return exec ? [`${cmd}_EXEC`, ...exec] : [`${cmd}_SHELL`, args];
    case 'COPY': {
      noVars(args, where);
      const f = takeFlags(args);
      for (const k of Object.keys(f.flags)) {
        if (!['from', 'chown', 'chmod'].includes(k)) die(`${where}: COPY --${k} is not supported by check.sh`);
      }
      const words = jsonArray(f.rest) || f.rest.split(/\s+/);
      if (words.length < 2) die(`${where}: COPY needs a source and a destination`);
      if (words.some((w) => /[*?[\]"']/.test(w))) die(`${where}: COPY wildcards and quotes are not supported by check.sh`);
      return ['COPY', f.flags.from || '', f.flags.chown || '', f.flags.chmod || '', ...words];
    }
    case 'ENV':
      noVars(args, where);
      return ['ENV', ...envPairs(args, where).flat()];
    case 'LABEL':
      return ['LABEL', ...envPairs(args, where).flat()];
    case 'WORKDIR':
    case 'USER':
    case 'STOPSIGNAL':
      noVars(args, where);
      return [cmd, args];
    case 'EXPOSE':
      noVars(args, where);
      return ['EXPOSE', ...args.split(/\s+/)];
    case 'VOLUME':
      noVars(args, where);
      return ['VOLUME', ...(jsonArray(args) || args.split(/\s+/))];
    case 'HEALTHCHECK': {
      if (/^none$/i.test(args)) return ['HEALTHCHECK_NONE'];
      const f = takeFlags(args);
      const m = /^CMD\s+(.*)$/is.exec(f.rest);
      if (!m) die(`${where}: HEALTHCHECK needs NONE or CMD`);
      const opts = Object.entries(f.flags).map(([k, v]) => `--${k}=${v}`);
      const hexec = jsonArray(m[1].trim());
      return hexec ? ['HEALTHCHECK_EXEC', opts.join(' '), ...hexec] : ['HEALTHCHECK_SHELL', opts.join(' '), m[1].trim()];
    }
    default:
      return ['UNSUPPORTED', cmd, where];
  }
}

function pickStage(stages, sel) {
  if (sel === undefined || sel === '') return stages.length - 1;
  const byName = stages.findIndex((s) => s.name === sel);
  if (byName >= 0) return byName;
  if (/^\d+$/.test(sel) && Number(sel) < stages.length) return Number(sel);
  die(`no stage "${sel}"`);
}

// ---- .dockerignore ----

function globToRegex(p) {
  let re = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === '*' && p[i + 1] === '*') {
      if (p[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = p.indexOf(']', i + 1);
      if (end < 0) die(`.dockerignore: unterminated [ in "${p}"`);
      re += '[' + p.slice(i + 1, end).replace(/^!/, '^') + ']';
      i = end;
    } else if (c === '\\' && i + 1 < p.length) re += '\\' + p[++i];
    else re += c.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp('^' + re + '$');
}

function loadIgnore(context) {
  const f = path.join(context, '.dockerignore');
  if (!fs.existsSync(f)) return [];
  const pats = [];
  for (let line of fs.readFileSync(f, 'utf8').split('\n')) {
    line = line.trim();
    if (!line || line.startsWith('#')) continue;
    let include = false;
    if (line.startsWith('!')) {
      include = true;
      line = line.slice(1).trim();
    }
    line = path.posix.normalize(line.replace(/^\/+/, '')).replace(/\/+$/, '');
    pats.push({ include, src: line, re: globToRegex(line) });
  }
  return pats;
}

// Like moby's patternmatcher: a pattern matches the path or one of its parents;
// the last matching pattern decides.
function excluded(pats, rel) {
  const parts = rel.split('/');
  let ex = false;
  for (const p of pats) {
    let hit = p.re.test(rel);
    for (let i = 1; !hit && i < parts.length; i++) hit = p.re.test(parts.slice(0, i).join('/'));
    if (hit) ex = !p.include;
  }
  return ex;
}

// ---- paths inside a root filesystem ----

// Resolves an absolute in-image path to a host path under root, following
// symlinks the way the kernel would after chroot(root). Missing trailing
// components are allowed (they will be created).
function resolveInRoot(root, p) {
  const todo = p.split('/').filter(Boolean);
  let cur = []; // resolved components below root
  let links = 0;
  while (todo.length) {
    const c = todo.shift();
    if (c === '.') continue;
    if (c === '..') {
      cur.pop();
      continue;
    }
    const host = path.join(root, ...cur, c);
    let st;
    try {
      st = fs.lstatSync(host);
    } catch {
      cur.push(c);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++links > 40) die(`too many symbolic links in ${p}`);
      const t = fs.readlinkSync(host);
      if (t.startsWith('/')) cur = [];
      todo.unshift(...t.split('/').filter(Boolean));
      continue;
    }
    cur.push(c);
  }
  return path.join(root, ...cur);
}

function mkdirInRoot(root, p) {
  let acc = '/';
  for (const c of p.split('/').filter(Boolean)) {
    acc = path.posix.join(acc, c);
    const h = resolveInRoot(root, acc);
    if (!fs.existsSync(h)) fs.mkdirSync(h, { mode: 0o755 });
    else if (!fs.statSync(h).isDirectory()) die(`${acc} exists in the image and is not a directory`);
  }
  return resolveInRoot(root, p);
}

// An excluded directory is entered only if a "!" pattern may re-include
// something below it; it is created only if something inside is copied.
function mayReinclude(pats, rel) {
  return pats.some((p) => p.include && (p.src.startsWith(`${rel}/`) || p.src.startsWith('*')));
}

function copyEntry(pats, context, rel, root, dest, stats) {
  const src = path.join(context, rel);
  const st = fs.lstatSync(src);
  const ex = rel !== '.' && excluded(pats, rel);
  if (st.isDirectory()) {
    if (ex && !mayReinclude(pats, rel)) return;
    if (!ex && stats.hash) stats.hash.update(`d ${rel} ${st.mode & 0o7777}\n`);
    else if (!ex) mkdirInRoot(root, dest);
    for (const name of fs.readdirSync(src).sort()) {
      const r = rel === '.' ? name : `${rel}/${name}`;
      copyEntry(pats, context, r, root, path.posix.join(dest, name), stats);
    }
    return;
  }
  if (ex) return;
  stats.files++;
  if (stats.hash) {
    if (st.isSymbolicLink()) stats.hash.update(`l ${rel} ${fs.readlinkSync(src)}\n`);
    else {
      stats.hash.update(`f ${rel} ${st.mode & 0o7777} ${st.size}\n`);
      stats.hash.update(fs.readFileSync(src));
    }
    return;
  }
  mkdirInRoot(root, path.posix.dirname(dest));
  const h = resolveInRoot(root, dest);
  fs.rmSync(h, { force: true });
  if (st.isSymbolicLink()) fs.symlinkSync(fs.readlinkSync(src), h);
  else if (st.isFile()) {
    fs.copyFileSync(src, h);
    fs.chmodSync(h, st.mode & 0o7777);
  } else die(`${rel}: not a regular file, directory or symlink`);
}

// With root === null, nothing is written: prints the number of files and a
// SHA-256 over their paths, modes and contents instead (the cache key of a COPY).
function cmdCopy([context, root, workdir, dest, ...srcs]) {
  if (!srcs.length) die('usage: copy CONTEXT ROOT WORKDIR DEST SRC...');
  const pats = loadIgnore(context);
  const hashOnly = root === null;
  if (!dest.startsWith('/')) dest = path.posix.join(workdir || '/', dest) + (dest.endsWith('/') ? '/' : '');
  const destIsDir = dest.endsWith('/') || srcs.length > 1;
  const stats = { files: 0, hash: hashOnly ? require('node:crypto').createHash('sha256') : null };
  for (let s of srcs) {
    const rel = path.posix.normalize(s.replace(/^\/+/, '')).replace(/\/+$/, '') || '.';
    if (rel.startsWith('..')) die(`COPY ${s}: outside the build context`);
    const src = path.join(context, rel);
    if (!fs.existsSync(src)) die(`COPY ${s}: not found in the build context`);
    const isDir = fs.lstatSync(src).isDirectory();
    if (!isDir && excluded(pats, rel)) die(`COPY ${s}: excluded by .dockerignore`);
    const before = stats.files;
    if (isDir) {
      if (!hashOnly) mkdirInRoot(root, dest);
      copyEntry(pats, context, rel, root, dest, stats);
    } else {
      const h = hashOnly ? null : resolveInRoot(root, dest);
      const into = destIsDir || (h !== null && fs.existsSync(h) && fs.statSync(h).isDirectory());
      copyEntry(pats, context, rel, root, into ? path.posix.join(dest, path.posix.basename(rel)) : dest, stats);
    }
    if (stats.files === before && excluded(pats, rel)) die(`COPY ${s}: excluded by .dockerignore`);
  }
  process.stdout.write(hashOnly ? `${stats.files} ${stats.hash.digest('hex')}\n` : `${stats.files} files\n`);
}

// ---- network checks ----

function cmdFreePort() {
  const net = require('node:net');
  const srv = net.createServer();
  srv.listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    srv.close(() => process.stdout.write(`${port}\n`));
  });
}

async function cmdWsLogin([httpUrl, adminKey, room, user, token]) {
  const root = path.resolve(__dirname, '..');
  let WebSocket;
  try {
    WebSocket = require(require.resolve('ws', { paths: [path.join(root, 'tests/integration')] }));
  } catch {
    die('the "ws" package is missing: run `cd tests/integration && npm ci`');
  }
  const wsUrl = httpUrl.replace(/^http/, 'ws') + '/ws';
  const timer = setTimeout(() => die(`no login response from ${wsUrl} within 10 s`), 10000);
  const ws = new WebSocket(wsUrl);
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  }).catch((e) => die(`cannot connect to ${wsUrl}: ${e.message}`));
  const reply = new Promise((res) => {
    ws.on('message', (d) => {
      let m;
      try {
        m = JSON.parse(d.toString());
      } catch {
        die(`non-JSON message: ${d.toString().slice(0, 200)}`);
      }
      if (m.type === 'response' && m.id === 1) res(m);
    });
  });
  ws.on('close', (code) => die(`socket closed (${code}) before the login response`));
  ws.send(JSON.stringify({
    v: 1, id: 1, type: 'login', room_id: room, token, user: { user_id: user, user_name: `check ${user}` },
  }));
  const m = await reply;
  clearTimeout(timer);
  if (m.ok !== true) die(`login refused: ${JSON.stringify(m).slice(0, 300)}`);
  const r = await fetch(`${httpUrl}/v1/rooms/${encodeURIComponent(room)}`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const body = await r.text();
  let detail = null;
  try {
    detail = JSON.parse(body);
  } catch {
    /* checked below */
  }
  const users = (detail && detail.users) || [];
  if (r.status !== 200 || !users.some((u) => u.user_id === user)) {
    die(`GET /v1/rooms/${room} after login: ${r.status} ${body.slice(0, 300)}`);
  }
  ws.removeAllListeners('close');
  await new Promise((res) => {
    ws.once('close', res);
    ws.close(1000);
    setTimeout(res, 3000);
  });
  process.stdout.write(`login ok; GET /v1/rooms/${room} lists ${users.map((u) => u.user_id).join(', ')}\n`);
}

function cmdSipListen([port, seconds]) {
  const sock = require('node:dgram').createSocket('udp4');
  const t = setTimeout(() => die(`no SIP request on udp 127.0.0.1:${port} within ${seconds} s`), Number(seconds) * 1000);
  sock.on('message', (msg) => {
    const first = msg.toString('latin1').split('\r\n')[0];
    if (!/^[A-Z]+ sip:\S+ SIP\/2\.0$/.test(first)) return;
    clearTimeout(t);
    process.stdout.write(`${first}\n`);
    sock.close();
  });
  sock.bind(Number(port), '127.0.0.1');
}

const [, , sub, ...argv] = process.argv;
switch (sub) {
  case 'plan': {
    const stages = parseDockerfile(argv[0]);
    const i = pickStage(stages, argv[1]);
    const s = stages[i];
    const out = [`df STAGE ${q(i)} ${q(s.name)} ${q(s.image)}`];
    for (const ins of s.instrs) out.push('df ' + planWords(ins).map(q).join(' '));
    process.stdout.write(out.join('\n') + '\n');
    break;
  }
  case 'stages':
    parseDockerfile(argv[0]).forEach((s, i) => process.stdout.write(`${i}|${s.name}|${s.image}\n`));
    break;
  case 'copy':
    cmdCopy(argv);
    break;
  case 'hash':
    cmdCopy([argv[0], null, '/', '/', ...argv.slice(1)]);
    break;
  case 'mkdir':
    for (const p of argv.slice(1)) mkdirInRoot(argv[0], p);
    break;
  case 'free-port':
    cmdFreePort();
    break;
  case 'ws-login':
    cmdWsLogin(argv).catch((e) => die(e.stack || String(e)));
    break;
  case 'sip-listen':
    cmdSipListen(argv);
    break;
  default:
    die('usage: check-helper.js plan|stages|copy|hash|mkdir|free-port|ws-login|sip-listen ...');
}
