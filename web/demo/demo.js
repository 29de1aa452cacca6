// roomgate demo: ZEGO's "audio call" quick start flow, unchanged, against
// roomgate (the SDK is /sdk/roomgate-web.js). Tokens come from the server's
// development endpoint GET /dev/token.
(function () {
  'use strict';
  const $ = (id) => document.getElementById(id);

  let zg = null;
  let localStream = null;
  let localStreamID = null;
  let currentRoomID = null;
  let me = null;
  let meter = null;
  const users = new Map(); // userID -> {userID, userName}
  const playing = new Map(); // streamID -> {stream, view, li}

  function log(...parts) {
    const line = `${new Date().toLocaleTimeString()} ${parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join(' ')}`;
    const el = $('log');
    el.textContent = (line + '\n' + el.textContent).slice(0, 20000);
    console.log('[demo]', ...parts);
  }

  // Default user ID: random, so two tabs do not take each other over.
  if (!$('userID').value) $('userID').value = 'user' + Math.floor(Math.random() * 100000);

  function setState(text, error) {
    $('roomState').textContent = text;
    $('roomError').textContent = error ? `error ${error}` : '';
  }

  function fmtQuality(stats) {
    const a = stats.audio || {};
    return `bitrate ${Number(a.audioBitrate || 0).toFixed(1)} kbps · packets/s ${a.audioFPS || 0}\n` +
      `lost ${a.audioPacketsLost || 0} (${a.audioPacketsLostRate || 0}%) · rtt ${stats.currentRoundTripTime || 0} ms` +
      (a.audioJitter !== undefined ? ` · jitter ${a.audioJitter} ms` : '') +
      ` · quality ${a.audioQuality}`;
  }

  // ---- users and streams lists ----

  function renderUsers() {
    const ul = $('users');
    ul.textContent = '';
    const all = me ? [me, ...users.values()] : [...users.values()];
    for (const u of all) {
      const li = document.createElement('li');
      li.dataset.user = u.userID;
      li.textContent = u.userName && u.userName !== u.userID ? `${u.userID} (${u.userName})` : u.userID;
      if (u === me) { li.classList.add('me'); li.textContent += ' (you)'; }
      ul.appendChild(li);
    }
  }

  function addStreamItem(s) {
    if (playing.has(s.streamID)) return playing.get(s.streamID);
    const li = document.createElement('li');
    li.dataset.stream = s.streamID;
    li.innerHTML = '<div><code class="sid"></code> from <span class="who"></span> <span class="state">NO_PLAY</span></div>' +
      '<div class="meter"><div></div></div><div class="quality"></div><div class="view"></div>';
    li.querySelector('.sid').textContent = s.streamID;
    li.querySelector('.who').textContent = s.user ? s.user.userID : '?';
    $('streams').appendChild(li);
    const item = { li, stream: null, view: null };
    playing.set(s.streamID, item);
    return item;
  }

  function removeStreamItem(streamID) {
    const item = playing.get(streamID);
    if (!item) return;
    if (item.view) item.view.stop();
    item.li.remove();
    playing.delete(streamID);
  }

  // ---- local microphone preview (a level meter on the captured audio) ----

  function startMeter(stream) {
    try {
      const ctx = new AudioContext();
      const src = ctx.createMediaStreamSource(stream);
      const an = ctx.createAnalyser();
      an.fftSize = 512;
      src.connect(an);
      const buf = new Float32Array(an.fftSize);
      const timer = setInterval(() => {
        an.getFloatTimeDomainData(buf);
        let peak = 0;
        for (const v of buf) peak = Math.max(peak, Math.abs(v));
        $('localLevel').style.width = Math.min(100, Math.round(peak * 100)) + '%';
      }, 100);
      return { stop() { clearInterval(timer); ctx.close(); $('localLevel').style.width = '0'; } };
    } catch (e) {
      return { stop() {} };
    }
  }

  // ---- join: the quick start's call sequence ----

  async function join(ev) {
    ev.preventDefault();
    const roomID = $('roomID').value.trim();
    const userID = $('userID').value.trim();
    const userName = $('userName').value.trim() || userID;
    $('join').disabled = true;
    setState('getting a token…');
    let tok;
    try {
      const r = await fetch(`/dev/token?user_id=${encodeURIComponent(userID)}&room_id=${encodeURIComponent(roomID)}`);
      tok = await r.json();
      if (!r.ok) throw new Error((tok.error && tok.error.message) || r.statusText);
    } catch (e) {
      setState('no token', e.message);
      log('token request failed:', e.message);
      $('join').disabled = false;
      return;
    }

    const server = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    zg = new ZegoExpressEngine(tok.app_id, server);

    zg.on('roomStateChanged', (roomID, reason, errorCode, extendedData) => {
      log('roomStateChanged', roomID, reason, errorCode, extendedData);
      setState(reason, errorCode);
      if (reason === 'KICKOUT' || reason === 'RECONNECT_FAILED') setTimeout(() => end(true), 0);
    });
    zg.on('roomUserUpdate', (roomID, updateType, userList) => {
      log('roomUserUpdate', updateType, userList.map((u) => u.userID));
      for (const u of userList) {
        if (updateType === 'ADD') users.set(u.userID, u);
        else users.delete(u.userID);
      }
      renderUsers();
    });
    zg.on('roomOnlineUserCountUpdate', (roomID, count) => { $('onlineCount').textContent = count; });
    zg.on('roomStreamUpdate', async (roomID, updateType, streamList, extendedData) => {
      log('roomStreamUpdate', updateType, streamList.map((s) => s.streamID), extendedData);
      if (updateType === 'ADD') {
        for (const s of streamList) {
          const item = addStreamItem(s);
          try {
            const remoteStream = await zg.startPlayingStream(s.streamID);
            if (!playing.has(s.streamID)) continue; // removed meanwhile
            item.stream = remoteStream;
            item.view = zg.createRemoteStreamView(remoteStream);
            item.view.play(item.li.querySelector('.view'), { enableAutoplayDialog: true });
          } catch (e) {
            log('startPlayingStream failed', s.streamID, e.code, e.msg);
          }
        }
      } else {
        for (const s of streamList) {
          zg.stopPlayingStream(s.streamID);
          removeStreamItem(s.streamID);
        }
      }
    });
    zg.on('publisherStateUpdate', (r) => {
      log('publisherStateUpdate', r.streamID, r.state, r.errorCode);
      const el = $('publishState');
      el.textContent = r.state + (r.errorCode ? ` (${r.errorCode})` : '');
      el.className = 'state ' + r.state;
    });
    zg.on('publishQualityUpdate', (streamID, stats) => { $('publishQuality').textContent = fmtQuality(stats); });
    zg.on('playerStateUpdate', (r) => {
      log('playerStateUpdate', r.streamID, r.state, r.errorCode);
      const item = playing.get(r.streamID);
      if (!item) return;
      const el = item.li.querySelector('.state');
      el.textContent = r.state + (r.errorCode ? ` (${r.errorCode})` : '');
      el.className = 'state ' + r.state;
    });
    zg.on('playQualityUpdate', (streamID, stats) => {
      const item = playing.get(streamID);
      if (item) item.li.querySelector('.quality').textContent = fmtQuality(stats);
    });
    zg.on('soundLevelUpdate', (list) => {
      for (const s of list) {
        const item = s.type === 'pull' ? playing.get(s.streamID) : null;
        if (item) item.li.querySelector('.meter div').style.width = s.soundLevel + '%';
      }
    });
    zg.on('remoteMicStatusUpdate', (streamID, status) => log('remoteMicStatusUpdate', streamID, status));
    zg.on('tokenWillExpire', async (roomID) => {
      log('tokenWillExpire', roomID);
      try {
        const r = await fetch(`/dev/token?user_id=${encodeURIComponent(userID)}&room_id=${encodeURIComponent(roomID)}`);
        zg.renewToken((await r.json()).token, roomID);
      } catch (e) {
        log('token renewal failed', e.message);
      }
    });

    const caps = await zg.checkSystemRequirements();
    $('caps').textContent = `WebRTC ${caps.webRTC ? 'yes' : 'no'}, microphone ${caps.microphone ? 'yes' : 'no'}`;
    if (!caps.webRTC || !caps.microphone) log('system requirements', caps);

    try {
      await zg.loginRoom(roomID, tok.token, { userID, userName }, { userUpdate: true });
    } catch (e) {
      log('loginRoom failed', e.code, e.msg);
      zg.destroyEngine();
      zg = null;
      $('join').disabled = false;
      return;
    }
    currentRoomID = roomID;
    me = { userID, userName };
    renderUsers();
    $('end').disabled = false;
    zg.setSoundLevelDelegate(true, 500);

    try {
      localStream = await zg.createZegoStream({ camera: { audio: true, video: false } });
    } catch (e) {
      log('createZegoStream failed', e.code, e.msg);
      return;
    }
    if (!zg) return; // ended meanwhile
    if ($('monitor').checked) localStream.playAudio();
    meter = startMeter(localStream);
    localStreamID = `${userID}-main`.replace(/[^0-9A-Za-z_-]/g, '_');
    $('localStreamID').textContent = localStreamID;
    if (!zg.startPublishingStream(localStreamID, localStream)) log('startPublishingStream refused');
  }

  function cleanup() {
    if (meter) { meter.stop(); meter = null; }
    for (const id of [...playing.keys()]) removeStreamItem(id);
    users.clear();
    me = null;
    renderUsers();
    $('onlineCount').textContent = '0';
    $('publishState').textContent = 'NO_PUBLISH';
    $('publishState').className = 'state';
    $('publishQuality').textContent = '';
    $('localStreamID').textContent = '-';
    $('join').disabled = false;
    $('end').disabled = true;
  }

  // keepState: leave the room state shown (after KICKOUT / RECONNECT_FAILED).
  function end(keepState) {
    if (!zg) return;
    if (localStreamID) zg.stopPublishingStream(localStreamID);
    if (localStream) zg.destroyStream(localStream);
    for (const id of playing.keys()) zg.stopPlayingStream(id);
    if (currentRoomID) zg.logoutRoom(currentRoomID);
    zg.destroyEngine();
    zg = null;
    localStream = null;
    localStreamID = null;
    currentRoomID = null;
    cleanup();
    if (keepState !== true) setState('not joined');
  }

  $('joinForm').addEventListener('submit', join);
  $('end').addEventListener('click', () => end(false));
  $('monitor').addEventListener('change', () => {
    if (!localStream) return;
    if ($('monitor').checked) localStream.playAudio();
    else localStream.stopAudio();
  });
  $('mute').addEventListener('change', () => {
    if (zg && localStream) zg.mutePublishStreamAudio(localStream, $('mute').checked);
  });
})();
