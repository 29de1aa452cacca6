/* JSONC text helpers: comment stripping that keeps byte offsets, offset to
 * line:col, and locating a key path in the text for error messages. Pure. */
#include "core/config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static size_t skip_string(const char *t, size_t len, size_t i)
{
	/* t[i] == '"'; returns the index after the closing quote, or len */
	for (i++; i < len; i++) {
		if (t[i] == '\\')
			i++;
		else if (t[i] == '"')
			return i + 1;
	}
	return len;
}

/* Blanks a trailing comma at i if the next non-space char closes a container. */
static void blank_trailing_comma(char *t, size_t len, size_t i)
{
	size_t j = i + 1;
	while (j < len && (t[j] == ' ' || t[j] == '\t' || t[j] == '\n' || t[j] == '\r'))
		j++;
	if (j < len && (t[j] == '}' || t[j] == ']'))
		t[i] = ' ';
}

int rg_jsonc_strip(char *t, size_t len, size_t *err_off)
{
	size_t i = 0;
	while (i < len) {
		if (t[i] == '"') {
			size_t e = skip_string(t, len, i);
			if (e == len && (len == 0 || t[len - 1] != '"')) {
				*err_off = i;
				return -EINVAL;
			}
			i = e;
		} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '/') {
			while (i < len && t[i] != '\n')
				t[i++] = ' ';
		} else if (t[i] == '/' && i + 1 < len && t[i + 1] == '*') {
			size_t start = i;
			t[i++] = ' ';
			t[i++] = ' ';
			while (i < len && !(t[i] == '*' && i + 1 < len && t[i + 1] == '/')) {
				if (t[i] != '\n')
					t[i] = ' ';
				i++;
			}
			if (i >= len) {
				*err_off = start;
				return -EINVAL;
			}
			t[i++] = ' ';
			t[i++] = ' ';
		} else {
			i++;
		}
	}
	/* second pass, now without comments: trailing commas */
	for (i = 0; i < len; i++) {
		if (t[i] == '"')
			i = skip_string(t, len, i) - 1;
		else if (t[i] == ',')
			blank_trailing_comma(t, len, i);
	}
	return 0;
}

void rg_text_position(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;
	for (size_t i = 0; i < off && i < len; i++) {
		if (text[i] == '\n') {
			l++;
			c = 1;
		} else {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static size_t skip_ws(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
		i++;
	return i;
}

/* Skips one JSON value starting at i (after whitespace). */
static size_t skip_value(const char *t, size_t len, size_t i)
{
	int depth = 0;
	i = skip_ws(t, len, i);
	while (i < len) {
		char c = t[i];
		if (c == '"') {
			i = skip_string(t, len, i);
			if (depth == 0)
				return i;
			continue;
		}
		if (c == '{' || c == '[') {
			depth++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return i;
			if (--depth == 0)
				return i + 1;
		} else if (depth == 0 && (c == ',' || c == ' ' || c == '\n' || c == '\r' || c == '\t')) {
			return i;
		}
		i++;
	}
	return i;
}

/* In the object starting at t[i] == '{', finds member key (klen bytes);
 * returns the offset of its opening quote or (size_t)-1. */
static size_t find_member(const char *t, size_t len, size_t i, const char *key, size_t klen)
{
	i = skip_ws(t, len, i);
	if (i >= len || t[i] != '{')
		return (size_t)-1;
	i++;
	for (;;) {
		i = skip_ws(t, len, i);
		if (i >= len || t[i] != '"')
			return (size_t)-1;
		size_t kstart = i, kend = skip_string(t, len, i);
		if (kend - kstart - 2 == klen && memcmp(t + kstart + 1, key, klen) == 0)
			return kstart;
		i = skip_ws(t, len, kend);
		if (i >= len || t[i] != ':')
			return (size_t)-1;
		i = skip_value(t, len, i + 1);
		i = skip_ws(t, len, i);
		if (i < len && t[i] == ',')
			i++;
		else
			return (size_t)-1;
	}
}

/* In the array starting at t[i] == '[', returns the offset of element idx
 * or (size_t)-1. */
static size_t find_element(const char *t, size_t len, size_t i, unsigned long idx)
{
	i = skip_ws(t, len, i);
	if (i >= len || t[i] != '[')
		return (size_t)-1;
	i++;
	for (unsigned long n = 0;; n++) {
		i = skip_ws(t, len, i);
		if (i >= len || t[i] == ']')
			return (size_t)-1;
		if (n == idx)
			return i;
		i = skip_ws(t, len, skip_value(t, len, i));
		if (i < len && t[i] == ',')
			i++;
		else
			return (size_t)-1;
	}
}

/* Path segments are keys separated by '.', each optionally followed by
 * array indexes: "webhooks[1].events[0]". */
size_t rg_jsonc_locate(const char *text, size_t len, const char *path)
{
	size_t pos = 0;
	const char *p = path;
	for (;;) {
		size_t klen = strcspn(p, ".[");
		size_t k = find_member(text, len, pos, p, klen);
		if (k == (size_t)-1)
			return k;
		p += klen;
		if (!*p)
			return k;
		pos = skip_ws(text, len, skip_string(text, len, k));
		if (pos >= len || text[pos] != ':')
			return (size_t)-1;
		pos++;
		while (*p == '[') {
			char *end;
			unsigned long idx = strtoul(p + 1, &end, 10);
			if (*end != ']')
				return (size_t)-1;
			pos = find_element(text, len, pos, idx);
			if (pos == (size_t)-1)
				return pos;
			p = end + 1;
		}
		if (!*p)
			return pos;
		if (*p != '.')
			return (size_t)-1;
		p++;
	}
}
