/* rtp: RTP and RTCP wire formats and the per-leg RTP state that sits on the
 * media path (ARCHITECTURE.md, "The media path").
 *
 *   rtp.c         RTP fixed header, CSRCs, header extension block, padding
 *   ext.c         RFC 8285 extension elements, RFC 6464 audio level
 *   demux.c       RFC 7983 / RFC 5761 first-byte demultiplexing
 *   rtcp.c        RTCP compound parsing (SR, RR, SDES, BYE, APP, RTPFB, PSFB)
 *   rtcp_build.c  RTCP packet builders (SR, RR, SDES CNAME, BYE, NACK, PLI)
 *   rewrite.c     per-player SSRC/seq/timestamp rewriting
 *   stats.c       RFC 3550 A.1/A.3/A.8 receive statistics, sender counts
 *   ntp.c         NTP timestamps, compact NTP, RTT from a report block
 *   dtmf.c        RFC 4733 telephone-event payload
 *
 * Everything here is pure: no sockets, no clock reads (callers pass times
 * in), no globals, no allocation. State objects (struct rtp_rewriter,
 * struct rtp_rx_stats, struct rtp_tx_stats) are owned by the caller, which
 * embeds them in its leg; their fields are private (read them through the
 * functions below) and an object is used by the thread that owns the leg.
 *
 * Errors follow the project convention: 0 (or a length/count) on success,
 * a negative errno on failure. Decoders return -EINVAL when the bytes are not
 * the format at all (too short for the fixed header, wrong version) and
 * -EBADMSG when they are but lengths or fields are inconsistent. Builders
 * return the number of bytes written, -EINVAL for arguments that cannot be
 * encoded, or -ENOSPC when the caller's buffer is too small (nothing useful
 * is written then). Parsed views (payload, ext, body...) point into the
 * caller's buffer and are valid as long as it is. */
#ifndef RG_RTP_RTP_H
#define RG_RTP_RTP_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* RTP header (RFC 3550 section 5.1) */

#define RTP_VERSION 2
#define RTP_HEADER_MIN 12
#define RTP_MAX_CSRC 15
#define RTP_EXT_PROFILE_ONE_BYTE 0xBEDE /* RFC 8285 4.2 */
#define RTP_EXT_PROFILE_TWO_BYTE 0x1000 /* RFC 8285 4.3; low 4 bits: appbits */

struct rtp_header {
	bool padding;            /* P bit as received; ignored by the encoders */
	bool extension;          /* X bit: ext_profile/ext/ext_len are meaningful */
	bool marker;
	uint8_t cc;              /* CSRC count 0..15 */
	uint8_t pt;              /* payload type 0..127 */
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	uint32_t csrc[RTP_MAX_CSRC];
	uint16_t ext_profile;    /* "defined by profile" word of the extension */
	const uint8_t *ext;      /* extension data after its 4-byte header */
	size_t ext_len;          /* bytes, a multiple of 4 */
	const uint8_t *payload;
	size_t payload_len;      /* without padding */
	uint8_t pad_len;         /* padding bytes incl. the count byte; 0 = none */
	size_t header_len;       /* fixed header + CSRCs + extension */
};

/* Decodes one RTP packet. Returns 0, -EINVAL (shorter than 12 bytes or
 * version != 2) or -EBADMSG (CSRCs, extension or padding overrun the
 * packet, or a padding count of 0). *h is unspecified on failure. Does not
 * look at the payload type: demultiplex RTCP first (rtp_demux). */
int rtp_header_decode(struct rtp_header *h, const uint8_t *buf, size_t len);

/* Writes the header described by h (fixed part, h->cc CSRCs, and the
 * extension block when h->extension) into buf. The P bit is set when
 * h->pad_len > 0. Returns the header length, -EINVAL (cc > 15, pt > 127,
 * ext_len not a multiple of 4 or > 262140) or -ENOSPC. */
int rtp_header_encode(uint8_t *buf, size_t size, const struct rtp_header *h);

/* Writes a whole packet: the header, h->payload_len bytes from h->payload,
 * and h->pad_len bytes of padding (zeros, then the count). h->payload and
 * h->ext must not overlap buf unless they already sit at their final
 * offsets (re-encoding a decoded packet in place). Returns the packet
 * length, or the errors of rtp_header_encode. */
int rtp_packet_encode(uint8_t *buf, size_t size, const struct rtp_header *h);

/* ------------------------------------------------------------------ */
/* Header extension elements (RFC 8285) and audio level (RFC 6464) */

struct rtp_ext_elem {
	uint8_t id;              /* 1..14 (one-byte form) or 1..255 (two-byte) */
	uint8_t len;             /* data bytes: 1..16 (one-byte) or 0..255 */
	const uint8_t *data;
};

struct rtp_ext_iter {        /* private */
	const uint8_t *p;
	size_t left;
	bool two_byte;
};

/* Starts a walk over the elements of h's extension block. Returns 0, or
 * -ENOENT when h has no extension in the one-byte (0xBEDE) or two-byte
 * (0x100X) form. */
int rtp_ext_iter_init(struct rtp_ext_iter *it, const struct rtp_header *h);

/* Next element: returns 1 (*e filled), 0 at the end (padding bytes are
 * skipped; a one-byte ID 15 ends the walk as RFC 8285 asks), or -EBADMSG
 * when an element overruns the block (the walk is then over). */
int rtp_ext_next(struct rtp_ext_iter *it, struct rtp_ext_elem *e);

/* First element with the given id. Returns 0, -ENOENT, -EINVAL (id 0) or
 * -EBADMSG (the block is malformed before the element is found). */
int rtp_ext_find(const struct rtp_header *h, uint8_t id, struct rtp_ext_elem *e);

/* Renumbers, in place, the extension element 'from' of an RTP packet to
 * 'to' (a relay whose two sides negotiated different IDs for one URI).
 * Returns 1 when renumbered, 0 when the packet has no such element,
 * -EINVAL when 'to' does not fit the packet's form (one-byte: 1..14) or
 * the packet is malformed. */
int rtp_ext_renumber(uint8_t *pkt, size_t len, uint8_t from, uint8_t to);

/* Rewrites, in place and in one pass, the ids of an RTP packet's extension
 * elements (a relay between sides that negotiated different ids, or none):
 * an element whose id is below n gets map[id]; map[id] == 0 blanks it (its
 * header and data bytes become padding, so a receiver that did not
 * negotiate it never sees it); ids from n up are left alone. The packet
 * keeps its length. Returns the number of elements changed, or -EINVAL
 * (malformed packet or block, a one-byte id mapped above 14). */
int rtp_ext_remap(uint8_t *pkt, size_t len, const uint8_t *map, size_t n);

/* Writes the elements as an extension block (data only, padded with zeros
 * to a multiple of 4) and sets *profile: the one-byte form when every id
 * is 1..14 and every len 1..16, else the two-byte form. Use the result as
 * h->ext / h->ext_len / h->ext_profile. Returns the block length, -EINVAL
 * (no elements, id 0, data NULL with len > 0, block > 262140 bytes) or
 * -ENOSPC. */
int rtp_ext_build(uint8_t *buf, size_t size, uint16_t *profile,
		  const struct rtp_ext_elem *elems, size_t n);

/* RFC 6464 client-to-mixer audio level under the negotiated id: *level is
 * 0..127 (-dBov, 127 = silence), *vad the V flag. Returns 0, -ENOENT,
 * -EINVAL (id 0) or -EBADMSG (malformed block, or an empty element). */
int rtp_audio_level_get(const struct rtp_header *h, uint8_t id, uint8_t *level, bool *vad);

/* The element's data byte for (level clamped to 127, vad). */
uint8_t rtp_audio_level_pack(uint8_t level, bool vad);

/* Writes an audio RTP packet whose only header extension is the RFC 6464
 * level (one-byte form, id 1..14; vad when level < 127) followed by the
 * payload. Returns the packet length, -EINVAL (pt > 127, bad id) or
 * -ENOSPC. */
int rtp_level_packet_build(uint8_t *buf, size_t size, uint8_t pt, uint16_t seq, uint32_t ts,
			   uint32_t ssrc, uint8_t level_id, uint8_t level, const uint8_t *payload,
			   size_t len);

/* ------------------------------------------------------------------ */
/* Demultiplexing a UDP datagram by its first bytes (RFC 7983, RFC 5761) */

enum rtp_demux_class {
	RTP_DEMUX_DROP = 0,      /* empty, or a first byte no protocol owns */
	RTP_DEMUX_STUN,          /* 0..3 */
	RTP_DEMUX_ZRTP,          /* 16..19 */
	RTP_DEMUX_DTLS,          /* 20..63 */
	RTP_DEMUX_TURN_CHANNEL,  /* 64..79 */
	RTP_DEMUX_RTP,           /* 128..191, second byte not 192..223 */
	RTP_DEMUX_RTCP,          /* 128..191, second byte 192..223 (PT 64..95 + M) */
};

enum rtp_demux_class rtp_demux(const uint8_t *buf, size_t len);
const char *rtp_demux_name(enum rtp_demux_class c);

/* ------------------------------------------------------------------ */
/* RTCP (RFC 3550 section 6, RFC 4585 feedback) */

enum rtcp_type {
	RTCP_SR = 200,
	RTCP_RR = 201,
	RTCP_SDES = 202,
	RTCP_BYE = 203,
	RTCP_APP = 204,
	RTCP_RTPFB = 205,
	RTCP_PSFB = 206,
	RTCP_XR = 207,
};

enum {
	RTCP_RTPFB_NACK = 1,     /* generic NACK (RFC 4585 6.2.1) */
	RTCP_PSFB_PLI = 1,
	RTCP_PSFB_FIR = 4,
	RTCP_PSFB_AFB = 15,      /* application layer feedback (REMB) */
};

enum rtcp_sdes_type {
	RTCP_SDES_END = 0,
	RTCP_SDES_CNAME = 1,
	RTCP_SDES_NAME = 2,
	RTCP_SDES_EMAIL = 3,
	RTCP_SDES_PHONE = 4,
	RTCP_SDES_LOC = 5,
	RTCP_SDES_TOOL = 6,
	RTCP_SDES_NOTE = 7,
	RTCP_SDES_PRIV = 8,
};

#define RTCP_HEADER_SIZE 4
#define RTCP_REPORT_BLOCK_SIZE 24
#define RTCP_MAX_COUNT 31        /* report blocks, chunks or SSRCs per packet */

struct rtcp_report_block {
	uint32_t ssrc;           /* the source this block reports on */
	uint8_t fraction_lost;   /* fixed point /256 over the last interval */
	int32_t cumulative_lost; /* 24-bit signed on the wire; builders clamp */
	uint32_t ext_highest_seq;
	uint32_t jitter;         /* RTP timestamp units */
	uint32_t lsr;            /* middle 32 bits of the last SR's NTP time */
	uint32_t dlsr;           /* delay since that SR, 1/65536 s */
};

struct rtcp_sr_info {
	uint32_t ssrc;
	uint64_t ntp;            /* NTP timestamp, 32.32 fixed point */
	uint32_t rtp_ts;         /* RTP time corresponding to ntp */
	uint32_t packet_count;
	uint32_t octet_count;
};

/* One packet of a compound, as returned by rtcp_iter_next. Only the fields
 * named for the packet's type are set; the rest are zero/NULL. Other types
 * in 192..223 (XR, ...) are returned with just the common fields. */
struct rtcp_packet {
	uint8_t pt;
	uint8_t count;           /* RC (SR, RR), SC (SDES, BYE), FMT (RTPFB, PSFB),
				    subtype (APP) */
	const uint8_t *raw;      /* the packet as on the wire, padding included */
	size_t raw_len;
	const uint8_t *body;     /* after the 4-byte header, padding excluded */
	size_t body_len;
	uint32_t ssrc;           /* sender: SR, RR, APP, RTPFB, PSFB */
	struct rtcp_sr_info sr;  /* SR */
	const uint8_t *blocks;   /* SR, RR: count report blocks */
	uint32_t media_ssrc;     /* RTPFB, PSFB */
	const uint8_t *fci;      /* RTPFB, PSFB: feedback control information */
	size_t fci_len;          /* generic NACK: a multiple of 4, >= 4 */
	char app_name[4];        /* APP (not NUL-terminated) */
	const uint8_t *app_data; /* APP */
	size_t app_data_len;
	const uint8_t *reason;   /* BYE: reason text or NULL (not NUL-terminated) */
	uint8_t reason_len;
};

struct rtcp_iter {           /* private */
	const uint8_t *p;
	size_t left;
};

/* Walks a compound packet (one or more RTCP packets back to back). */
void rtcp_iter_init(struct rtcp_iter *it, const uint8_t *buf, size_t len);

/* Next packet: returns 1 (*p filled), 0 at the end, or -EBADMSG when the
 * packet is malformed (short header, version != 2, a packet type outside
 * 192..223 (RFC 5761: nothing else can share the port), length beyond the
 * buffer, padding not on the last packet or with a bad count, a body too
 * short for its type/count, SDES chunks or BYE reason overrunning, a NACK
 * without items). After an error the walk is over. */
int rtcp_iter_next(struct rtcp_iter *it, struct rtcp_packet *p);

/* Validates a whole compound before any of it is acted on (RFC 3550 A.2:
 * one bad packet invalidates the compound). Returns the number of packets
 * (>= 1) or -EBADMSG (also for an empty buffer). The rule that a compound
 * starts with SR or RR is not enforced: RFC 5506 reduced-size RTCP, which
 * WebRTC negotiates (rtcp-rsize), sends feedback on its own. */
int rtcp_compound_check(const uint8_t *buf, size_t len);

/* Report block i (0-based) of an SR or RR. Returns 0, -EINVAL (not SR/RR)
 * or -ERANGE (i >= count). */
int rtcp_report_block_get(const struct rtcp_packet *p, unsigned i, struct rtcp_report_block *rb);

/* SSRC i of a BYE. Returns 0, -EINVAL (not BYE) or -ERANGE. */
int rtcp_bye_ssrc(const struct rtcp_packet *p, unsigned i, uint32_t *ssrc);

struct rtcp_sdes_item {
	uint32_t ssrc;           /* the chunk's SSRC/CSRC */
	uint8_t type;            /* enum rtcp_sdes_type, never END */
	uint8_t len;
	const uint8_t *data;     /* not NUL-terminated */
};

struct rtcp_sdes_iter {      /* private */
	const uint8_t *start;
	const uint8_t *p;
	size_t left;
	unsigned chunks;
	bool in_chunk;
	uint32_t ssrc;
};

/* Walks the items of an SDES packet, chunk by chunk. Chunks without items
 * produce nothing. next returns 1, 0 at the end, or -EBADMSG (cannot
 * happen for a packet that came from rtcp_iter_next, which validates). */
void rtcp_sdes_iter_init(struct rtcp_sdes_iter *it, const struct rtcp_packet *p);
int rtcp_sdes_next(struct rtcp_sdes_iter *it, struct rtcp_sdes_item *item);

/* Generic NACK items (RTPFB FMT 1): the number of (PID, BLP) pairs, item i,
 * and the lost sequence numbers an item names (PID first, then each BLP bit
 * in order; at most 17). rtcp_nack_item returns 0, -EINVAL or -ERANGE. */
size_t rtcp_nack_count(const struct rtcp_packet *p);
int rtcp_nack_item(const struct rtcp_packet *p, size_t i, uint16_t *pid, uint16_t *blp);
size_t rtcp_nack_expand(uint16_t pid, uint16_t blp, uint16_t out[17]);

/* Builders: each writes one RTCP packet at buf and returns its length; a
 * compound is built by calling them one after another at buf + offset.
 * Report block counts are at most 31. */
int rtcp_sr_build(uint8_t *buf, size_t size, const struct rtcp_sr_info *sr,
		  const struct rtcp_report_block *rb, size_t n);
int rtcp_rr_build(uint8_t *buf, size_t size, uint32_t ssrc,
		  const struct rtcp_report_block *rb, size_t n);
/* One chunk with one CNAME item; cname is 1..255 bytes. */
int rtcp_sdes_cname_build(uint8_t *buf, size_t size, uint32_t ssrc, const char *cname);
/* reason may be NULL; otherwise at most 255 bytes. n is 0..31. */
int rtcp_bye_build(uint8_t *buf, size_t size, const uint32_t *ssrcs, size_t n, const char *reason);
/* Generic NACK for the lost sequence numbers seqs[0..n) (n >= 1), which
 * must be in ascending order modulo 2^16; packed into as few (PID, BLP)
 * items as that order allows. */
int rtcp_nack_build(uint8_t *buf, size_t size, uint32_t sender_ssrc, uint32_t media_ssrc,
		    const uint16_t *seqs, size_t n);
int rtcp_pli_build(uint8_t *buf, size_t size, uint32_t sender_ssrc, uint32_t media_ssrc);

/* ------------------------------------------------------------------ */
/* Per-player rewriting of SSRC, sequence number and timestamp */

/* What rtp_rewriter_apply did with a packet. >= 0: rewritten, send it;
 * < 0: left untouched, drop it. */
enum rtp_rewrite_result {
	RTP_REWRITE_FORWARD = 0,
	RTP_REWRITE_SWITCHED = 1,            /* forwarded; first packet of a new
						source mapping (marker set) */
	RTP_REWRITE_DUPLICATE = -EALREADY,   /* this source seq was forwarded */
	RTP_REWRITE_TOO_OLD = -ESTALE,       /* older than the reorder window,
						than the current source, or a
						late packet of the previous one */
	RTP_REWRITE_PROBATION = -EAGAIN,     /* a big seq jump; a second packet
						in sequence confirms a restart */
};

struct rtp_rewriter {        /* private but for the counters at the end */
	uint32_t out_ssrc;
	uint32_t min_gap;        /* ts gap across a switch, at least */
	uint32_t stale_window;   /* late packets of the previous SSRC dropped */
	bool started;            /* a packet went out */
	uint16_t out_seq;        /* highest seq sent (first_seq - 1 before) */
	uint32_t out_ts;         /* its timestamp (first_ts before) */
	uint64_t out_at;         /* its arrival, RTP units */
	bool have_src;
	uint32_t src_ssrc;
	uint16_t seq_off;        /* out = in + off, modulo 2^16 / 2^32 */
	uint32_t ts_off;
	uint16_t src_max;        /* highest source seq forwarded */
	uint64_t seen;           /* bit i: src_max - i was forwarded */
	uint32_t span;           /* seqs advanced since the mapping began (<= 64) */
	bool probing;
	uint16_t probe_seq;
	bool have_prev;
	uint32_t prev_ssrc;
	uint64_t switch_at;
	/* read-only for the owner (e.g. its admin JSON): packets forwarded,
	 * dropped per reason, source mappings started */
	uint64_t forwarded, duplicates, too_old, probation, switches;
};

/* Starts a player leg's output: its SSRC and the first seq/ts it sends.
 * Timing defaults to Opus at 48 kHz: min_gap 960 (20 ms), stale_window
 * 48000 (1 s). */
void rtp_rewriter_init(struct rtp_rewriter *rw, uint32_t out_ssrc, uint16_t first_seq, uint32_t first_ts);

/* Other clocks/frame sizes (e.g. 160 / 8000 for G.711 at 8 kHz). */
void rtp_rewriter_set_timing(struct rtp_rewriter *rw, uint32_t min_gap, uint32_t stale_window);

/* Rewrites SSRC, seq and timestamp of the RTP packet pkt in place for the
 * player. now is the packet's arrival time in RTP clock units (a monotonic
 * clock scaled to the codec clock). Within one source, seq and ts keep
 * their spacing (reordering, loss and wrap-around preserved). When the
 * source SSRC changes, or the same SSRC restarts with a seq jump of 3000
 * or more (confirmed by a second packet in sequence), the output goes on
 * with the highest seq sent + 1 and that packet's ts + max(now - its
 * arrival, min_gap), and the marker bit is set to announce the new
 * talkspurt (unless PT is 64..95, where M would make it look like RTCP
 * under RFC 5761). Returns an enum rtp_rewrite_result, or the errors of
 * rtp_header_decode. */
int rtp_rewriter_apply(struct rtp_rewriter *rw, uint8_t *pkt, size_t len, uint64_t now);

/* ------------------------------------------------------------------ */
/* Receive statistics (RFC 3550 A.1, A.3, A.8) */

struct rtp_rx_stats {        /* private: use the functions */
	uint32_t ssrc;
	bool started;
	uint16_t max_seq;
	uint32_t cycles;         /* wraps << 16 */
	uint32_t base_seq;
	uint32_t bad_seq;        /* RTP_SEQ_MOD + 1 = none */
	uint32_t received;
	uint32_t expected_prior;
	uint32_t received_prior;
	bool have_transit;
	uint32_t transit;
	uint32_t jitter_q4;      /* jitter * 16 */
	bool have_sr;
	uint32_t lsr;
	uint64_t sr_at_us;
};

void rtp_rx_stats_init(struct rtp_rx_stats *s, uint32_t ssrc);

/* Counts a received packet of the source (A.1 update_seq; the first packet
 * starts the count without probation because SRTP has authenticated the
 * source). arrival is the arrival time in RTP units (only its low 32 bits
 * matter). Jitter (A.8) is updated from packets that advance the highest
 * seq. Returns 0, or -EAGAIN when a jump of 3000+ is not counted until the
 * next packet confirms it (then the counts restart). */
int rtp_rx_stats_update(struct rtp_rx_stats *s, uint16_t seq, uint32_t ts, uint64_t arrival);

/* Records an SR from the source (for LSR/DLSR): its NTP timestamp, and the
 * local wall time it arrived (us; same clock as report_block's now_us). */
void rtp_rx_stats_sr_received(struct rtp_rx_stats *s, uint64_t sr_ntp, uint64_t now_us);

/* Fills a report block (A.3) and starts a new interval for the fraction.
 * Returns 0, or -ENODATA when nothing was received yet (RFC 3550: no block
 * then; *rb is zeroed but for the SSRC). */
int rtp_rx_stats_report_block(struct rtp_rx_stats *s, struct rtcp_report_block *rb, uint64_t now_us);

uint32_t rtp_rx_stats_ext_max(const struct rtp_rx_stats *s);
int64_t rtp_rx_stats_lost(const struct rtp_rx_stats *s);  /* may be < 0 (duplicates) */
uint32_t rtp_rx_stats_jitter(const struct rtp_rx_stats *s); /* RTP units */

/* Sender side counts for the SR of a leg we send on. */
struct rtp_tx_stats {        /* private */
	uint32_t ssrc;
	bool started;
	uint32_t packets;
	uint32_t octets;
	uint32_t last_ts;
	uint64_t last_mono_us;
};

void rtp_tx_stats_init(struct rtp_tx_stats *t, uint32_t ssrc);
/* A packet sent: its RTP ts, payload bytes, and a monotonic time (us). */
void rtp_tx_stats_update(struct rtp_tx_stats *t, uint32_t ts, size_t payload_len, uint64_t mono_us);
/* SR sender info at wall time wall_us (NTP) = monotonic time mono_us; the
 * RTP time is extrapolated from the last packet sent at clock_rate Hz. */
void rtp_tx_stats_sr(const struct rtp_tx_stats *t, struct rtcp_sr_info *sr, uint64_t wall_us,
		     uint64_t mono_us, uint32_t clock_rate);

/* ------------------------------------------------------------------ */
/* NTP time (RFC 5905 format, as used by RTCP) */

/* Unix wall time in microseconds to a 64-bit NTP timestamp (era wraps in
 * 2036 as the 32-bit seconds field does). */
uint64_t rtp_ntp_from_us(uint64_t unix_us);
/* The inverse, reading seconds < 2^31 as era 1 (2036..2104); 0 for times
 * before 1970. */
uint64_t rtp_ntp_to_us(uint64_t ntp);
/* The middle 32 bits (16.16), as in LSR and RTT computations. */
uint32_t rtp_ntp_compact(uint64_t ntp);

/* Round trip time from a report block received about a stream we send, at
 * local NTP time now_ntp (RFC 3550 6.4.1: A - LSR - DLSR). Returns the RTT
 * in ms (rounded; a result within 1 ms below zero, from rounding, gives 0),
 * -ENODATA when the block has no LSR, or -ERANGE when it is negative. */
int rtp_rtt_ms(const struct rtcp_report_block *rb, uint64_t now_ntp);

/* ------------------------------------------------------------------ */
/* RFC 4733 telephone-event payload */

#define RTP_TEL_EVENT_SIZE 4

struct rtp_tel_event {
	uint8_t event;           /* 0-9, 10 '*', 11 '#', 12-15 A-D, 16 flash */
	bool end;
	uint8_t volume;          /* 0..63, -dBm0 */
	uint16_t duration;       /* RTP units since the event began */
};

/* Decodes the first event of a payload (len >= 4; the R bit is ignored).
 * Returns 0 or -EBADMSG. */
int rtp_tel_event_decode(struct rtp_tel_event *ev, const uint8_t *buf, size_t len);
/* Returns 4, -EINVAL (volume > 63) or -ENOSPC. */
int rtp_tel_event_encode(uint8_t *buf, size_t size, const struct rtp_tel_event *ev);
/* DTMF digit for events 0..15 ('0'-'9', '*', '#', 'A'-'D'), else '\0'. */
char rtp_tel_event_to_char(uint8_t event);
/* Event for a DTMF digit (a-d accepted), or -EINVAL. */
int rtp_tel_event_from_char(char c);

#endif
