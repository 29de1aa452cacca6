/* ID rules of zego-compat.md §1. Pure. */
#include <string.h>

#include "core/errors.h"
#include "room/room.h"

static bool user_id_char(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("~!@#$%^&*()_+=-`;',.", c) != NULL;
}

static bool stream_id_char(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       c == '_' || c == '-';
}

int rg_validate_user_id(const char *id)
{
	if (!id || !*id)
		return -RG_E_USER_ID_EMPTY;
	size_t n = strlen(id);
	if (n > RG_USER_ID_MAX)
		return -RG_E_USER_ID_LONG;
	for (size_t i = 0; i < n; i++)
		if (!user_id_char((unsigned char)id[i]))
			return -RG_E_USER_ID_ILLEGAL;
	return 0;
}

/* Room IDs: the same character set as user IDs (ZEGO documents roomID as
 * "digits, letters and ~!@#$%^&*()_+=-`;',."), at most 128 bytes. */
int rg_validate_room_id(const char *id)
{
	if (!id || !*id)
		return -RG_E_ROOM_ID_EMPTY;
	size_t n = strlen(id);
	if (n > RG_ROOM_ID_MAX)
		return -RG_E_ROOM_ID_LONG;
	for (size_t i = 0; i < n; i++)
		if (!user_id_char((unsigned char)id[i]))
			return -RG_E_ROOM_ID_ILLEGAL;
	return 0;
}

int rg_validate_user_name(const char *name)
{
	if (name && strlen(name) > RG_USER_NAME_MAX)
		return -RG_E_USER_NAME_LONG;
	return 0;
}

int rg_validate_stream_id(const char *id)
{
	if (!id || !*id)
		return -RG_E_STREAM_ID_EMPTY;
	size_t n = strlen(id);
	if (n > RG_STREAM_ID_MAX)
		return -RG_E_STREAM_ID_LONG;
	for (size_t i = 0; i < n; i++)
		if (!stream_id_char((unsigned char)id[i]))
			return -RG_E_STREAM_ID_ILLEGAL;
	return 0;
}
