/*!
 * roomgate web SDK: the ZEGO Express Web API shape (audio rooms) over roomgate's
 * WebSocket protocol (docs/protocol.md). Plain modern JavaScript, no build step.
 *
 * Loading:
 *   <script src="/sdk/roomgate-web.js"></script>      -> window.ZegoExpressEngine
 *   import { ZegoExpressEngine } from '/sdk/roomgate-web.mjs';
 * The .mjs file imports this one, so this file is the only implementation.
 *
 * See docs/web-sdk.md for what is supported and how it differs from ZEGO's SDK.
 */
(function (root) {
  'use strict';

  if (root.ZegoExpressEngine && root.ZegoExpressEngine.__roomgate) return; // loaded twice

  const VERSION = 'roomgate-web-1.0.0';
  const PROTO_V = 1;

  // ---- constants ---------------------------------------------------------

  const ERR = {
    ROOM_COUNT_EXCEEDED: 1002001,
    USER_ID_EMPTY: 1002005,
    ROOM_ID_EMPTY: 1002011,
    LOGIN_TIMEOUT: 1002031,
    RECONNECT_FAILED: 1002053,
    KICKED: 1002055,
    NOT_LOGGED_IN: 1000002,
    INVALID_PARAM: 1000002,
    STREAM_ID_EMPTY: 1000015,
    PLAY_NOT_FOUND: 1004039,
    ICE_FAILED: 1103028,
    NEGOTIATION_TIMEOUT: 1103030,
    WS_DISCONNECTED: 1103050,
    GUM_FAILED: 1103061,
    GUM_NOT_ALLOWED: 1103064,
    GUM_BUSY: 1103065,
    GUM_CONSTRAINTS: 1103066,
    TOKEN_INVALID: 1102016,
    TOKEN_EXPIRED: 1102018,
    TOKEN_USER_MISMATCH: 1002077,
  };
  // Login errors that a new attempt with the same token cannot fix.
  const FATAL_LOGIN = new Set([ERR.TOKEN_INVALID, ERR.TOKEN_EXPIRED, ERR.TOKEN_USER_MISMATCH,
    1002005, 1002006, 1002007, 1002011, 1002012, 1002013]);

  const CLOSE_KICKED = 4000;
  const CLOSE_SESSION_GONE = 4001;
  const CLOSE_LOGIN_TIMEOUT = 4002;
  const CLOSE_STALE = 4003;
  const CLOSE_RESUMING = 4100;   // we close a dead link and will resume (docs/protocol.md)

  const REQUEST_TIMEOUT_MS = 10000;
  const CONNECT_TIMEOUT_MS = 8000;
  const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000];
  const RECONNECT_GIVE_UP_MS = 60000;
  const QUALITY_INTERVAL_MS = 3000;
  const NEGOTIATION_TIMEOUT_MS = 15000;
  const TOKEN_WARN_S = 30;

  const LOG_LEVELS = { debug: 0, info: 1, warn: 2, error: 3, report: 4, disable: 5 };
  let logLevel = LOG_LEVELS.warn;
  function log(level, ...args) {
    if (LOG_LEVELS[level] < logLevel) return;
    const fn = (root.console && (root.console[level] || root.console.log)) || function () {};
    fn.call(root.console, '[roomgate]', ...args);
  }

  function zegoError(code, msg, extra) {
    const e = { code: code, msg: msg || '' };
    if (extra) Object.assign(e, extra);
    return e;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  function fireTrackEvent(stream, type, track) {
    try {
      stream.dispatchEvent(new root.MediaStreamTrackEvent(type, { track: track }));
    } catch (e) {
      log('debug', `cannot fire ${type}:`, e);
    }
  }

  // ---- server URL --------------------------------------------------------

  // "ws://host:port/ws" / "wss://..." are used as given (a missing path gets
  // "/ws"). Any other string, and ZEGO's own *.zego.im addresses, mean
  // "this page's origin": ws(s)://<page host>/ws.
  function resolveServer(server) {
    const loc = root.location;
    const sameOrigin = () => {
      if (!loc || !loc.host) return 'ws://127.0.0.1:8080/ws';
      return (loc.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + loc.host + '/ws';
    };
    if (typeof server !== 'string' || !/^wss?:\/\//i.test(server.trim())) return sameOrigin();
    let u;
    try { u = new URL(server.trim()); } catch (e) { return sameOrigin(); }
    if (/(^|\.)zego\.im$/i.test(u.hostname)) return sameOrigin();
    if (u.pathname === '' || u.pathname === '/') u.pathname = '/ws';
    return u.toString();
  }

  // ---- conversions ---------------------------------------------------------

  function toZegoUser(u) {
    return { userID: String(u.user_id), userName: u.user_name == null ? '' : String(u.user_name) };
  }

  function toZegoStream(s) {
    return {
      streamID: String(s.stream_id),
      user: toZegoUser(s.user || {}),
      extraInfo: s.extra_info == null ? '' : String(s.extra_info),
      urlsFLV: [], urlsRTMP: [], urlsHLS: [], urlsHttpsFLV: [], urlsHttpsHLS: [],
    };
  }

  function decodeTokenExpire(token) {
    // token04: "04" + base64(expire int64 BE | ...). Only the clear header is read.
    try {
      if (typeof token !== 'string' || token.slice(0, 2) !== '04') return 0;
      const bin = root.atob(token.slice(2, 14));
      let v = 0;
      for (let i = 0; i < 8; i++) v = v * 256 + bin.charCodeAt(i);
      return v;
    } catch (e) {
      return 0;
    }
  }

  // ---- a tiny event emitter ------------------------------------------------

  class Emitter {
    constructor() { this._handlers = new Map(); }
    on(event, cb) {
      if (typeof event !== 'string' || typeof cb !== 'function') return false;
      if (!this._handlers.has(event)) this._handlers.set(event, []);
      this._handlers.get(event).push(cb);
      return true;
    }
    off(event, cb) {
      const list = this._handlers.get(event);
      if (!list) return false;
      if (cb === undefined) { this._handlers.delete(event); return true; }
      const i = list.indexOf(cb);
      if (i < 0) return false;
      list.splice(i, 1);
      return true;
    }
    emit(event, ...args) {
      const list = this._handlers.get(event);
      log('debug', 'event', event, ...args);
      if (!list) return;
      for (const cb of list.slice()) {
        try {
          cb(...args);
        } catch (e) {
          log('error', `a "${event}" handler threw:`, e);
        }
      }
    }
  }

  // ---- media elements ------------------------------------------------------

  function resolveElement(el) {
    if (typeof el === 'string') return root.document.getElementById(el);
    return el || null;
  }

  function startElement(media, emitter) {
    const p = media.play && media.play();
    if (p && typeof p.catch === 'function') {
      p.catch((e) => {
        log('warn', 'autoplay failed:', e && e.name);
        if (emitter) emitter.emit('autoplayFailed', e);
      });
    }
  }

  function makeAudioElement(stream, volume) {
    const a = root.document.createElement('audio');
    a.autoplay = true;
    a.setAttribute('playsinline', '');
    a.srcObject = stream;
    if (typeof volume === 'number') a.volume = Math.max(0, Math.min(1, volume / 100));
    return a;
  }

  // A view of a remote stream: createRemoteStreamView(mediaStream).
  class RemoteStreamView extends Emitter {
    constructor(stream) {
      super();
      this.stream = stream;
      this._el = null;
      this._audioEl = null;
    }
    // Renders into a container (element or its id). For audio-only streams
    // an <audio> element is created inside the container.
    play(container, options) {
      const host = resolveElement(container);
      if (!host) { log('error', 'createRemoteStreamView().play: no such element', container); return false; }
      this.stop();
      const hasVideo = this.stream.getVideoTracks && this.stream.getVideoTracks().length > 0;
      const el = root.document.createElement(hasVideo ? 'video' : 'audio');
      el.autoplay = true;
      el.setAttribute('playsinline', '');
      if (hasVideo) {
        el.style.width = '100%';
        el.style.height = '100%';
        el.style.objectFit = (options && options.objectFit) || 'cover';
      }
      el.srcObject = this.stream;
      host.appendChild(el);
      this._el = el;
      startElement(el, this);
      return true;
    }
    // Plays the audio without a visible element.
    playAudio(options) {
      this.stopAudio();
      const a = makeAudioElement(this.stream, options && options.volume);
      a.style.display = 'none';
      (root.document.body || root.document.documentElement).appendChild(a);
      this._audioEl = a;
      startElement(a, this);
      return true;
    }
    resume() {
      if (this._el) startElement(this._el, this);
      if (this._audioEl) startElement(this._audioEl, this);
      return Promise.resolve();
    }
    setAudioOutputDevice(deviceID) {
      const els = [this._el, this._audioEl].filter((e) => e && e.setSinkId);
      return Promise.all(els.map((e) => e.setSinkId(deviceID))).then(() => true);
    }
    stopAudio() {
      if (this._audioEl) {
        this._audioEl.pause();
        this._audioEl.srcObject = null;
        this._audioEl.remove();
        this._audioEl = null;
      }
    }
    stop() {
      if (this._el) {
        this._el.pause();
        this._el.srcObject = null;
        this._el.remove();
        this._el = null;
      }
      this.stopAudio();
    }
  }

  // createZegoStream() returns a MediaStream subclass, so it works wherever a
  // MediaStream does (audioEl.srcObject = localStream) and has ZEGO's
  // ZegoLocalStream methods used by pages: playAudio(), stopAudio(),
  // playVideo(), stopVideo(), stopCaptureAudio(), stopCaptureVideo(), .stream.
  let LocalStreamClass = null;
  function localStreamClass() {
    if (LocalStreamClass) return LocalStreamClass;
    LocalStreamClass = class ZegoLocalStream extends root.MediaStream {
      constructor(tracks) {
        super(tracks);
        this._view = new RemoteStreamView(this);
      }
      get stream() { return this; }
      playAudio(options) { return this._view.playAudio(options); }
      stopAudio() { this._view.stopAudio(); }
      playVideo(container, options) { return this._view.play(container, options); }
      stopVideo() {
        if (this._view._el) {
          this._view._el.pause();
          this._view._el.srcObject = null;
          this._view._el.remove();
          this._view._el = null;
        }
      }
      stopCaptureAudio() { this.getAudioTracks().forEach((t) => t.stop()); }
      stopCaptureVideo() { this.getVideoTracks().forEach((t) => t.stop()); }
      on(event, cb) { return this._view.on(event, cb); }
      off(event, cb) { return this._view.off(event, cb); }
      _dispose() {
        this._view.stop();
        this.getTracks().forEach((t) => t.stop());
      }
    };
    return LocalStreamClass;
  }

  function gumError(e) {
    const name = e && e.name;
    if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') {
      return zegoError(ERR.GUM_NOT_ALLOWED, 'permission to capture was denied', { name: name });
    }
    if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') {
      return zegoError(ERR.GUM_BUSY, 'the device is busy or could not start', { name: name });
    }
    if (name === 'OverconstrainedError' || name === 'ConstraintNotSatisfiedError' || name === 'TypeError') {
      return zegoError(ERR.GUM_CONSTRAINTS, 'bad capture constraints' + (e.constraint ? ': ' + e.constraint : ''), { name: name });
    }
    return zegoError(ERR.GUM_FAILED, 'getUserMedia failed: ' + ((e && (e.message || e.name)) || String(e)), { name: name });
  }

  function audioConstraints(cam) {
    const a = cam.audio;
    const c = typeof a === 'object' && a ? Object.assign({}, a) : {};
    if (cam.audioInput) c.deviceId = { exact: cam.audioInput };
    if (typeof cam.AEC === 'boolean') c.echoCancellation = cam.AEC;
    if (typeof cam.ANS === 'boolean') c.noiseSuppression = cam.ANS;
    if (typeof cam.AGC === 'boolean') c.autoGainControl = cam.AGC;
    if (cam.channelCount) c.channelCount = cam.channelCount;
    return Object.keys(c).length ? c : true;
  }

  function videoConstraints(cam) {
    const v = cam.video;
    const c = typeof v === 'object' && v ? Object.assign({}, v) : {};
    if (cam.videoInput) c.deviceId = { exact: cam.videoInput };
    if (cam.width) c.width = cam.width;
    if (cam.height) c.height = cam.height;
    if (cam.frameRate) c.frameRate = cam.frameRate;
    if (cam.facingMode) c.facingMode = cam.facingMode;
    return Object.keys(c).length ? c : true;
  }

  // ---- quality statistics --------------------------------------------------

  function emptyVideoStats() {
    return {
      videoBitrate: 0, videoFPS: 0, videoTransferFPS: 0, videoPacketsLost: 0, videoPacketsLostRate: 0,
      videoQuality: 0, frameHeight: 0, frameWidth: 0, googCodecName: '', videoCodec: '', muteState: '1',
    };
  }

  // ZEGO's audioQuality: -1 unknown, 0 excellent, 1 good, 2 medium, 3 poor, 4 very poor.
  function qualityOf(lossRate, rttMs) {
    if (lossRate == null || !isFinite(lossRate)) return -1;
    const rtt = rttMs == null || !isFinite(rttMs) ? 0 : rttMs;
    if (lossRate < 0.01 && rtt < 150) return 0;
    if (lossRate < 0.03 && rtt < 300) return 1;
    if (lossRate < 0.08 && rtt < 500) return 2;
    if (lossRate < 0.15 && rtt < 800) return 3;
    return 4;
  }

  function collectStats(report) {
    const byType = {};
    const byId = new Map();
    report.forEach((s) => {
      byId.set(s.id, s);
      (byType[s.type] = byType[s.type] || []).push(s);
    });
    const audio = (list) => (list || []).find((s) => (s.kind || s.mediaType) === 'audio');
    let pair = null;
    (byType.transport || []).forEach((t) => { if (t.selectedCandidatePairId) pair = byId.get(t.selectedCandidatePairId); });
    if (!pair) pair = (byType['candidate-pair'] || []).find((p) => p.nominated && p.state === 'succeeded') || null;
    return { byType, byId, audio, pair };
  }

  function codecName(st, byId) {
    const c = st && st.codecId ? byId.get(st.codecId) : null;
    if (!c || !c.mimeType) return 'opus';
    return c.mimeType.replace(/^audio\//i, '').toLowerCase();
  }

  // prev: the previous sample of this leg ({t, bytes, packets, lost, ...}).
  function publishStats(report, prev, muted) {
    const { byType, byId, audio, pair } = collectStats(report);
    const out = audio(byType['outbound-rtp']);
    const rin = audio(byType['remote-inbound-rtp']);
    const src = audio(byType['media-source']);
    const now = out ? out.timestamp : Date.now();
    const cur = {
      t: now,
      bytes: out ? out.bytesSent || 0 : 0,
      packets: out ? out.packetsSent || 0 : 0,
      lost: rin ? Math.max(0, rin.packetsLost || 0) : 0,
    };
    const dt = prev && now > prev.t ? (now - prev.t) / 1000 : 0;
    const dPackets = prev ? Math.max(0, cur.packets - prev.packets) : 0;
    const dLost = prev ? Math.max(0, cur.lost - prev.lost) : 0;
    const lossRate = rin && typeof rin.fractionLost === 'number' ? rin.fractionLost
      : (dPackets + dLost > 0 ? dLost / (dPackets + dLost) : (out ? 0 : null));
    const rttS = pair && typeof pair.currentRoundTripTime === 'number' ? pair.currentRoundTripTime
      : (rin && typeof rin.roundTripTime === 'number' ? rin.roundTripTime : 0);
    const stats = {
      video: emptyVideoStats(),
      audio: {
        audioBitrate: dt ? Math.round(((cur.bytes - prev.bytes) * 8) / dt / 10) / 100 : 0,
        audioCodec: codecName(out, byId),
        audioFPS: dt ? Math.round((dPackets / dt) * 10) / 10 : 0,
        audioPacketsLost: cur.lost,
        audioPacketsLostRate: lossRate == null ? 0 : Math.round(lossRate * 10000) / 100,
        audioQuality: out ? qualityOf(lossRate, rttS * 1000) : -1,
        audioSendLevel: src && typeof src.audioLevel === 'number' ? src.audioLevel : 0,
        googCodecName: codecName(out, byId),
        muteState: muted ? '1' : '0',
      },
      nackCount: out ? out.nackCount || 0 : 0,
      pliCount: 0,
      currentRoundTripTime: Math.round(rttS * 1000),
      totalRoundTripTime: pair && typeof pair.totalRoundTripTime === 'number' ? pair.totalRoundTripTime : 0,
    };
    return { stats, sample: cur, level: src && typeof src.audioLevel === 'number' ? src.audioLevel : 0 };
  }

  function playStats(report, prev) {
    const { byType, byId, audio, pair } = collectStats(report);
    const inb = audio(byType['inbound-rtp']);
    const now = inb ? inb.timestamp : Date.now();
    const cur = {
      t: now,
      bytes: inb ? inb.bytesReceived || 0 : 0,
      packets: inb ? inb.packetsReceived || 0 : 0,
      lost: inb ? Math.max(0, inb.packetsLost || 0) : 0,
      samples: inb ? inb.totalSamplesReceived || 0 : 0,
      concealed: inb ? inb.concealedSamples || 0 : 0,
      silentConcealed: inb ? inb.silentConcealedSamples || 0 : 0,
    };
    const dt = prev && now > prev.t ? (now - prev.t) / 1000 : 0;
    const dPackets = prev ? Math.max(0, cur.packets - prev.packets) : 0;
    const dLost = prev ? Math.max(0, cur.lost - prev.lost) : 0;
    const lossRate = dPackets + dLost > 0 ? dLost / (dPackets + dLost) : (inb && prev ? 0 : null);
    const rttS = pair && typeof pair.currentRoundTripTime === 'number' ? pair.currentRoundTripTime : 0;
    const sampleRate = inb && inb.codecId && byId.get(inb.codecId) ? byId.get(inb.codecId).clockRate || 48000 : 48000;
    const concealed = inb ? Math.max(0, cur.concealed - cur.silentConcealed) : 0;
    const level = inb && typeof inb.audioLevel === 'number' ? inb.audioLevel : 0;
    const stats = {
      video: emptyVideoStats(),
      audio: {
        audioBitrate: dt ? Math.round(((cur.bytes - prev.bytes) * 8) / dt / 10) / 100 : 0,
        audioCodec: codecName(inb, byId),
        audioFPS: dt ? Math.round((dPackets / dt) * 10) / 10 : 0,
        audioJitter: inb && typeof inb.jitter === 'number' ? Math.round(inb.jitter * 1000) : 0,
        audioLevel: level,
        audioPacketsLost: cur.lost,
        audioPacketsLostRate: lossRate == null ? 0 : Math.round(lossRate * 10000) / 100,
        audioQuality: inb ? qualityOf(lossRate, rttS * 1000) : -1,
        audioSamplingRate: sampleRate,
        audioSendLevel: 0,
        googCodecName: codecName(inb, byId),
        muteState: dPackets === 0 && prev ? '1' : '0',
        audioCumulativeDecodeTime: cur.samples ? Math.round((cur.samples / sampleRate) * 1000) : 0,
        audioCumulativeBreakTime: Math.round((concealed / sampleRate) * 1000),
        audioCumulativeBreakRate: cur.samples ? Math.round((concealed / cur.samples) * 10000) / 100 : 0,
      },
      peerToPeerDelay: Math.round(rttS * 1000),
      peerToPeerPacketLostRate: lossRate == null ? 0 : lossRate,
      nackCount: inb ? inb.nackCount || 0 : 0,
      pliCount: 0,
      currentRoundTripTime: Math.round(rttS * 1000),
      totalRoundTripTime: pair && typeof pair.totalRoundTripTime === 'number' ? pair.totalRoundTripTime : 0,
    };
    return { stats, sample: cur, level };
  }

  // ---- the engine ----------------------------------------------------------

  class ZegoExpressEngine extends Emitter {
    constructor(appID, server, options) {
      super();
      this.appID = appID;
      this._url = resolveServer(server);
      this._options = options || {};
      this._iceServers = Array.isArray(this._options.iceServers) ? this._options.iceServers : [];
      this._ws = null;
      this._nextId = 1;
      this._pending = new Map();
      this._room = null; // {roomID, token, user, userUpdate, state, ...}
      this._publishers = new Map(); // streamID -> leg
      this._players = new Map(); // streamID -> leg
      this._legs = new Map(); // leg_id -> leg
      this._earlyCandidates = new Map(); // leg_id -> [candidate msgs] seen before the answer
      this._qualityTimer = null;
      this._soundLevel = { enabled: false, interval: 1000, timer: null };
      this._destroyed = false;
      this._onPageHide = () => this._pageHide();
      this._onOnline = () => this._networkOnline();
      if (root.addEventListener) {
        root.addEventListener('pagehide', this._onPageHide);
        root.addEventListener('online', this._onOnline);
      }
      log('info', `engine created, server ${this._url}`);
    }

    static getVersion() { return VERSION; }
    getVersion() { return VERSION; }
    setLogConfig(config) {
      const lvl = config && config.logLevel;
      if (lvl in LOG_LEVELS) logLevel = LOG_LEVELS[lvl];
      return true;
    }
    setDebugVerbose() { return true; }

    // ---- capability detection ----

    async checkSystemRequirements(type) {
      const errInfo = {};
      const nav = root.navigator || {};
      const md = nav.mediaDevices;
      const webRTC = typeof root.RTCPeerConnection === 'function';
      if (!webRTC) errInfo.webRTC = 'RTCPeerConnection is not available';
      const customCapture = !!(root.HTMLMediaElement && (root.HTMLMediaElement.prototype.captureStream ||
        root.HTMLMediaElement.prototype.mozCaptureStream)) ||
        !!(root.HTMLCanvasElement && root.HTMLCanvasElement.prototype.captureStream);
      if (!customCapture) errInfo.customCapture = 'captureStream() is not available';
      let camera = false;
      let microphone = false;
      if (md && typeof md.getUserMedia === 'function' && typeof md.enumerateDevices === 'function') {
        try {
          const devices = await md.enumerateDevices();
          camera = devices.some((d) => d.kind === 'videoinput');
          microphone = devices.some((d) => d.kind === 'audioinput');
          if (!camera) errInfo.camera = 'no camera found';
          if (!microphone) errInfo.microphone = 'no microphone found';
        } catch (e) {
          errInfo.camera = errInfo.microphone = 'enumerateDevices failed: ' + (e && e.name);
        }
      } else {
        errInfo.camera = errInfo.microphone = 'navigator.mediaDevices is not available (not a secure context?)';
      }
      const screenSharing = !!(md && typeof md.getDisplayMedia === 'function');
      if (!screenSharing) errInfo.screenSharing = 'getDisplayMedia is not available';
      const videoCodec = { H264: false, H265: false, VP8: false, VP9: false };
      try {
        const caps = root.RTCRtpSender && root.RTCRtpSender.getCapabilities && root.RTCRtpSender.getCapabilities('video');
        for (const c of (caps && caps.codecs) || []) {
          const m = String(c.mimeType).toLowerCase();
          if (m === 'video/h264') videoCodec.H264 = true;
          if (m === 'video/h265' || m === 'video/hevc') videoCodec.H265 = true;
          if (m === 'video/vp8') videoCodec.VP8 = true;
          if (m === 'video/vp9') videoCodec.VP9 = true;
        }
      } catch (e) { /* leave false */ }
      const all = { webRTC, customCapture, camera, microphone, screenSharing, videoCodec, errInfo };
      if (typeof type === 'string' && type in all && type !== 'errInfo') {
        const err = {};
        if (errInfo[type]) err[type] = errInfo[type];
        return { result: all[type], errInfo: err };
      }
      return all;
    }

    async enumDevices() {
      const md = root.navigator && root.navigator.mediaDevices;
      const out = { microphones: [], speakers: [], cameras: [] };
      if (!md || !md.enumerateDevices) return out;
      for (const d of await md.enumerateDevices()) {
        const item = { deviceID: d.deviceId, deviceName: d.label };
        if (d.kind === 'audioinput') out.microphones.push(item);
        else if (d.kind === 'audiooutput') out.speakers.push(item);
        else if (d.kind === 'videoinput') out.cameras.push(item);
      }
      return out;
    }
    async getMicrophones() { return (await this.enumDevices()).microphones; }
    async getSpeakers() { return (await this.enumDevices()).speakers; }
    async getCameras() { return (await this.enumDevices()).cameras; }

    // ---- socket ----

    _openSocket() {
      return new Promise((resolve, reject) => {
        let ws;
        try {
          ws = new root.WebSocket(this._url);
        } catch (e) {
          reject(zegoError(ERR.WS_DISCONNECTED, 'cannot open ' + this._url + ': ' + (e && e.message)));
          return;
        }
        const timer = setTimeout(() => {
          ws.onopen = ws.onclose = ws.onerror = ws.onmessage = null;
          try { ws.close(); } catch (e) { /* ignore */ }
          reject(zegoError(ERR.WS_DISCONNECTED, 'connecting to ' + this._url + ' timed out'));
        }, CONNECT_TIMEOUT_MS);
        ws.onopen = () => {
          clearTimeout(timer);
          ws.onmessage = (ev) => this._onMessage(ws, ev.data);
          ws.onclose = (ev) => this._onSocketClose(ws, ev.code, ev.reason);
          ws.onerror = () => { /* onclose follows */ };
          resolve(ws);
        };
        ws.onerror = () => { /* onclose follows */ };
        ws.onclose = (ev) => {
          clearTimeout(timer);
          reject(zegoError(ERR.WS_DISCONNECTED, `cannot connect to ${this._url} (close ${ev.code})`));
        };
      });
    }

    // Closes a socket on purpose: its close event is ignored.
    _closeSocket(ws, code, reason) {
      if (!ws) return;
      ws.onmessage = ws.onclose = ws.onerror = null;
      if (ws === this._ws) this._ws = null;
      this._rejectPending(ws, zegoError(ERR.WS_DISCONNECTED, 'socket closed'));
      try { ws.close(code || 1000, reason || ''); } catch (e) { /* already closed */ }
    }

    _rejectPending(ws, err) {
      for (const [id, p] of this._pending) {
        if (p.ws === ws) {
          this._pending.delete(id);
          clearTimeout(p.timer);
          p.reject(err);
        }
      }
    }

    // Sends a request; resolves with the response message (ok or not),
    // rejects when the socket closes or no response comes in time.
    _request(type, fields, timeoutMs, ws) {
      ws = ws || this._ws;
      return new Promise((resolve, reject) => {
        if (!ws || ws.readyState !== 1) {
          reject(zegoError(ERR.WS_DISCONNECTED, 'not connected'));
          return;
        }
        const id = this._nextId++;
        const timer = setTimeout(() => {
          this._pending.delete(id);
          const code = type === 'login' || type === 'resume' ? ERR.LOGIN_TIMEOUT : ERR.NEGOTIATION_TIMEOUT;
          reject(zegoError(code, `no response to ${type}`, { timeout: true }));
        }, timeoutMs || REQUEST_TIMEOUT_MS);
        this._pending.set(id, { ws, resolve, reject, timer });
        const msg = Object.assign({ v: PROTO_V, id: id, type: type }, fields || {});
        log('debug', '->', msg);
        try {
          ws.send(JSON.stringify(msg));
        } catch (e) {
          this._pending.delete(id);
          clearTimeout(timer);
          reject(zegoError(ERR.WS_DISCONNECTED, 'send failed'));
        }
      });
    }

    // For requests that must reach the session (stop_publish, stop_play):
    // sent now when connected, or after a resume while reconnecting (a new
    // session after a re-login has nothing to stop).
    _sendToSession(type, fields) {
      const room = this._room;
      if (!room) return;
      if (room.state === 'logined' && this._ws) this._send(type, fields);
      else if (room.state === 'reconnecting') room.outbox.push([type, fields]);
    }

    // Fire and forget (the response is ignored).
    _send(type, fields) {
      this._request(type, fields).then((r) => {
        if (!r.ok) log('warn', `${type} failed:`, r.error);
      }, () => {});
    }

    _onMessage(ws, text) {
      let m;
      try { m = JSON.parse(text); } catch (e) { log('warn', 'bad message from the server'); return; }
      log('debug', '<-', m);
      if (m.type === 'response') {
        // Request ids are unique across sockets: a response is taken even
        // from a socket that is being retired (logout).
        const p = this._pending.get(m.id);
        if (p) {
          this._pending.delete(m.id);
          clearTimeout(p.timer);
          p.resolve(m);
        }
        return;
      }
      if (m.type !== 'event' || ws !== this._ws) return;
      const room = this._room;
      if (!room) return;
      if (room.holdEvents) { room.held.push(m); return; }
      this._handleEvent(m);
    }

    _handleEvent(m) {
      const room = this._room;
      if (!room) return;
      if (typeof m.seq === 'number') {
        if (m.seq <= room.lastSeq) return; // replayed twice
        room.lastSeq = m.seq;
      }
      const d = m.data || {};
      switch (m.event) {
        case 'room_user_update': this._onUserUpdate(d); break;
        case 'room_stream_update': this._onStreamUpdate(d); break;
        case 'room_online_user_count':
          this.emit('roomOnlineUserCountUpdate', room.roomID, d.count);
          break;
        case 'kickout': this._onKickout(d.code || ERR.KICKED, d.extended_data || ''); break;
        case 'stream_removed': this._onStreamRemoved(d); break;
        case 'leg_state': this._onLegState(d); break;
        case 'candidate': this._onRemoteCandidate(d); break;
        case 'talking': this._onTalking(d); break;
        default: log('debug', 'unknown event', m.event);
      }
    }

    // The server's talking start/stop of a stream in the room (levels 0..100):
    // soundLevelUpdate reports them for the streams this page does not play.
    _onTalking(d) {
      const room = this._room;
      if (!room.talking) room.talking = new Map();
      if (d.talking) room.talking.set(d.stream_id, Number(d.level) || 0);
      else room.talking.delete(d.stream_id);
      this.emit('roomStreamTalking', room.roomID, d.stream_id, !!d.talking, Number(d.level) || 0);
    }

    _onUserUpdate(d) {
      const room = this._room;
      const users = (d.users || []).map(toZegoUser);
      for (const u of users) {
        if (d.update_type === 'ADD') room.users.set(u.userID, u);
        else room.users.delete(u.userID);
      }
      if (room.userUpdate && users.length) this.emit('roomUserUpdate', room.roomID, d.update_type, users);
    }

    _onStreamUpdate(d) {
      const room = this._room;
      const streams = (d.streams || []).map(toZegoStream);
      for (const s of streams) {
        if (d.update_type === 'ADD') room.streams.set(s.streamID, s);
        else {
          room.streams.delete(s.streamID);
          if (room.talking) room.talking.delete(s.streamID);
        }
      }
      if (streams.length) this.emit('roomStreamUpdate', room.roomID, d.update_type, streams, d.extended_data || '');
    }

    // ---- room: login ----

    async loginRoom(roomID, token, user, config) {
      if (this._destroyed) throw zegoError(ERR.INVALID_PARAM, 'the engine is destroyed');
      if (typeof roomID !== 'string' || !roomID) throw zegoError(ERR.ROOM_ID_EMPTY, 'roomID is empty');
      if (!user || typeof user.userID !== 'string' || !user.userID) throw zegoError(ERR.USER_ID_EMPTY, 'userID is empty');
      if (typeof token !== 'string' || !token) throw zegoError(ERR.TOKEN_INVALID, 'token is empty');
      if (this._room) {
        if (this._room.roomID === roomID && this._room.state !== 'idle') {
          throw zegoError(ERR.ROOM_COUNT_EXCEEDED, 'already logged in to room ' + roomID);
        }
        throw zegoError(ERR.ROOM_COUNT_EXCEEDED, 'this engine is in room ' + this._room.roomID + '; log out first');
      }
      const room = {
        roomID,
        token,
        user: { userID: user.userID, userName: typeof user.userName === 'string' ? user.userName : '' },
        userUpdate: !!(config && config.userUpdate),
        maxMemberCount: config && config.maxMemberCount,
        state: 'logining',
        sessionId: null,
        resumeToken: null,
        lastSeq: 0,
        users: new Map(),
        streams: new Map(),
        heartbeatMs: 10000,
        heartbeatTimer: null,
        tokenTimer: null,
        tokenExpire: decodeTokenExpire(token),
        holdEvents: true,
        held: [],
        reconnect: null,
        outbox: [],
      };
      this._room = room;
      this.emit('roomStateChanged', roomID, 'LOGINING', 0, '');
      this.emit('roomStateUpdate', roomID, 'CONNECTING', 0, '');
      let ws = null;
      try {
        ws = await this._openSocket();
        if (this._room !== room) throw zegoError(ERR.INVALID_PARAM, 'logged out during login');
        this._ws = ws;
        const r = await this._request('login', this._loginFields(room), REQUEST_TIMEOUT_MS, ws);
        if (this._room !== room) throw zegoError(ERR.INVALID_PARAM, 'logged out during login');
        if (!r.ok) throw zegoError(r.error.code, r.error.message, { name: r.error.name });
        this._applySession(room, r.data, true);
      } catch (e) {
        const err = e && typeof e.code === 'number' ? e : zegoError(ERR.LOGIN_TIMEOUT, String(e));
        if (this._room === room) {
          this._room = null;
          if (ws) this._closeSocket(ws, 1000, 'login failed');
          this.emit('roomStateChanged', roomID, 'LOGIN_FAILED', err.code, '');
          this.emit('roomStateUpdate', roomID, 'DISCONNECTED', err.code, '');
        } else if (ws && ws !== this._ws) {
          this._closeSocket(ws, 1000, 'login abandoned');
        }
        throw err;
      }
      room.state = 'logined';
      this.emit('roomStateChanged', roomID, 'LOGINED', 0, '');
      this.emit('roomStateUpdate', roomID, 'CONNECTED', 0, '');
      // The page gets its `true` first; then the room's current users and
      // streams, then whatever the server sent meanwhile, in order.
      setTimeout(() => {
        if (this._room !== room) return;
        if (room.userUpdate && room.users.size) this.emit('roomUserUpdate', roomID, 'ADD', [...room.users.values()]);
        if (room.streams.size) this.emit('roomStreamUpdate', roomID, 'ADD', [...room.streams.values()], '');
        room.holdEvents = false;
        const held = room.held;
        room.held = [];
        for (const m of held) if (this._room === room) this._handleEvent(m);
      }, 0);
      return true;
    }

    _loginFields(room) {
      return {
        room_id: room.roomID,
        token: room.token,
        user: { user_id: room.user.userID, user_name: room.user.userName },
        user_update: room.userUpdate,
      };
    }

    // Takes the login/resume response. fresh: a new session (users and
    // streams replace the known ones).
    _applySession(room, data, fresh) {
      room.sessionId = data.session_id;
      room.resumeToken = data.resume_token;
      if (fresh) {
        room.lastSeq = typeof data.last_seq === 'number' ? data.last_seq : 0;
        room.users = new Map((data.users || []).map((u) => { const z = toZegoUser(u); return [z.userID, z]; }));
        room.streams = new Map((data.streams || []).map((s) => { const z = toZegoStream(s); return [z.streamID, z]; }));
      }
      if (data.heartbeat_interval_ms > 0) room.heartbeatMs = data.heartbeat_interval_ms;
      if (data.token_expire > 0) room.tokenExpire = data.token_expire;
      this._startHeartbeat(room);
      this._armTokenTimer(room);
    }

    // ---- heartbeats and token expiry ----

    _startHeartbeat(room) {
      clearInterval(room.heartbeatTimer);
      const ws = this._ws;
      const every = Math.max(200, room.heartbeatMs);
      // A heartbeat without an answer in this time means the link is dead.
      const patience = Math.min(Math.max(every, 2000), 15000);
      room.heartbeatTimer = setInterval(() => {
        if (this._room !== room || this._ws !== ws || room.state !== 'logined') return;
        this._request('heartbeat', {}, patience, ws).then((r) => {
          if (this._room !== room || this._ws !== ws) return;
          const last = r.ok && r.data ? r.data.last_seq : undefined;
          if (typeof last === 'number' && last > room.lastSeq && !room.holdEvents) {
            // Events are sent before the response on one ordered socket, so a
            // gap means one was lost: resuming replays it.
            log('warn', `missed events (have ${room.lastSeq}, server at ${last}); resuming`);
            this._linkLost(ws, 'event gap');
          }
        }, (e) => {
          if (e && e.timeout && this._ws === ws) {
            log('warn', 'heartbeat unanswered; the connection is considered broken');
            this._linkLost(ws, 'heartbeat timeout');
          }
        });
      }, every);
    }

    _armTokenTimer(room) {
      clearTimeout(room.tokenTimer);
      room.tokenTimer = null;
      if (!(room.tokenExpire > 0)) return;
      const due = (room.tokenExpire - TOKEN_WARN_S) * 1000 - Date.now();
      const fire = () => {
        if (this._room === room) this.emit('tokenWillExpire', room.roomID);
      };
      const arm = (ms) => {
        // setTimeout takes at most 2^31-1 ms: re-arm in steps.
        const step = Math.min(ms, 0x7fffffff);
        room.tokenTimer = setTimeout(() => {
          if (ms > step) arm(ms - step);
          else fire();
        }, Math.max(0, step));
      };
      arm(Math.max(0, due));
    }

    renewToken(token, roomID) {
      const room = this._room;
      if (!room || (roomID !== undefined && roomID !== room.roomID)) return false;
      if (typeof token !== 'string' || !token) return false;
      room.token = token;
      const exp = decodeTokenExpire(token);
      if (exp) { room.tokenExpire = exp; this._armTokenTimer(room); }
      if (room.state === 'logined' && this._ws) {
        this._request('renew_token', { token }).then((r) => {
          if (this._room !== room) return;
          if (!r.ok) { log('error', 'renewToken refused:', r.error); return; }
          if (r.data && r.data.token_expire > 0) {
            room.tokenExpire = r.data.token_expire;
            this._armTokenTimer(room);
          }
        }, (e) => log('warn', 'renewToken: no answer', e));
      }
      // While reconnecting the new token is used by the next login.
      return true;
    }

    // ---- room: losing and regaining the connection ----

    _onSocketClose(ws, code, reason) {
      if (ws !== this._ws) return;
      log('info', `socket closed: ${code} ${reason || ''}`);
      this._ws = null;
      this._rejectPending(ws, zegoError(ERR.WS_DISCONNECTED, `socket closed (${code})`));
      const room = this._room;
      if (!room || room.state !== 'logined') return;
      clearInterval(room.heartbeatTimer);
      if (code === CLOSE_KICKED) {
        // The kickout event normally comes first and has ended the room.
        this._onKickout(ERR.KICKED, '');
        return;
      }
      if (code === CLOSE_STALE) return; // another connection of ours took over
      this._startReconnect(room, code === CLOSE_SESSION_GONE || code === CLOSE_LOGIN_TIMEOUT ? 'login' : 'resume');
    }

    // Treats the current socket as broken (no answers): drops it and
    // reconnects without waiting for the browser to notice.
    _linkLost(ws, why) {
      if (ws !== this._ws) return;
      log('info', 'link lost:', why);
      // 4100: this client will resume; a clean 1000 would end the session
      this._closeSocket(ws, CLOSE_RESUMING, why);
      const room = this._room;
      if (room && room.state === 'logined') {
        clearInterval(room.heartbeatTimer);
        this._startReconnect(room, 'resume');
      }
    }

    _startReconnect(room, mode) {
      room.state = 'reconnecting';
      room.reconnect = { mode, started: Date.now(), attempt: 0, wake: null, lastError: null };
      this.emit('roomStateChanged', room.roomID, 'RECONNECTING', 0, '');
      this.emit('roomStateUpdate', room.roomID, 'CONNECTING', 0, '');
      for (const leg of this._allLegs()) {
        this._closeStatsOnly(leg);
      }
      this._reconnectLoop(room);
    }

    async _reconnectLoop(room) {
      const rc = room.reconnect;
      for (;;) {
        if (this._room !== room || room.reconnect !== rc) return;
        const delay = rc.attempt === 0 ? 0 : RECONNECT_DELAYS_MS[Math.min(rc.attempt - 1, RECONNECT_DELAYS_MS.length - 1)];
        if (delay) {
          await new Promise((r) => { rc.wake = r; setTimeout(r, delay); });
          rc.wake = null;
        }
        if (this._room !== room || room.reconnect !== rc) return;
        if (Date.now() - rc.started > RECONNECT_GIVE_UP_MS) break;
        rc.attempt++;
        let ws = null;
        try {
          ws = await this._openSocket();
          if (this._room !== room || room.reconnect !== rc) { this._closeSocket(ws, CLOSE_RESUMING, 'abandoned'); return; }
          this._ws = ws;
          if (rc.mode === 'resume') {
            const r = await this._request('resume', {
              session_id: room.sessionId, resume_token: room.resumeToken, last_seq: room.lastSeq,
            }, REQUEST_TIMEOUT_MS, ws);
            if (this._room !== room || room.reconnect !== rc) return;
            if (r.ok) {
              this._resumed(room, r.data, false);
              return;
            }
            log('info', 'resume refused:', r.error);
            rc.mode = 'login';
          }
          const r = await this._request('login', this._loginFields(room), REQUEST_TIMEOUT_MS, ws);
          if (this._room !== room || room.reconnect !== rc) return;
          if (r.ok) {
            this._resumed(room, r.data, true);
            return;
          }
          rc.lastError = r.error;
          log('warn', 'login again refused:', r.error);
          this._closeSocket(ws, 1000, 'login refused');
          if (FATAL_LOGIN.has(r.error.code)) break;
        } catch (e) {
          rc.lastError = e;
          log('info', `reconnect attempt ${rc.attempt} failed:`, e && e.msg);
          if (ws) this._closeSocket(ws, 1000, 'reconnect failed');
        }
      }
      if (this._room !== room || room.reconnect !== rc) return;
      // Giving up.
      const ext = rc.lastError && rc.lastError.code ? JSON.stringify({ last_error: rc.lastError.code }) : '';
      this._endRoom(room, ERR.RECONNECT_FAILED);
      this.emit('roomStateChanged', room.roomID, 'RECONNECT_FAILED', ERR.RECONNECT_FAILED, ext);
      this.emit('roomStateUpdate', room.roomID, 'DISCONNECTED', ERR.RECONNECT_FAILED, ext);
    }

    // The connection is back: the same session (fresh false) or a new one.
    _resumed(room, data, fresh) {
      room.reconnect = null;
      room.state = 'logined';
      const oldUsers = room.users;
      const oldStreams = room.streams;
      this._applySession(room, data, fresh);
      this.emit('roomStateChanged', room.roomID, 'RECONNECTED', 0, '');
      this.emit('roomStateUpdate', room.roomID, 'CONNECTED', 0, '');
      const outbox = room.outbox;
      room.outbox = [];
      if (!fresh) {
        // Same session: missed events follow as replayed events; legs survive.
        for (const [type, fields] of outbox) this._send(type, fields);
        for (const leg of [...this._publishers.values()]) {
          if (leg.restart) { leg.restart = false; this._runPublish(leg, true); } else if (leg.pc) this._startStats(leg);
        }
        for (const leg of [...this._players.values()]) {
          if (leg.restart) { leg.restart = false; this._runPlay(leg).catch(() => {}); } else if (leg.pc) this._startStats(leg);
        }
        return;
      }
      for (const leg of this._allLegs()) { leg.announced = false; leg.restart = false; }
      // A new session: tell the page what changed while it was away.
      const gone = [...oldUsers.values()].filter((u) => !room.users.has(u.userID));
      const added = [...room.users.values()].filter((u) => !oldUsers.has(u.userID));
      if (room.userUpdate) {
        if (gone.length) this.emit('roomUserUpdate', room.roomID, 'DELETE', gone);
        if (added.length) this.emit('roomUserUpdate', room.roomID, 'ADD', added);
      }
      const sGone = [...oldStreams.values()].filter((s) => !room.streams.has(s.streamID));
      const sAdded = [...room.streams.values()].filter((s) => !oldStreams.has(s.streamID));
      if (sGone.length) {
        const ext = JSON.stringify({ stream_delete_reason: sGone.map((s) => ({ stream_id: s.streamID, code: 5, description: 'disconnected' })) });
        this.emit('roomStreamUpdate', room.roomID, 'DELETE', sGone, ext);
      }
      if (sAdded.length) this.emit('roomStreamUpdate', room.roomID, 'ADD', sAdded, '');
      for (const s of room.streams.values()) {
        const before = oldStreams.get(s.streamID);
        if (before && before.extraInfo !== s.extraInfo) this.emit('roomStreamExtraInfoUpdate', room.roomID, [s]);
      }
      if (typeof data.online_count === 'number') this.emit('roomOnlineUserCountUpdate', room.roomID, data.online_count);
      // The old session's legs are gone: publish and play again.
      for (const leg of [...this._publishers.values()]) this._restartPublish(leg);
      for (const leg of [...this._players.values()]) {
        if (room.streams.has(leg.streamID)) this._restartPlay(leg);
        else this._stopLeg(leg, 'NO_PLAY', ERR.PLAY_NOT_FOUND, false);
      }
    }

    _networkOnline() {
      const room = this._room;
      if (room && room.reconnect && room.reconnect.wake) room.reconnect.wake();
    }

    _onKickout(code, extendedData) {
      const room = this._room;
      if (!room) return;
      const ws = this._ws;
      this._endRoom(room, code);
      if (ws) this._closeSocket(ws, 1000, 'kicked');
      this.emit('roomStateChanged', room.roomID, 'KICKOUT', code, extendedData);
      this.emit('roomStateUpdate', room.roomID, 'DISCONNECTED', code, extendedData);
    }

    // Forgets the room: timers, legs, socket.
    _endRoom(room, code) {
      if (this._room !== room) return;
      clearInterval(room.heartbeatTimer);
      clearTimeout(room.tokenTimer);
      if (room.reconnect && room.reconnect.wake) room.reconnect.wake();
      room.reconnect = null;
      room.state = 'idle';
      for (const leg of [...this._publishers.values()]) this._stopLeg(leg, 'NO_PUBLISH', code, false);
      for (const leg of [...this._players.values()]) this._stopLeg(leg, 'NO_PLAY', code, false);
      this._room = null;
      if (this._ws) this._closeSocket(this._ws, 1000, 'room ended');
    }

    logoutRoom(roomID) {
      const room = this._room;
      if (!room || (roomID !== undefined && roomID !== room.roomID)) return Promise.resolve();
      const ws = this._ws;
      const connected = room.state === 'logined' && ws && ws.readyState === 1;
      // Streams end with the session on the server; stop the local legs quietly.
      for (const leg of [...this._publishers.values()]) this._stopLeg(leg, 'NO_PUBLISH', 0, false);
      for (const leg of [...this._players.values()]) this._stopLeg(leg, 'NO_PLAY', 0, false);
      let done = Promise.resolve();
      if (connected) {
        this._ws = null; // no more events for this room
        done = this._request('logout', {}, 3000, ws).then((r) => {
          if (!r.ok) log('warn', 'logout refused:', r.error);
        }, () => {}).then(() => this._closeSocket(ws, 1000, 'logout'));
      }
      this._endRoom(room, 0);
      this.emit('roomStateChanged', room.roomID, 'LOGOUT', 0, '');
      this.emit('roomStateUpdate', room.roomID, 'DISCONNECTED', 0, '');
      return done;
    }

    _pageHide() {
      // Leaving the page: log out now rather than letting the server wait
      // for a resume that never comes.
      const room = this._room;
      const ws = this._ws;
      if (room && ws && ws.readyState === 1) {
        try { ws.send(JSON.stringify({ v: PROTO_V, id: this._nextId++, type: 'logout' })); } catch (e) { /* ignore */ }
      }
    }

    destroyEngine() {
      if (this._destroyed) return;
      if (this._room) this.logoutRoom(this._room.roomID);
      this._destroyed = true;
      this.setSoundLevelDelegate(false);
      clearInterval(this._qualityTimer);
      this._qualityTimer = null;
      if (root.removeEventListener) {
        root.removeEventListener('pagehide', this._onPageHide);
        root.removeEventListener('online', this._onOnline);
      }
      this._handlers.clear();
    }

    // ---- media: local streams ----

    async createZegoStream(config) {
      const cfg = config || { camera: { audio: true, video: false } };
      const LocalStream = localStreamClass();
      if (cfg.custom && cfg.custom.source) {
        let src = cfg.custom.source;
        if (src && typeof src.captureStream === 'function' && !(src instanceof root.MediaStream)) src = src.captureStream();
        const tracks = src.getTracks().filter((t) => (cfg.custom.channelCount === 0 ? t.kind !== 'audio' : true));
        return new LocalStream(tracks);
      }
      const md = root.navigator && root.navigator.mediaDevices;
      if (cfg.screen) {
        if (!md || !md.getDisplayMedia) throw zegoError(ERR.GUM_FAILED, 'getDisplayMedia is not available');
        try {
          const s = await md.getDisplayMedia({ audio: !!cfg.screen.audio, video: cfg.screen.video === undefined ? true : cfg.screen.video });
          return new LocalStream(s.getTracks());
        } catch (e) {
          throw gumError(e);
        }
      }
      const cam = cfg.camera || { audio: true, video: false };
      const wantAudio = cam.audio !== false;
      const wantVideo = !!cam.video;
      if (!wantAudio && !wantVideo) throw zegoError(ERR.GUM_CONSTRAINTS, 'neither audio nor video requested');
      if (!md || !md.getUserMedia) throw zegoError(ERR.GUM_FAILED, 'navigator.mediaDevices is not available (not a secure context?)');
      try {
        const s = await md.getUserMedia({
          audio: wantAudio ? audioConstraints(cam) : false,
          video: wantVideo ? videoConstraints(cam) : false,
        });
        return new LocalStream(s.getTracks());
      } catch (e) {
        throw gumError(e);
      }
    }

    destroyStream(localStream) {
      if (!localStream) return;
      for (const leg of this._publishers.values()) {
        if (leg.localStream === localStream) this.stopPublishingStream(leg.streamID);
      }
      if (typeof localStream._dispose === 'function') localStream._dispose();
      else if (localStream.getTracks) localStream.getTracks().forEach((t) => t.stop());
    }

    createRemoteStreamView(mediaStream) {
      return new RemoteStreamView(mediaStream);
    }

    mutePublishStreamAudio(localStream, mute) {
      let found = false;
      for (const leg of this._publishers.values()) {
        if (leg.localStream !== localStream) continue;
        found = true;
        leg.muted = !!mute;
        // Stop sending RTP while muted, so the far end sees the track mute.
        const sender = leg.transceiver && leg.transceiver.sender;
        if (sender) sender.replaceTrack(mute ? null : leg.track).catch((e) => log('warn', 'replaceTrack', e));
      }
      if (localStream && localStream.getAudioTracks) {
        localStream.getAudioTracks().forEach((t) => { t.enabled = !mute; });
        found = true;
      }
      return found;
    }

    mutePlayStreamAudio(streamID, mute) {
      const leg = this._players.get(streamID);
      if (!leg) return false;
      leg.playMuted = !!mute; // kept for the track of a later restart
      if (!mute && leg.options) leg.options.isMute = false;
      leg.remoteStream.getAudioTracks().forEach((t) => { t.enabled = !mute; });
      return true;
    }

    // ---- media: legs ----

    _allLegs() { return [...this._publishers.values(), ...this._players.values()]; }

    _newPeerConnection(leg) {
      const pc = new root.RTCPeerConnection({
        iceServers: this._iceServers,
        bundlePolicy: 'max-bundle',
        rtcpMuxPolicy: 'require',
      });
      leg.pc = pc;
      leg.localCandidates = [];
      pc.onicecandidate = (ev) => {
        if (leg.pc !== pc) return;
        const cand = ev.candidate ? ev.candidate.candidate : '';
        const msg = { candidate: cand, sdp_mid: ev.candidate ? ev.candidate.sdpMid || '0' : (leg.mid || '0') };
        if (ev.candidate && !cand) return; // Chrome's empty "end of this generation" marker
        if (leg.legId) this._sendCandidate(leg, msg);
        else leg.localCandidates.push(msg);
      };
      pc.onconnectionstatechange = () => {
        if (leg.pc !== pc) return;
        const st = pc.connectionState;
        log('debug', `leg ${leg.streamID}: ${st}`);
        if (st === 'connected') this._legConnected(leg);
        else if (st === 'failed') this._legFailed(leg, ERR.ICE_FAILED);
      };
      return pc;
    }

    _sendCandidate(leg, msg) {
      if (!this._ws || !leg.legId) return;
      this._send('candidate', { leg_id: leg.legId, candidate: msg.candidate, sdp_mid: msg.sdp_mid });
    }

    async _answered(leg, pc, data) {
      leg.legId = data.leg_id;
      this._legs.set(leg.legId, leg);
      await pc.setRemoteDescription({ type: 'answer', sdp: data.sdp });
      const local = leg.localCandidates;
      leg.localCandidates = [];
      for (const c of local) this._sendCandidate(leg, c);
      const early = this._earlyCandidates.get(leg.legId) || [];
      this._earlyCandidates.delete(leg.legId);
      for (const c of early) await this._addRemoteCandidate(leg, c);
    }

    _onRemoteCandidate(d) {
      const leg = this._legs.get(d.leg_id);
      if (!leg || !leg.pc || !leg.pc.remoteDescription) {
        if (!this._earlyCandidates.has(d.leg_id)) this._earlyCandidates.set(d.leg_id, []);
        const list = this._earlyCandidates.get(d.leg_id);
        if (list.length < 64) list.push(d);
        return;
      }
      this._addRemoteCandidate(leg, d);
    }

    async _addRemoteCandidate(leg, d) {
      const pc = leg.pc;
      if (!pc) return;
      let c = typeof d.candidate === 'string' ? d.candidate.trim() : '';
      if (c.startsWith('a=')) c = c.slice(2);
      try {
        if (!c || c === 'end-of-candidates') {
          await pc.addIceCandidate();
        } else {
          if (!c.startsWith('candidate:')) c = 'candidate:' + c;
          await pc.addIceCandidate({ candidate: c, sdpMid: d.sdp_mid || leg.mid || '0' });
        }
      } catch (e) {
        log('warn', 'addIceCandidate failed:', e && e.message, d.candidate);
      }
    }

    _setState(leg, state, code, ext) {
      if (leg.state === state && !code) return;
      leg.state = state;
      const payload = { streamID: leg.streamID, state, errorCode: code || 0, extendedData: ext || '' };
      this.emit(leg.kind === 'publish' ? 'publisherStateUpdate' : 'playerStateUpdate', payload);
    }

    _legConnected(leg) {
      clearTimeout(leg.negotiationTimer);
      if (leg.state === 'PUBLISHING' || leg.state === 'PLAYING') return;
      if (leg.kind === 'publish') this._setState(leg, 'PUBLISHING', 0);
      else {
        this._setState(leg, 'PLAYING', 0);
        this._watchMic(leg);
      }
      this._startStats(leg);
    }

    // remoteMicStatusUpdate: roomgate has no mute signalling and browsers do
    // not mute a remote audio track when its RTP stops, so the SDK watches the
    // packets received: none for 2 s -> MUTE, flowing (again) -> OPEN.
    _watchMic(leg) {
      clearInterval(leg.micTimer);
      leg.micIdle = 0;
      leg.micPackets = -1;
      leg.micTimer = setInterval(async () => {
        const pc = leg.pc;
        if (!pc || leg.state !== 'PLAYING') return;
        let packets = -1;
        try {
          (await pc.getStats()).forEach((st) => {
            if (st.type === 'inbound-rtp' && (st.kind || st.mediaType) === 'audio') packets = st.packetsReceived || 0;
          });
        } catch (e) { return; }
        if (leg.pc !== pc || packets < 0) return;
        if (packets > leg.micPackets) {
          leg.micIdle = 0;
          if (leg.micState !== 'OPEN') { leg.micState = 'OPEN'; this.emit('remoteMicStatusUpdate', leg.streamID, 'OPEN'); }
        } else if (++leg.micIdle >= 2 && leg.micState !== 'MUTE') {
          leg.micState = 'MUTE';
          this.emit('remoteMicStatusUpdate', leg.streamID, 'MUTE');
        }
        leg.micPackets = packets;
      }, 1000);
    }

    _legFailed(leg, code) {
      if (leg.kind === 'publish') {
        this._sendToSession('stop_publish', { stream_id: leg.streamID });
        this._stopLeg(leg, 'NO_PUBLISH', code, false);
      } else {
        this._sendToSession('stop_play', { stream_id: leg.streamID });
        this._stopLeg(leg, 'NO_PLAY', code, false);
      }
    }

    _onLegState(d) {
      const leg = this._legs.get(d.leg_id);
      if (!leg) return;
      switch (d.state) {
        case 'connected': this._legConnected(leg); break;
        case 'failed': this._legFailed(leg, d.code || ERR.ICE_FAILED); break;
        case 'closed':
          this._stopLeg(leg, leg.kind === 'publish' ? 'NO_PUBLISH' : 'NO_PLAY', d.code || 0, false);
          break;
        default: break; // connecting: already *_REQUESTING
      }
    }

    _onStreamRemoved(d) {
      const leg = this._publishers.get(d.stream_id);
      const ext = JSON.stringify({ reason: d.reason || '' });
      if (leg) this._stopLeg(leg, 'NO_PUBLISH', d.code || 1003025, false, ext);
      else {
        this.emit('publisherStateUpdate', {
          streamID: d.stream_id, state: 'NO_PUBLISH', errorCode: d.code || 1003025, extendedData: ext,
        });
      }
    }

    // Ends a leg locally and reports `state`. keep: leave it in the maps
    // (a restart follows).
    _stopLeg(leg, state, code, keep, ext) {
      clearTimeout(leg.negotiationTimer);
      clearInterval(leg.micTimer);
      leg.micTimer = null;
      leg.micState = undefined;
      this._closeStatsOnly(leg);
      if (leg.pc) {
        try { leg.pc.close(); } catch (e) { /* ignore */ }
        leg.pc = null;
      }
      if (leg.legId) this._legs.delete(leg.legId);
      this._earlyCandidates.delete(leg.legId);
      leg.legId = null;
      if (!keep) {
        const map = leg.kind === 'publish' ? this._publishers : this._players;
        if (map.get(leg.streamID) === leg) map.delete(leg.streamID);
        leg.stopped = true;
      }
      if (state) this._setState(leg, state, code, ext);
    }

    _closeStatsOnly(leg) {
      leg.prevSample = null;
      leg.statsOn = false;
    }

    _startStats(leg) {
      leg.statsOn = true;
      if (!this._qualityTimer) {
        this._qualityTimer = setInterval(() => this._qualityTick(), QUALITY_INTERVAL_MS);
      }
    }

    async _qualityTick() {
      const legs = this._allLegs().filter((l) => l.statsOn && l.pc);
      if (!legs.length) {
        clearInterval(this._qualityTimer);
        this._qualityTimer = null;
        return;
      }
      for (const leg of legs) {
        try {
          const rep = await leg.pc.getStats();
          if (!leg.statsOn || !leg.pc) continue;
          const r = leg.kind === 'publish' ? publishStats(rep, leg.prevSample, leg.muted) : playStats(rep, leg.prevSample);
          leg.prevSample = r.sample;
          this.emit(leg.kind === 'publish' ? 'publishQualityUpdate' : 'playQualityUpdate', leg.streamID, r.stats);
        } catch (e) {
          log('debug', 'getStats failed', e);
        }
      }
    }

    setSoundLevelDelegate(enable, interval) {
      const sl = this._soundLevel;
      clearInterval(sl.timer);
      sl.timer = null;
      sl.enabled = !!enable;
      if (!sl.enabled) return true;
      sl.interval = Math.max(100, Number(interval) || 1000);
      sl.timer = setInterval(() => this._soundLevelTick(), sl.interval);
      return true;
    }

    async _soundLevelTick() {
      const out = [];
      for (const leg of this._allLegs()) {
        if (!leg.pc) continue;
        try {
          const rep = await leg.pc.getStats();
          let level = 0;
          rep.forEach((s) => {
            if ((s.kind || s.mediaType) !== 'audio') return;
            if (leg.kind === 'publish' && s.type === 'media-source' && typeof s.audioLevel === 'number') level = s.audioLevel;
            if (leg.kind === 'play' && s.type === 'inbound-rtp' && typeof s.audioLevel === 'number') level = s.audioLevel;
          });
          if (leg.kind === 'publish' && leg.muted) level = 0;
          out.push({ streamID: leg.streamID, soundLevel: Math.round(Math.min(1, level) * 100), type: leg.kind === 'publish' ? 'push' : 'pull' });
        } catch (e) { /* leg closing */ }
      }
      const room = this._room;
      if (room) {
        const seen = new Set(out.map((o) => o.streamID));
        for (const id of room.streams.keys()) {
          if (seen.has(id)) continue;
          const level = room.talking && room.talking.has(id) ? room.talking.get(id) : 0;
          out.push({ streamID: id, soundLevel: level, type: 'pull' });
        }
      }
      if (out.length && this._soundLevel.enabled) this.emit('soundLevelUpdate', out);
    }

    // ---- media: publishing ----

    startPublishingStream(streamID, localStream, publishOption) {
      const room = this._room;
      if (!room || room.state !== 'logined') { log('error', 'startPublishingStream: not logged in'); return false; }
      if (typeof streamID !== 'string' || !streamID) { log('error', 'startPublishingStream: empty streamID'); return false; }
      if (this._publishers.has(streamID)) { log('error', 'startPublishingStream: already publishing', streamID); return false; }
      const track = localStream && localStream.getAudioTracks ? localStream.getAudioTracks()[0] : null;
      if (!track) { log('error', 'startPublishingStream: the stream has no audio track'); return false; }
      if (typeof root.RTCPeerConnection !== 'function') return false;
      const leg = {
        kind: 'publish', streamID, localStream, track, room,
        extraInfo: publishOption && typeof publishOption.extraInfo === 'string' ? publishOption.extraInfo : '',
        state: 'NO_PUBLISH', pc: null, legId: null, muted: !track.enabled,
      };
      this._publishers.set(streamID, leg);
      this._runPublish(leg, true);
      return true;
    }

    _restartPublish(leg) {
      this._stopLeg(leg, null, 0, true);
      this._runPublish(leg, true);
    }

    async _runPublish(leg, announce) {
      const attempt = (leg.attempt = (leg.attempt || 0) + 1);
      const current = () => !leg.stopped && leg.attempt === attempt && this._publishers.get(leg.streamID) === leg;
      this._setState(leg, 'PUBLISH_REQUESTING', 0);
      try {
        if (announce && !leg.announced) {
          const r = await this._request('publish', { stream_id: leg.streamID, extra_info: leg.extraInfo });
          if (!current()) return;
          if (!r.ok) throw zegoError(r.error.code, r.error.message);
          leg.announced = true;
        }
        const pc = this._newPeerConnection(leg);
        leg.transceiver = pc.addTransceiver(leg.track, { direction: 'sendonly', streams: [leg.localStream] });
        if (leg.muted) await leg.transceiver.sender.replaceTrack(null);
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        leg.mid = leg.transceiver.mid || '0';
        if (!current()) return;
        leg.negotiationTimer = setTimeout(() => {
          if (current() && leg.state === 'PUBLISH_REQUESTING') this._legFailed(leg, ERR.NEGOTIATION_TIMEOUT);
        }, NEGOTIATION_TIMEOUT_MS);
        const r = await this._request('publish_offer', { stream_id: leg.streamID, sdp: pc.localDescription.sdp });
        if (!current()) return;
        if (!r.ok) throw zegoError(r.error.code, r.error.message);
        await this._answered(leg, pc, r.data);
      } catch (e) {
        if (!current()) return;
        const code = e && typeof e.code === 'number' ? e.code : ERR.NEGOTIATION_TIMEOUT;
        if (code === ERR.WS_DISCONNECTED && this._room === leg.room && leg.room.state === 'reconnecting') {
          // The connection broke mid-negotiation: start over once it is back.
          this._stopLeg(leg, null, 0, true);
          leg.restart = true;
          return;
        }
        log('error', `publishing ${leg.streamID} failed:`, e && (e.msg || e.message || e));
        if (leg.announced) this._sendToSession('stop_publish', { stream_id: leg.streamID });
        this._stopLeg(leg, 'NO_PUBLISH', code, false, e && e.msg ? JSON.stringify({ message: e.msg }) : '');
      }
    }

    stopPublishingStream(streamID) {
      const leg = this._publishers.get(streamID);
      if (!leg) return false;
      if (leg.announced) this._sendToSession('stop_publish', { stream_id: streamID });
      this._stopLeg(leg, 'NO_PUBLISH', 0, false);
      return true;
    }

    setStreamExtraInfo() {
      // Not in roomgate's protocol version 1.
      return Promise.resolve({ errorCode: ERR.INVALID_PARAM, extendedData: 'not supported by roomgate' });
    }

    // ---- media: playing ----

    startPlayingStream(streamID, playOption) {
      const room = this._room;
      if (!room || room.state !== 'logined') return Promise.reject(zegoError(ERR.NOT_LOGGED_IN, 'not logged in'));
      if (typeof streamID !== 'string' || !streamID) return Promise.reject(zegoError(ERR.STREAM_ID_EMPTY, 'streamID is empty'));
      if (typeof root.RTCPeerConnection !== 'function') return Promise.reject(zegoError(ERR.ICE_FAILED, 'WebRTC is not available'));
      const existing = this._players.get(streamID);
      if (existing && existing.remoteStream) return Promise.resolve(existing.remoteStream);
      const leg = {
        kind: 'play', streamID, room, state: 'NO_PLAY', pc: null, legId: null,
        options: playOption || {}, remoteStream: new root.MediaStream(), track: null,
      };
      this._players.set(streamID, leg);
      return this._runPlay(leg).then(() => leg.remoteStream);
    }

    _restartPlay(leg) {
      this._stopLeg(leg, null, 0, true);
      this._runPlay(leg).catch(() => {});
    }

    async _runPlay(leg) {
      const attempt = (leg.attempt = (leg.attempt || 0) + 1);
      const current = () => !leg.stopped && leg.attempt === attempt && this._players.get(leg.streamID) === leg;
      this._setState(leg, 'PLAY_REQUESTING', 0);
      try {
        const pc = this._newPeerConnection(leg);
        const tr = pc.addTransceiver('audio', { direction: 'recvonly' });
        leg.transceiver = tr;
        this._attachRemoteTrack(leg, tr.receiver.track);
        pc.ontrack = (ev) => { if (leg.pc === pc) this._attachRemoteTrack(leg, ev.track); };
        const offer = await pc.createOffer();
        await pc.setLocalDescription(offer);
        leg.mid = tr.mid || '0';
        if (!current()) throw zegoError(ERR.PLAY_NOT_FOUND, 'stopped');
        leg.negotiationTimer = setTimeout(() => {
          if (current() && leg.state === 'PLAY_REQUESTING') this._legFailed(leg, ERR.NEGOTIATION_TIMEOUT);
        }, NEGOTIATION_TIMEOUT_MS);
        const r = await this._request('play', { stream_id: leg.streamID, sdp: pc.localDescription.sdp });
        if (!current()) throw zegoError(ERR.PLAY_NOT_FOUND, 'stopped');
        if (!r.ok) throw zegoError(r.error.code, r.error.message);
        await this._answered(leg, pc, r.data);
      } catch (e) {
        const err = e && typeof e.code === 'number' ? e : zegoError(ERR.NEGOTIATION_TIMEOUT, String(e && e.message || e));
        if (current() && err.code === ERR.WS_DISCONNECTED && this._room === leg.room && leg.room.state === 'reconnecting') {
          // The connection broke mid-negotiation: start over once it is back;
          // the MediaStream given to the page gets the new track.
          this._stopLeg(leg, null, 0, true);
          leg.restart = true;
          return;
        }
        if (current()) {
          log('error', `playing ${leg.streamID} failed:`, err.msg);
          this._stopLeg(leg, 'NO_PLAY', err.code, false, JSON.stringify({ message: err.msg }));
        }
        throw err;
      }
    }

    _attachRemoteTrack(leg, track) {
      if (!track || leg.track === track) return;
      const old = leg.track;
      if (old) leg.remoteStream.removeTrack(old);
      leg.track = track;
      leg.remoteStream.addTrack(track);
      if (leg.playMuted || (leg.options && leg.options.isMute)) track.enabled = false;
      if (old) {
        // Playing again on a new peer connection (after a re-login) puts a new
        // track into the MediaStream the page holds; the old one has ended.
        // Media elements follow, but a WebAudio source or a MediaRecorder made
        // from the old track does not, and addTrack()/removeTrack() by script
        // fire no events: fire them, so that the page can follow.
        fireTrackEvent(leg.remoteStream, 'removetrack', old);
        fireTrackEvent(leg.remoteStream, 'addtrack', track);
      }
    }

    stopPlayingStream(streamID) {
      const leg = this._players.get(streamID);
      if (!leg) return false;
      if (leg.legId || leg.state === 'PLAY_REQUESTING') this._sendToSession('stop_play', { stream_id: streamID });
      this._stopLeg(leg, 'NO_PLAY', 0, false);
      return true;
    }

    // ---- introspection (not in ZEGO's API; handy for tests and debugging) ----

    getRoomInfo() {
      const room = this._room;
      if (!room) return null;
      return {
        roomID: room.roomID, state: room.state, sessionID: room.sessionId, lastSeq: room.lastSeq,
        users: [...room.users.values()], streams: [...room.streams.values()],
        publishing: [...this._publishers.keys()], playing: [...this._players.keys()],
      };
    }
  }

  Object.defineProperty(ZegoExpressEngine, '__roomgate', { value: VERSION });
  ZegoExpressEngine.ErrorCode = Object.freeze(Object.assign({}, ERR));

  root.ZegoExpressEngine = ZegoExpressEngine;
  if (typeof module === 'object' && module && module.exports) module.exports = { ZegoExpressEngine };
})(typeof globalThis !== 'undefined' ? globalThis : typeof window !== 'undefined' ? window : this);
