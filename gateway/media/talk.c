/* Talking detection with hysteresis. See talk.h. */
#include "media/talk.h"

int talk_feed(struct talk *t, uint8_t level, unsigned dur_ms)
{
	if (level > 127)
		level = 127;
	if (t->peak1 == 0 || level + 1 < t->peak1)
		t->peak1 = (uint8_t)(level + 1);
	if (!t->talking) {
		if (level <= TALK_ON_LEVEL) {
			t->loud_ms += dur_ms;
		} else {
			/* a pause between syllables does not reset the count at once */
			t->loud_ms = t->loud_ms > dur_ms ? t->loud_ms - dur_ms : 0;
		}
		if (t->loud_ms >= TALK_ON_MS) {
			t->talking = true;
			t->quiet_ms = 0;
			t->loud_ms = 0;
			return 1;
		}
		return 0;
	}
	if (level > TALK_OFF_LEVEL)
		t->quiet_ms += dur_ms;
	else
		t->quiet_ms = 0;
	if (t->quiet_ms >= TALK_OFF_MS) {
		t->talking = false;
		t->quiet_ms = 0;
		return -1;
	}
	return 0;
}

unsigned talk_level100(uint8_t level)
{
	if (level >= 90)
		return 0;
	return (unsigned)(100 - (level * 100 + 89) / 90);
}

unsigned talk_take_level100(struct talk *t)
{
	unsigned v = t->peak1 ? talk_level100((uint8_t)(t->peak1 - 1)) : 0;
	t->peak1 = 0;
	return v;
}
