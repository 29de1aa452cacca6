#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_jbuf (tests/fuzz/corpus/jbuf/).

Each file is a sequence of records [arrival delta ms: u8][length: u16 BE]
[RTP packet]. Payloads are small valid Opus packets: a TOC byte for the
frame size wanted (code 0, one frame) and a few bytes; libopus decodes any
such frame. Run from anywhere: python3 tests/fuzz/gen_jbuf_corpus.py
"""
import os
import random
import struct

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "jbuf")

# Opus TOC (RFC 6716 3.1), mono, code 0: config << 3
TOC = {
    10: 30 << 3,  # CELT FB 10 ms
    20: 31 << 3,  # CELT FB 20 ms (0xf8)
    40: 2 << 3,   # SILK NB 40 ms
    60: 3 << 3,   # SILK NB 60 ms
}
SAMPLES_PER_MS = 48


def rtp(seq, ts, payload, marker=False, ssrc=0x1234ABCD, level=None):
    """An RTP packet, PT 111; with an RFC 6464 level in a one-byte
    extension (id 1) when level is given."""
    b0 = 0x80
    ext = b""
    if level is not None:
        b0 |= 0x10
        ext = struct.pack("!HH", 0xBEDE, 1) + bytes([0x10, 0x80 | level, 0, 0])
    b1 = (0x80 if marker else 0) | 111
    hdr = struct.pack("!BBHII", b0, b1, seq & 0xFFFF, ts & 0xFFFFFFFF, ssrc)
    return hdr + ext + payload


def opus_payload(ms, seq):
    return bytes([TOC[ms]]) + struct.pack("!H", seq & 0xFFFF) + b"\x5a\xa5"


class Stream:
    """Packets with arrival times; written as records sorted by arrival."""

    def __init__(self, seq=1000, ts=123456):
        self.seq, self.ts, self.t = seq, ts, 0
        self.pkts = []  # (arrival ms, packet bytes)

    def add(self, ms=20, at=None, lost=False, marker=False, level=None, ts_skip=0):
        self.ts += ts_skip
        if not lost:
            p = rtp(self.seq, self.ts, opus_payload(ms, self.seq), marker, level=level)
            self.pkts.append((self.t if at is None else at, p))
        self.seq += 1
        self.ts += ms * SAMPLES_PER_MS
        self.t += ms

    def records(self):
        out, now = b"", 0
        for at, p in sorted(self.pkts, key=lambda x: x[0]):
            delta = max(0, at - now)
            now += delta
            while delta > 255:  # an empty record moves the clock on
                out += struct.pack("!BH", 255, 0)
                delta -= 255
            out += struct.pack("!BH", delta, len(p)) + p
        return out


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def main():
    os.makedirs(OUT, exist_ok=True)
    rnd = random.Random(1)

    s = Stream()
    for i in range(30):
        s.add(level=rnd.randrange(0, 128), marker=i == 0)
    write("in_order.bin", s.records())

    s = Stream()
    for i in range(40):
        at = s.t + (25 if i in (5, 17) else 0) + (-20 if i in (6, 18) else 0)
        s.add(at=at)
    s.pkts.append(s.pkts[10])  # a duplicate, right away
    s.pkts.append((s.t + 5, s.pkts[3][1]))  # a copy of a played one
    write("reorder_dup.bin", s.records())

    s = Stream()
    for i in range(40):
        s.add(lost=i in (8, 20, 21, 22))
    # 20 turns up long after its turn: late
    s.pkts.append((s.t + 100, rtp(1020, 123456 + 20 * 960, opus_payload(20, 1020))))
    write("loss_burst_late.bin", s.records())

    s = Stream()
    for i in range(80):
        s.add(at=s.t + 30 + rnd.randint(-30, 30))
    write("jitter.bin", s.records())

    s = Stream()
    for ms in [20] * 5 + [60] * 5 + [10] * 10 + [40] * 5:
        s.add(ms=ms, lost=rnd.random() < 0.1)
    write("ptime_mix.bin", s.records())

    s = Stream(seq=65530, ts=0xFFFFFF00 - 5 * 960)
    for i in range(20):
        s.add()
    s.add(ts_skip=48000 * 10)  # timestamp jump
    for i in range(10):
        s.add()
    s.t += 1500  # silence, then more
    for i in range(10):
        s.add()
    write("wrap_jump_gap.bin", s.records())

    s = Stream()
    for i in range(10):
        s.add()
    for i in range(4):  # DTX: one packet per 400 ms, ts skipping
        s.add(at=s.t + 380, ts_skip=380 * SAMPLES_PER_MS)
        s.t += 380
    for i in range(10):
        s.add()
    write("dtx.bin", s.records())

    s = Stream()
    for i in range(70):  # a stall: 70 packets at once (overflow)
        s.add(at=0)
    write("burst_overflow.bin", s.records())


if __name__ == "__main__":
    main()
