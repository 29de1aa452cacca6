/* record: 16-bit PCM WAV (RIFF) files.
 *
 * A WAV file here is a 44-byte header (RIFF, a 16-byte "fmt " chunk with
 * PCM format 1, a "data" chunk) followed by little-endian 16-bit samples,
 * channels interleaved. The sizes in the header are not known while the
 * file grows, so the header written at open carries the "unknown" sizes
 * 0xFFFFFFFF: a file whose header was never finalised (kill -9, power loss)
 * still plays to its last sample in ffmpeg and sox, which read to the end
 * of the file (sox warns about a premature EOF; docs/recording.md says how
 * to repair such a file). On stop the header is rewritten in place with
 * the real sizes, by the writer thread (pwrite at offset 0).
 *
 * RIFF sizes are 32-bit: data above RG_WAV_MAX_DATA (4 GiB less the
 * header, 12 h 25 min of mono at 48 kHz) keeps the unknown sizes, which
 * readers treat the same way as an unfinalised file.
 *
 * rg_wav_header() is pure; rg_wav_finalise() only queues a write and may be
 * called from any thread, like every rg_writer_* call. */
#ifndef RG_RECORD_WAV_H
#define RG_RECORD_WAV_H

#include <stddef.h>
#include <stdint.h>

#include "record/writer.h"

#define RG_WAV_HEADER_SIZE 44
#define RG_WAV_SIZE_UNKNOWN UINT64_MAX
#define RG_WAV_MAX_DATA (0xffffffffull - 36)

/* Writes the 44-byte header for 16-bit PCM at rate Hz (1..768000) with
 * channels (1..8) and data_bytes of samples (RG_WAV_SIZE_UNKNOWN at open).
 * Returns RG_WAV_HEADER_SIZE or -EINVAL. */
int rg_wav_header(uint8_t buf[RG_WAV_HEADER_SIZE], unsigned rate, unsigned channels,
		  uint64_t data_bytes);

/* Queues the final header of a WAV file open on the writer: a pwrite of
 * rg_wav_header(rate, channels, data_bytes) at offset 0. data_bytes is what
 * the caller queued after the header. Returns 0, -EINVAL, or the errors of
 * rg_writer_pwrite (-ENOBUFS). */
int rg_wav_finalise(struct rg_writer *w, uint32_t file, unsigned rate, unsigned channels,
		    uint64_t data_bytes);

#endif
