// An independent token04 generator (zego-compat.md §4) with node's crypto,
// used to craft tokens the CLI cannot make: expired, other app, CBC, etc.
'use strict';
const crypto = require('node:crypto');

function payload({ room = '', login = 1, publish = 1, streams = null } = {}) {
  return JSON.stringify({ room_id: room, privilege: { 1: login, 2: publish }, stream_id_list: streams });
}

// fields: appId, userId, secret, ctime, expire, nonce, payload, mode ('gcm'|'cbc'),
// headerExpire (defaults to expire), raw (JSON plaintext override)
function make(f) {
  const now = Math.floor(Date.now() / 1000);
  const ctime = f.ctime ?? now;
  const expire = f.expire ?? ctime + 3600;
  const plain = f.raw ?? JSON.stringify({
    app_id: f.appId, user_id: f.userId, nonce: f.nonce ?? 12345, ctime, expire, payload: f.payload ?? '',
  });
  const key = Buffer.from(f.secret, 'ascii');
  let iv, ct;
  if ((f.mode || 'gcm') === 'gcm') {
    iv = crypto.randomBytes(12);
    const c = crypto.createCipheriv('aes-256-gcm', key, iv);
    ct = Buffer.concat([c.update(plain, 'utf8'), c.final(), c.getAuthTag()]);
  } else {
    iv = crypto.randomBytes(16);
    const c = crypto.createCipheriv('aes-256-cbc', key, iv);
    ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  }
  const head = Buffer.alloc(8);
  head.writeBigInt64BE(BigInt(f.headerExpire ?? expire));
  const u16 = (n) => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
  const parts = [head, u16(iv.length), iv, u16(ct.length), ct];
  if ((f.mode || 'gcm') === 'gcm') parts.push(Buffer.from([1]));
  return '04' + Buffer.concat(parts).toString('base64');
}

module.exports = { make, payload };
