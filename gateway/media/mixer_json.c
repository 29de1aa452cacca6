/* The mixer's figures as JSON (admin API): its inputs with their jitter
 * buffers, and an output's group. See mixer_int.h. */
#include <cjson/cJSON.h>

#include "media/jbuf.h"
#include "media/mixer_int.h"

static cJSON *in_json(const struct min *in)
{
	cJSON *j = cJSON_CreateObject();
	struct rg_jbuf_stats st;
	rg_jbuf_stats(in->jb, &st);
	cJSON_AddStringToObject(j, "stream_id", in->id);
	cJSON_AddBoolToObject(j, "mixed", in->was_selected);
	cJSON_AddNumberToObject(j, "level", in->level);
	cJSON_AddNumberToObject(j, "frames", (double)in->frames);
	cJSON_AddNumberToObject(j, "decoded", (double)in->decodes);
	cJSON_AddNumberToObject(j, "not_decoded", (double)in->skipped);
	cJSON_AddNumberToObject(j, "fec_recovered", (double)in->fec);
	cJSON_AddNumberToObject(j, "concealed", (double)in->plc);
	cJSON_AddNumberToObject(j, "bad_packets", (double)in->bad);
	cJSON *b = cJSON_AddObjectToObject(j, "jitter_buffer");
	cJSON_AddNumberToObject(b, "received", (double)st.received);
	cJSON_AddNumberToObject(b, "played", (double)st.played);
	cJSON_AddNumberToObject(b, "lost", (double)st.lost);
	cJSON_AddNumberToObject(b, "late", (double)st.late);
	cJSON_AddNumberToObject(b, "duplicate", (double)st.duplicate);
	cJSON_AddNumberToObject(b, "dropped", (double)st.dropped);
	cJSON_AddNumberToObject(b, "underruns", (double)st.waits);
	cJSON_AddNumberToObject(b, "resets", (double)st.resets);
	cJSON_AddNumberToObject(b, "delay_ms", st.delay_ms);
	cJSON_AddNumberToObject(b, "target_ms", st.target_ms);
	cJSON_AddNumberToObject(b, "jitter_ms", st.jitter_ms);
	return j;
}

cJSON *mixer_to_json(const struct mixer *mx)
{
	cJSON *a = cJSON_CreateArray();
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, mx->inputs);
	while (g_hash_table_iter_next(&it, &k, &v))
		cJSON_AddItemToArray(a, in_json(v));
	return a;
}

cJSON *mixer_input_to_json(const struct mixer *mx, const char *stream_id)
{
	const struct min *in = g_hash_table_lookup(mx->inputs, stream_id);
	return in ? in_json(in) : NULL;
}

cJSON *mixer_out_inputs_json(const struct mixer *mx, const struct mixer_out *o)
{
	cJSON *a = cJSON_CreateArray();
	GHashTableIter it;
	gpointer k, v;
	g_hash_table_iter_init(&it, mx->inputs);
	while (g_hash_table_iter_next(&it, &k, &v))
		if (group_has(o->g, v))
			cJSON_AddItemToArray(a, in_json(v));
	return a;
}

cJSON *mixer_out_to_json(const struct mixer_out *o)
{
	cJSON *j = cJSON_CreateObject();
	cJSON_AddNumberToObject(j, "max_talkers", o->g->k);
	cJSON_AddNumberToObject(j, "own_frames", (double)o->own_frames);
	cJSON_AddNumberToObject(j, "shared_frames", (double)o->shared_frames);
	cJSON_AddNumberToObject(j, "outputs_in_group", o->g->outs->len);
	cJSON *t = cJSON_AddArrayToObject(j, "talkers");
	for (unsigned i = 0; i < o->g->n_prev; i++)
		cJSON_AddItemToArray(t, cJSON_CreateString(o->g->prev[i]->id));
	return j;
}
