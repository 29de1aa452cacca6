#!/usr/bin/python3
"""A non-browser WebRTC peer for roomgate's protocol (python3-aiortc).

  aiortc_peer.py publish URL ROOM USER TOKEN STREAM WAV SECONDS
  aiortc_peer.py play    URL ROOM USER TOKEN STREAM OUT.wav SECONDS

publish: logs in, publishes STREAM and sends the WAV over WebRTC.
play: logs in, plays STREAM and records what arrives into OUT.wav.
Prints one JSON line of results on stdout; exits non-zero on failure."""
import asyncio
import json
import os
import re
import sys

import aioice.ice
# aioice never offers loopback addresses; tests run on 127.0.0.1 only
aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaPlayer, MediaRecorder
from aiortc.sdp import candidate_from_sdp


class Session:
    def __init__(self, ws):
        self.ws = ws
        self.next_id = 1
        self.pending = {}
        self.events = asyncio.Queue()

    async def reader(self):
        async for text in self.ws:
            m = json.loads(text)
            if m.get("type") == "response" and m.get("id") in self.pending:
                self.pending.pop(m["id"]).set_result(m)
            elif m.get("type") == "event":
                await self.events.put(m)

    async def request(self, type_, **fields):
        rid = self.next_id
        self.next_id += 1
        fut = asyncio.get_running_loop().create_future()
        self.pending[rid] = fut
        await self.ws.send(json.dumps({"v": 1, "id": rid, "type": type_, **fields}))
        m = await asyncio.wait_for(fut, 10)
        if not m["ok"]:
            raise RuntimeError(f"{type_}: {m['error']}")
        return m["data"]


async def trickle(sess, pc, leg_id, states):
    """Remote candidates from the server's candidate events; leg states."""
    while True:
        ev = await sess.events.get()
        if ev["event"] == "leg_state" and ev["data"]["leg_id"] == leg_id:
            states.append(ev["data"]["state"] + (":" + ev["data"]["reason"] if ev["data"]["reason"] else ""))
        if ev["event"] != "candidate" or ev["data"]["leg_id"] != leg_id:
            continue
        cand = ev["data"]["candidate"]
        if not cand:
            continue  # aiortc 1.4 has no end-of-candidates call
        c = candidate_from_sdp(cand.split(":", 1)[1])
        c.sdpMid = pc.getTransceivers()[0].mid
        c.sdpMLineIndex = 0
        try:
            await pc.addIceCandidate(c)
        except Exception as e:  # noqa: BLE001 - report and go on
            print(f"addIceCandidate: {e!r}", file=sys.stderr)


async def main():
    mode, url, room, user, token, stream, path, seconds = sys.argv[1:9]
    async with websockets.connect(url) as ws:
        sess = Session(ws)
        reader = asyncio.create_task(sess.reader())
        await sess.request("login", room_id=room, token=token, user={"user_id": user, "user_name": user})
        hb = asyncio.create_task(heartbeat(sess))
        pc = RTCPeerConnection()
        recorder = None
        if mode == "publish":
            player = MediaPlayer(path)
            pc.addTrack(player.audio)
            await sess.request("publish", stream_id=stream)
        else:
            pc.addTransceiver("audio", direction="recvonly")
            recorder = MediaRecorder(path)

            @pc.on("track")
            def on_track(track):
                recorder.addTrack(track)
        await pc.setLocalDescription(await pc.createOffer())
        kind = "publish_offer" if mode == "publish" else "play"
        offer = pc.localDescription.sdp
        if os.environ.get("RG_PEER_BAD_FINGERPRINT"):
            # a fingerprint that is not this peer's certificate: DTLS must fail
            offer = re.sub(r"a=fingerprint:sha-256 [0-9A-F:]+", "a=fingerprint:sha-256 " + ":".join(["AB"] * 32), offer)
        ans = await sess.request(kind, stream_id=stream, sdp=offer)
        states = []
        await pc.setRemoteDescription(RTCSessionDescription(ans["sdp"], "answer"))
        tr = asyncio.create_task(trickle(sess, pc, ans["leg_id"], states))
        if recorder:
            await recorder.start()
        await asyncio.sleep(float(seconds))
        result = {"ice": pc.iceConnectionState, "connection": pc.connectionState,
                  "leg_id": ans["leg_id"], "leg_states": states}
        if recorder:
            await recorder.stop()
        await pc.close()
        for t in (tr, hb, reader):
            t.cancel()
        print(json.dumps(result))
        return 0 if result["connection"] == "connected" else 1


async def heartbeat(sess):
    while True:
        await asyncio.sleep(1)
        await sess.request("heartbeat")


sys.exit(asyncio.run(main()))
