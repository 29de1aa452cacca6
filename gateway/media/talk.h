/* talk: talking start/stop of one stream from its RFC 6464 levels, with
 * hysteresis (pure; the owner's thread). A stream starts talking after
 * TALK_ON_MS of audio louder than TALK_ON_LEVEL within a short window and
 * stops after TALK_OFF_MS quieter than TALK_OFF_LEVEL. */
#ifndef RG_MEDIA_TALK_H
#define RG_MEDIA_TALK_H

#include <stdbool.h>
#include <stdint.h>

#define TALK_ON_LEVEL 50   /* -dBov: louder than -50 dBov counts as voice */
#define TALK_OFF_LEVEL 60  /* quieter than -60 dBov counts as silence */
#define TALK_ON_MS 80
#define TALK_OFF_MS 600

struct talk {
	bool talking;
	unsigned loud_ms;  /* voice seen while not talking (decays on silence) */
	unsigned quiet_ms; /* silence seen while talking */
	uint8_t peak1;     /* 1 + the loudest level since the last read; 0: none */
};

/* Feeds the level (0 loudest .. 127 silence) of dur_ms of audio. Returns
 * +1 when talking starts, -1 when it stops, 0 otherwise. */
int talk_feed(struct talk *t, uint8_t level, unsigned dur_ms);
/* The loudest level since the last call, on the 0..100 scale of the web
 * SDK's soundLevel (0 = silence), and resets it. */
unsigned talk_take_level100(struct talk *t);
/* -dBov 0..127 to 0..100 (127 and anything quieter than -90 dBov: 0). */
unsigned talk_level100(uint8_t level);

#endif
