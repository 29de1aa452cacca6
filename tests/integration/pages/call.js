// Media test page helper (loaded by call.html after sdk-harness.js): runs the
// zego-compat §1 call sequence and lets a test measure the audio the page
// hears — the WebAudio peak frequency of each played stream and the
// inbound-rtp figures of its peer connection.
//
// rg.join() is the quick start, step by step: handlers, checkSystemRequirements,
// loginRoom, createZegoStream({camera:{audio, video:false}}) with AEC/ANS/AGC
// off (Chrome's processing squashes a steady test tone), localStream.playAudio(),
// startPublishingStream; on roomStreamUpdate ADD startPlayingStream into an
// <audio> element, on DELETE stopPlayingStream.
(function () {
  'use strict';
  const rg = window.rg;
  rg.played = {};       // streamID -> {remote, audio, src, an}
  rg.ctx = null;        // one AudioContext for every analyser of the page

  function audioContext() {
    if (!rg.ctx) rg.ctx = new AudioContext();
    if (rg.ctx.state !== 'running') rg.ctx.resume().catch(() => {});
    return rg.ctx;
  }

  rg.join = async function ({ appID, server, roomID, token, userID, userName, streamID }) {
    rg.create(appID, server); // records every SDK event in rg.events
    const zg = rg.engine;
    zg.on('roomStreamUpdate', async (room, updateType, streamList) => {
      for (const s of streamList) {
        if (updateType === 'ADD') {
          rg.play(s.streamID).catch((e) => rg.record('playRejected', [s.streamID, e]));
        } else {
          zg.stopPlayingStream(s.streamID);
          rg.unplay(s.streamID);
        }
      }
    });
    rg.record('systemRequirements', [await zg.checkSystemRequirements()]);
    const r = await rg.login(roomID, token, { userID, userName }, { userUpdate: true });
    if (!r.ok || !streamID) return r;
    await rg.publish(streamID);
    return r;
  };

  rg.publish = async function (streamID) {
    if (!rg.local) {
      rg.local = await rg.engine.createZegoStream({
        camera: { audio: true, video: false, AEC: false, ANS: false, AGC: false },
      });
      rg.local.playAudio(); // the quick start's local monitor
      const t = rg.local.getAudioTracks()[0];
      rg.record('localTrack', [{ label: t.label, settings: t.getSettings() }]);
    }
    rg.ownStream = streamID;
    return rg.engine.startPublishingStream(streamID, rg.local);
  };

  rg.play = async function (streamID) {
    const remote = await rg.engine.startPlayingStream(streamID);
    rg.unplay(streamID);
    const audio = document.createElement('audio');
    audio.autoplay = true;
    audio.dataset.stream = streamID;
    audio.srcObject = remote;
    document.body.appendChild(audio);
    audio.play().catch((e) => rg.record('audioPlayFailed', [streamID, String(e)]));
    const ctx = audioContext();
    const an = ctx.createAnalyser();
    an.fftSize = 4096; // ~11.7 Hz bins at 48 kHz
    an.smoothingTimeConstant = 0; // each reading is what plays now, not a fading average
    const p = { remote, audio, src: null, an, track: null };
    // A WebAudio source node stays bound to the track it was made from; the
    // SDK swaps the stream's track when it has to play again on a new peer
    // connection (after a re-login) and says so with addtrack.
    const bind = () => {
      if (p.src) { try { p.src.disconnect(); } catch (e) { /* already */ } }
      p.track = remote.getAudioTracks()[0] || null;
      p.src = p.track ? ctx.createMediaStreamSource(new MediaStream([p.track])) : null;
      if (p.src) p.src.connect(an);
    };
    p.onAddTrack = (ev) => {
      rg.record('remoteTrackChanged', [streamID, ev.track && ev.track.readyState]);
      bind();
    };
    remote.addEventListener('addtrack', p.onAddTrack);
    bind();
    rg.played[streamID] = p;
    return true;
  };

  rg.unplay = function (streamID) {
    const p = rg.played[streamID];
    if (!p) return;
    delete rg.played[streamID];
    p.audio.pause();
    p.audio.srcObject = null;
    p.audio.remove();
    p.remote.removeEventListener('addtrack', p.onAddTrack);
    if (p.src) { try { p.src.disconnect(); } catch (e) { /* already */ } }
  };

  // Peak frequency (Hz) and its level (dBFS) of what plays for streamID now.
  rg.peak = function (streamID) {
    const p = rg.played[streamID];
    if (!p) return null;
    const bins = new Float32Array(p.an.frequencyBinCount);
    p.an.getFloatFrequencyData(bins);
    let best = 1;
    for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
    return { hz: Math.round(best * rg.ctx.sampleRate / p.an.fftSize), db: Math.round(bins[best] * 10) / 10 };
  };

  // The SDK keeps one RTCPeerConnection per leg (a test-only look inside).
  function legPc(kind, streamID) {
    const map = kind === 'publish' ? rg.engine._publishers : rg.engine._players;
    const leg = map && map.get(streamID);
    return leg ? leg.pc : null;
  }

  async function inbound(streamID) {
    const pc = legPc('play', streamID);
    if (!pc) return null;
    let out = null;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && (s.kind || s.mediaType) === 'audio') {
        out = { packetsReceived: s.packetsReceived, bytesReceived: s.bytesReceived, packetsLost: s.packetsLost,
          audioLevel: s.audioLevel, totalAudioEnergy: s.totalAudioEnergy, jitter: s.jitter };
      }
    });
    return out;
  }

  // Listens to a played stream for `ms`: the peak frequency every 100 ms, the
  // inbound-rtp audio level, and the packets received over the window.
  rg.measure = async function (streamID, ms) {
    ms = ms || 1500;
    const p = rg.played[streamID];
    if (!p) return { streamID, error: 'not playing', playing: Object.keys(rg.played) };
    const s0 = await inbound(streamID);
    const samples = []; // [hz, dB] every 100 ms (dB null: silence)
    let maxLevel = 0;
    for (let t = 0; t < ms; t += 100) {
      await new Promise((r) => setTimeout(r, 100));
      const pk = rg.peak(streamID);
      samples.push(pk && isFinite(pk.db) ? [pk.hz, pk.db] : [null, null]);
      if (t % 500 === 0) {
        const s = await inbound(streamID);
        if (s && typeof s.audioLevel === 'number') maxLevel = Math.max(maxLevel, s.audioLevel);
      }
    }
    const s1 = await inbound(streamID);
    if (s1 && typeof s1.audioLevel === 'number') maxLevel = Math.max(maxLevel, s1.audioLevel);
    const median = (xs) => { const v = xs.filter((x) => x !== null).sort((a, b) => a - b); return v.length ? v[Math.floor(v.length / 2)] : null; };
    return {
      streamID,
      hz: median(samples.map((x) => x[0])),
      db: median(samples.map((x) => x[1])),
      samples,
      trackLive: p.track ? p.track.readyState : null,
      audioLevel: maxLevel,
      packets: s0 && s1 ? s1.packetsReceived - s0.packetsReceived : null,
      inbound: s1,
      ctxState: rg.ctx && rg.ctx.state,
      audioPaused: p.audio.paused,
    };
  };

  // What every leg of the page looks like (for failure reports).
  rg.legSummary = async function () {
    const out = [];
    for (const kind of ['publish', 'play']) {
      const map = kind === 'publish' ? rg.engine && rg.engine._publishers : rg.engine && rg.engine._players;
      for (const [id, leg] of (map ? map.entries() : [])) {
        const item = { kind, streamID: id, state: leg.state, legId: leg.legId, pc: leg.pc ? leg.pc.connectionState : null };
        if (leg.pc) {
          (await leg.pc.getStats()).forEach((s) => {
            if (s.type === 'outbound-rtp') item.out = { packetsSent: s.packetsSent, bytesSent: s.bytesSent };
            if (s.type === 'inbound-rtp') item.in = { packetsReceived: s.packetsReceived, audioLevel: s.audioLevel, packetsLost: s.packetsLost };
            if (s.type === 'transport') item.dtls = s.dtlsState + ' ' + (s.srtpCipher || '');
          });
        }
        out.push(item);
      }
    }
    return out;
  };
})();
