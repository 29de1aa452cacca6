/* WAV header building and finalising (see wav.h). */
#include "record/wav.h"

#include <errno.h>
#include <string.h>

static void put_le16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	put_le16(p, v & 0xffff);
	put_le16(p + 2, v >> 16);
}

int rg_wav_header(uint8_t buf[RG_WAV_HEADER_SIZE], unsigned rate, unsigned channels,
		  uint64_t data_bytes)
{
	if (rate < 1 || rate > 768000 || channels < 1 || channels > 8)
		return -EINVAL;
	unsigned block = 2 * channels;
	uint32_t riff = 0xffffffff, data = 0xffffffff;
	if (data_bytes <= RG_WAV_MAX_DATA) {
		data = (uint32_t)data_bytes;
		riff = 36 + data;
	}
	memcpy(buf, "RIFF", 4);
	put_le32(buf + 4, riff);
	memcpy(buf + 8, "WAVEfmt ", 8);
	put_le32(buf + 16, 16);           /* fmt chunk size */
	put_le16(buf + 20, 1);            /* WAVE_FORMAT_PCM */
	put_le16(buf + 22, channels);
	put_le32(buf + 24, rate);
	put_le32(buf + 28, rate * block); /* byte rate */
	put_le16(buf + 32, block);        /* block align */
	put_le16(buf + 34, 16);           /* bits per sample */
	memcpy(buf + 36, "data", 4);
	put_le32(buf + 40, data);
	return RG_WAV_HEADER_SIZE;
}

int rg_wav_finalise(struct rg_writer *w, uint32_t file, unsigned rate, unsigned channels,
		    uint64_t data_bytes)
{
	uint8_t h[RG_WAV_HEADER_SIZE];
	int r = rg_wav_header(h, rate, channels, data_bytes);
	return r < 0 ? r : rg_writer_pwrite(w, file, 0, h, sizeof h);
}
