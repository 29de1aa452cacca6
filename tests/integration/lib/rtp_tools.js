// Real RTP peers for the media tests: GStreamer pipelines that send a tone
// or receive and record, and sox measurements of what arrived.
'use strict';
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');

// Encoder/payloader and depayloader/decoder per codec, with the raw caps
// each needs (the tone is made at 48 kHz and resampled).
const CODECS = {
  opus: { rate: 48000, enc: 'opusenc bitrate=32000 inband-fec=true packet-loss-percentage=5 ! rtpopuspay pt=111', caps: 'encoding-name=OPUS,clock-rate=48000,payload=111', dec: 'rtpopusdepay ! opusdec plc=true' },
  pcmu: { rate: 8000, enc: 'mulawenc ! rtppcmupay pt=0', caps: 'encoding-name=PCMU,clock-rate=8000,payload=0', dec: 'rtppcmudepay ! mulawdec' },
  pcma: { rate: 8000, enc: 'alawenc ! rtppcmapay pt=8', caps: 'encoding-name=PCMA,clock-rate=8000,payload=8', dec: 'rtppcmadepay ! alawdec' },
  g722: { rate: 16000, enc: 'avenc_g722 ! rtpg722pay pt=9', caps: 'encoding-name=G722,clock-rate=8000,payload=9', dec: 'rtpg722depay ! avdec_g722' },
};

function gst(args, log) {
  const p = spawn('gst-launch-1.0', ['-q', '-e', ...args.split(/\s+/).filter(Boolean)], { stdio: ['ignore', 'pipe', 'pipe'] });
  p.out = '';
  p.stdout.on('data', (d) => { p.out += d; });
  p.stderr.on('data', (d) => { p.out += d; });
  if (log) p.on('exit', (c) => { if (c) log(`gst-launch exited ${c}: ${p.out}`); });
  return p;
}

// Sends a sine of freq Hz (volume 0..1) as RTP in codec to host:port for seconds.
function sendTone(codec, freq, port, { seconds = 10, volume = 0.5, bindPort = 0, host = '127.0.0.1' } = {}) {
  const c = CODECS[codec];
  const bind = bindPort ? `bind-port=${bindPort}` : '';
  return gst(`audiotestsrc wave=sine freq=${freq} volume=${volume} is-live=true num-buffers=${Math.round(seconds * 100)} samplesperbuffer=480 ! audio/x-raw,rate=48000,channels=1 ! audioresample ! audioconvert ! audio/x-raw,rate=${c.rate},channels=1 ! ${c.enc} ! udpsink host=${host} port=${port} ${bind} sync=true`);
}

// Receives RTP in codec on port and writes a 48 kHz mono WAV; stop() ends it
// with EOS (the WAV header is finalised) and resolves when the file is done.
function recordRtp(codec, port, wav) {
  const c = CODECS[codec];
  const p = gst(`udpsrc port=${port} caps=application/x-rtp,media=audio,${c.caps} ! rtpjitterbuffer latency=60 ! ${c.dec} ! audioconvert ! audioresample ! audio/x-raw,rate=48000,channels=1 ! wavenc ! filesink location=${wav}`);
  p.stop = () => new Promise((resolve) => {
    if (p.exitCode !== null) return resolve(p.exitCode);
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    p.on('exit', (code) => { clearTimeout(t); resolve(code); });
    p.kill('SIGINT');
  });
  return p;
}

function soxStat(wav, effects = []) {
  const r = spawnSync('sox', [wav, '-n', 'remix', '1', ...effects, 'stat'], { encoding: 'utf8' });
  const num = (re) => { const m = re.exec(r.stderr); return m ? Number(m[1]) : NaN; };
  return {
    freq: num(/Rough\s+frequency:\s+(-?\d+)/),
    rms: num(/RMS\s+amplitude:\s+([\d.e-]+)/),
    len: num(/Length \(seconds\):\s+([\d.]+)/),
    text: r.stderr,
  };
}

// 16-bit PCM samples of a WAV file (first channel), and its rate.
function readWav(file) {
  const b = fs.readFileSync(file);
  let off = 12, rate = 48000, ch = 1;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    let size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') { ch = b.readUInt16LE(off + 10); rate = b.readUInt32LE(off + 12); }
    if (id === 'data') {
      if (size === 0 || off + 8 + size > b.length) size = b.length - off - 8; // unfinished header
      const n = Math.floor(size / 2 / ch);
      const x = new Float64Array(n);
      for (let i = 0; i < n; i++) x[i] = b.readInt16LE(off + 8 + i * 2 * ch) / 32768;
      return { x, rate };
    }
    off += 8 + size + (size & 1);
  }
  return { x: new Float64Array(0), rate };
}

// RMS amplitude of the component at f Hz (Goertzel over Hann-windowed
// blocks of 0.1 s, averaged), after skipping `trim` seconds.
function toneRms(w, f, trim = 0.5) {
  const N = Math.round(w.rate / 10), start = Math.round(trim * w.rate);
  let sum = 0, blocks = 0;
  const k = 2 * Math.cos(2 * Math.PI * f / w.rate);
  for (let o = start; o + N <= w.x.length; o += N) {
    let s1 = 0, s2 = 0;
    for (let i = 0; i < N; i++) {
      const win = 0.5 - 0.5 * Math.cos(2 * Math.PI * i / (N - 1));
      const s0 = w.x[o + i] * win + k * s1 - s2;
      s2 = s1; s1 = s0;
    }
    const mag = Math.sqrt(s1 * s1 + s2 * s2 - k * s1 * s2);
    sum += (2 * mag / (N * 0.5)) / Math.SQRT2; // Hann coherent gain 0.5
    blocks++;
  }
  return blocks ? sum / blocks : 0;
}

// Which of the tones (Hz) are present: the RMS of each, and sox's stat.
function tones(wav, freqs = [440, 1000], trim = 0.5) {
  const w = readWav(wav);
  const out = { all: soxStat(wav, ['trim', String(trim)]) };
  for (const f of freqs) out[f] = Number(toneRms(w, f, trim).toFixed(4));
  return out;
}

function fileSize(p) {
  try { return fs.statSync(p).size; } catch { return 0; }
}

module.exports = { CODECS, gst, sendTone, recordRtp, soxStat, readWav, toneRms, tones, fileSize };
