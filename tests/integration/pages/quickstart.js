// An application page written only against zego-compat §1 (ZEGO's audio call
// quick start), shared by quickstart-classic.html (the SDK as a <script>) and
// quickstart-module.html (the SDK imported as an ES module). Its parameters
// come from the URL (?room=..&user=..&stream=..), its token from the server's
// development endpoint, as an application's own server would give one.
// Nothing here is for tests except window.quickstart, where the page keeps
// what happened and what it heard (the peak frequency of each played stream).
/* exported startQuickstart */
function startQuickstart(ZegoExpressEngine, loadedAs) {
  'use strict';
  const out = window.quickstart = { loadedAs, events: [], heard: {}, error: null, done: false };
  const note = (name, ...args) => out.events.push({ name, args: JSON.parse(JSON.stringify(args)) });
  const q = new URLSearchParams(location.search);
  const roomID = q.get('room');
  const userID = q.get('user');
  const streamID = q.get('stream');
  const audioCtx = new AudioContext();

  // What the page hears: the loudest frequency of each played stream.
  function listen(id, remoteStream) {
    const an = audioCtx.createAnalyser();
    an.fftSize = 4096;
    an.smoothingTimeConstant = 0;
    audioCtx.createMediaStreamSource(remoteStream).connect(an);
    const bins = new Float32Array(an.frequencyBinCount);
    const timer = setInterval(() => {
      an.getFloatFrequencyData(bins);
      let best = 1;
      for (let i = 2; i < bins.length; i++) if (bins[i] > bins[best]) best = i;
      out.heard[id] = { hz: Math.round(best * audioCtx.sampleRate / an.fftSize), db: Math.round(bins[best]), at: Date.now() };
    }, 200);
    return () => { clearInterval(timer); delete out.heard[id]; };
  }
  const listeners = {};

  async function main() {
    const tok = await (await fetch(`/dev/token?user_id=${encodeURIComponent(userID)}&room_id=${encodeURIComponent(roomID)}`)).json();
    const appID = tok.app_id;
    const token = tok.token;
    const server = `ws://${location.host}/ws`;

    // ---- the quick start, unchanged ----
    const zg = new ZegoExpressEngine(appID, server);
    zg.on('roomStateChanged', (roomID, reason, errorCode, extendedData) => note('roomStateChanged', roomID, reason, errorCode, extendedData));
    zg.on('roomUserUpdate', (roomID, updateType, userList) => note('roomUserUpdate', roomID, updateType, userList));
    zg.on('roomStreamUpdate', async (roomID, updateType, streamList, extendedData) => {
      note('roomStreamUpdate', roomID, updateType, streamList, extendedData);
      if (updateType === 'ADD') {
        for (const s of streamList) {
          const remoteStream = await zg.startPlayingStream(s.streamID);
          const remoteView = zg.createRemoteStreamView(remoteStream);
          remoteView.play('remote-video', { enableAutoplayDialog: true });
          listeners[s.streamID] = listen(s.streamID, remoteStream);
        }
      } else if (updateType === 'DELETE') {
        for (const s of streamList) {
          zg.stopPlayingStream(s.streamID);
          if (listeners[s.streamID]) listeners[s.streamID]();
        }
      }
    });
    zg.on('publisherStateUpdate', (result) => note('publisherStateUpdate', result));
    zg.on('publishQualityUpdate', (streamID, stats) => note('publishQualityUpdate', streamID, stats));
    zg.on('playerStateUpdate', (result) => note('playerStateUpdate', result));
    zg.on('playQualityUpdate', (streamID, stats) => note('playQualityUpdate', streamID, stats));

    const result = await zg.checkSystemRequirements();
    note('checkSystemRequirements', result);
    const loggedIn = await zg.loginRoom(roomID, token, { userID, userName: userID }, { userUpdate: true });
    note('loginRoom', loggedIn);
    const localStream = await zg.createZegoStream({ camera: { audio: true, video: false } });
    localStream.playAudio();
    note('startPublishingStream', zg.startPublishingStream(streamID, localStream));
  }

  main().then(() => { out.done = true; }, (e) => { out.error = e && (e.msg || e.message) ? e : String(e); note('error', out.error); });
}
