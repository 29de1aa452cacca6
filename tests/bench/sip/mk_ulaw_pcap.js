#!/usr/bin/env node
// Writes a pcap (Ethernet, IPv4, UDP) of one RTP stream of PCMU (G.711
// µ-law, payload type 0, 8 kHz, 20 ms packets) carrying a sine tone, for
// SIPp's <exec play_pcap_audio=...>. SIPp rewrites the addresses and ports;
// it keeps the RTP header and the packets' timing from the capture.
//
// Usage: node mk_ulaw_pcap.js OUT.pcap [SECONDS=60] [FREQ_HZ=440] [LEVEL=0.25]
'use strict';
const fs = require('node:fs');

const RATE = 8000, PTIME_MS = 20, SAMPLES = RATE * PTIME_MS / 1000;

// G.711 µ-law of one 16-bit sample (ITU-T G.711, with the bias of 0x84).
function ulaw(sample) {
  const BIAS = 0x84, CLIP = 32635;
  let sign = 0;
  if (sample < 0) { sign = 0x80; sample = -sample; }
  if (sample > CLIP) sample = CLIP;
  sample += BIAS;
  let exp = 7;
  for (let mask = 0x4000; exp > 0 && !(sample & mask); mask >>= 1) exp--;
  const mant = (sample >> (exp + 3)) & 0x0f;
  return ~(sign | (exp << 4) | mant) & 0xff;
}

function ipChecksum(b) {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += b.readUInt16BE(i);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

function packet(seq, ts, ssrc, payload) {
  const rtp = Buffer.alloc(12 + payload.length);
  rtp[0] = 0x80;
  rtp[1] = 0; // PT 0 (PCMU), no marker
  rtp.writeUInt16BE(seq & 0xffff, 2);
  rtp.writeUInt32BE(ts >>> 0, 4);
  rtp.writeUInt32BE(ssrc >>> 0, 8);
  payload.copy(rtp, 12);
  const udp = Buffer.alloc(8);
  udp.writeUInt16BE(6000, 0); // placeholders: SIPp replaces both ports
  udp.writeUInt16BE(6000, 2);
  udp.writeUInt16BE(8 + rtp.length, 4);
  udp.writeUInt16BE(0, 6); // SIPp computes the checksum
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 8 + rtp.length, 2);
  ip[8] = 64; // TTL
  ip[9] = 17; // UDP
  Buffer.from([127, 0, 0, 1]).copy(ip, 12);
  Buffer.from([127, 0, 0, 1]).copy(ip, 16);
  ip.writeUInt16BE(ipChecksum(ip), 10);
  const eth = Buffer.alloc(14);
  eth.writeUInt16BE(0x0800, 12);
  return Buffer.concat([eth, ip, udp, rtp]);
}

function main() {
  const [out, secs = '60', freq = '440', level = '0.25'] = process.argv.slice(2);
  if (!out) {
    console.error('usage: mk_ulaw_pcap.js OUT.pcap [SECONDS] [FREQ_HZ] [LEVEL 0..1]');
    process.exit(2);
  }
  const n = Math.ceil(Number(secs) * 1000 / PTIME_MS);
  const f = Number(freq), amp = Number(level) * 32767, ssrc = 0x5eed1234;
  const parts = [];
  const gh = Buffer.alloc(24); // pcap global header: v2.4, snaplen 65535, DLT_EN10MB
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(65535, 16);
  gh.writeUInt32LE(1, 20);
  parts.push(gh);
  for (let k = 0; k < n; k++) {
    const pl = Buffer.alloc(SAMPLES);
    for (let i = 0; i < SAMPLES; i++) {
      const t = (k * SAMPLES + i) / RATE;
      pl[i] = ulaw(Math.round(amp * Math.sin(2 * Math.PI * f * t)));
    }
    const p = packet(k, k * SAMPLES, ssrc, pl);
    const ph = Buffer.alloc(16);
    const us = k * PTIME_MS * 1000;
    ph.writeUInt32LE(Math.floor(us / 1e6), 0);
    ph.writeUInt32LE(us % 1e6, 4);
    ph.writeUInt32LE(p.length, 8);
    ph.writeUInt32LE(p.length, 12);
    parts.push(ph, p);
  }
  fs.writeFileSync(out, Buffer.concat(parts));
}

main();
