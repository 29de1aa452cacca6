/* roomgate: wiring only. Parses the command line, loads the configuration,
 * starts the control loop, the media workers and the HTTP server, and
 * shuts them down in order on SIGINT/SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/token04.h"
#include "core/config.h"
#include "core/events.h"
#include "core/log.h"
#include "core/loop.h"
#include "core/metrics.h"
#include "core/util.h"
#include "hooks/webhooks.h"
#include "media/media.h"
#include "room/room.h"
#include "signal/signal.h"
#include "sip/sip.h"
#include "vp/vp.h"
#include "webrtc/srtp.h"

static void usage(FILE *f)
{
	fputs("usage: roomgate [--config FILE]       run the server (default: the built-in config)\n"
	      "       roomgate --check-config FILE   validate FILE (and ROOMGATE_* variables); exit 0/1\n"
	      "       roomgate token --app-id N --secret S --user U [--room R] [--ttl SECONDS] [--no-publish]\n"
	      "       roomgate --version | --help\n"
	      "See docs/configuration.md and docs/deployment.md.\n", f);
}

static int load_config(struct rg_config *cfg, const char *path)
{
	char err[1024];
	rg_config_defaults(cfg);
	int rc = path ? rg_config_load_file(cfg, path, err, sizeof err)
		      : rg_config_parse(cfg, "<built-in config/roomgate.jsonc>", rg_config_embedded,
					rg_config_embedded_len, err, sizeof err);
	if (!rc)
		rc = rg_config_apply_env(cfg, err, sizeof err);
	if (!rc)
		rc = rg_config_validate(cfg, err, sizeof err);
	if (rc)
		fprintf(stderr, "roomgate: configuration error: %s\n", err);
	return rc;
}

static int cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "app-id", required_argument, 0, 'a' }, { "secret", required_argument, 0, 's' },
		{ "user", required_argument, 0, 'u' },   { "room", required_argument, 0, 'r' },
		{ "ttl", required_argument, 0, 't' },    { "no-publish", no_argument, 0, 'n' },
		{ 0, 0, 0, 0 },
	};
	const char *secret = NULL, *user = NULL, *room = NULL;
	long long app = -1, ttl = 3600;
	bool publish = true;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a': app = strtoll(optarg, NULL, 10); break;
		case 's': secret = optarg; break;
		case 'u': user = optarg; break;
		case 'r': room = optarg; break;
		case 't': ttl = strtoll(optarg, NULL, 10); break;
		case 'n': publish = false; break;
		default: usage(stderr); return 2;
		}
	}
	if (app < 1 || app > UINT32_MAX || !secret || !user || ttl < 1) {
		fprintf(stderr, "roomgate token: --app-id (1..4294967295), --secret and --user are required; --ttl must be > 0\n");
		return 2;
	}
	char *payload = NULL;
	if (room || !publish)
		payload = token04_payload_build(room ? room : "", true, publish, NULL, 0);
	int32_t nonce;
	rg_random_bytes(&nonce, sizeof nonce);
	struct token04_params p = { .app_id = (uint32_t)app, .user_id = user, .secret = secret,
				    .ctime = rg_now_s(), .ttl_s = ttl, .nonce = nonce,
				    .mode = TOKEN04_MODE_GCM, .payload = payload };
	char out[TOKEN04_MAX_LEN];
	int rc = token04_generate(out, sizeof out, &p);
	free(payload);
	if (rc != TOKEN04_OK) {
		fprintf(stderr, "roomgate token: %s\n", token04_result_message(rc));
		return 1;
	}
	puts(out);
	return 0;
}

struct app {
	struct rg_config cfg;
	struct rg_metrics metrics;
	struct rg_loop *control;
	struct rg_loop **workers;
	unsigned n_workers;
	struct rg_registry *reg;
	struct rg_events *events;
	struct rg_webhooks *webhooks;
	int64_t rec_wait_until; /* shutdown: monotonic µs */
	struct rg_signal *sig;
	struct rg_media *media;
	struct rg_api *api;
	struct rg_vps *vps;
	struct rg_sip *sip; /* NULL without sip.listen */
	struct rg_media_events media_ev;
	bool stopping;
};

/* The media plane's events: legs to signal/, the rest to vp/. */
static void ev_answer(void *ctx, const char *owner, const char *leg_id, const char *req, int err,
		      const char *msg, const char *sdp)
{
	struct app *a = ctx;
	rg_signal_media_events()->answer(a->sig, owner, leg_id, req, err, msg, sdp);
}

static void ev_candidate(void *ctx, const char *owner, const char *leg_id, const char *cand)
{
	struct app *a = ctx;
	rg_signal_media_events()->candidate(a->sig, owner, leg_id, cand);
}

static void ev_state(void *ctx, const char *owner, const char *leg_id, const char *stream_id,
		     enum rg_leg_state state, const char *why)
{
	struct app *a = ctx;
	rg_signal_media_events()->state(a->sig, owner, leg_id, stream_id, state, why);
}

static void ev_talking(void *ctx, const char *stream_id, bool talking, unsigned level)
{
	struct app *a = ctx;
	if (a->vps)
		rg_vps_on_talking(a->vps, stream_id, talking, level);
}

static void ev_dtmf(void *ctx, const char *id, char digit)
{
	struct app *a = ctx;
	if (a->vps)
		rg_vps_on_dtmf(a->vps, id, digit);
}

static void ev_vp_end(void *ctx, const char *id, const char *why)
{
	struct app *a = ctx;
	if (a->vps)
		rg_vps_on_media_end(a->vps, id, why);
}

static void ev_rec_done(void *ctx, const char *id, const char *json)
{
	struct app *a = ctx;
	if (a->vps)
		rg_vps_on_rec_done(a->vps, id, json);
}

static void on_stop_signal(void *arg)
{
	struct app *a = arg;
	if (a->stopping)
		return;
	a->stopping = true;
	RG_INFO(MAIN, "stopping");
	rg_loop_quit(a->control);
}

static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int start(struct app *a)
{
	a->control = rg_loop_new_main("control");
	a->n_workers = a->cfg.media_workers ? a->cfg.media_workers : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	if (a->n_workers < 1)
		a->n_workers = 1;
	a->workers = calloc(a->n_workers, sizeof *a->workers);
	for (unsigned i = 0; i < a->n_workers; i++) {
		char name[32];
		snprintf(name, sizeof name, "media%u", i);
		a->workers[i] = rg_loop_new_thread(name);
	}
	struct rg_registry_limits lim = { a->cfg.max_rooms, a->cfg.max_users_per_room, a->n_workers };
	a->reg = rg_registry_new(a->control, &lim);
	a->sig = rg_signal_new(a->control, &a->cfg, a->reg, &a->metrics);
	char err[512];
	a->events = rg_events_new(a->control);
	rg_registry_set_events(a->reg, a->events);
	a->webhooks = rg_webhooks_new(a->control, a->events, &a->cfg, err, sizeof err);
	if (!a->webhooks) {
		RG_ERR(MAIN, "%s", err);
		return -1;
	}
	if (rg_srtp_global_init() != 0) {
		RG_ERR(MAIN, "libsrtp2 initialisation failed");
		return -1;
	}
	a->media_ev = (struct rg_media_events){ .answer = ev_answer, .candidate = ev_candidate, .state = ev_state,
						.talking = ev_talking, .dtmf = ev_dtmf, .vp_end = ev_vp_end,
						.rec_done = ev_rec_done };
	a->media = rg_media_new(a->control, a->workers, a->n_workers, &a->cfg, &a->media_ev, a, err,
				sizeof err);
	if (!a->media) {
		RG_ERR(MAIN, "%s", err);
		return -1;
	}
	rg_signal_set_media(a->sig, a->media);
	struct rg_vps_deps vd = { a->control, &a->cfg, a->reg, a->media, a->events };
	a->vps = rg_vps_new(&vd);
	if (a->cfg.sip_listen[0]) {
		struct rg_sip_deps sd = { a->control, &a->cfg, a->vps, a->events };
		a->sip = rg_sip_new(&sd, err, sizeof err);
		if (!a->sip) {
			RG_ERR(MAIN, "%s", err);
			return -1;
		}
	}
	struct rg_api_deps deps = { a->control, &a->cfg, a->reg, a->sig, &a->metrics, a->media, a->vps, a->webhooks, a->sip };
	a->api = rg_api_start(&deps, err, sizeof err);
	if (!a->api) {
		RG_ERR(MAIN, "%s", err);
		return -1;
	}
	RG_INFO(MAIN, "roomgate %s listening on http://%s:%u (config %s, app_id %u, %u media workers)",
		RG_VERSION, a->cfg.http_host, rg_api_port(a->api), a->cfg.source, a->cfg.app_id, a->n_workers);
	return 0;
}

#define REC_SHUTDOWN_WAIT_MS 5000

static bool recs_done(void *arg)
{
	struct app *a = arg;
	if (rg_vps_recs_pending(a->vps) == 0 || rg_mono_us() > a->rec_wait_until)
		rg_loop_quit(a->control);
	return true;
}

static bool drained(void *arg)
{
	struct app *a = arg;
	if (rg_api_upgrades_live(a->api) == 0)
		rg_loop_quit(a->control);
	return true;
}

static void shutdown_all(struct app *a)
{
	if (a->api) {
		rg_api_quiesce(a->api);
		rg_signal_free(a->sig);
		a->sig = NULL;
		/* let closing WebSockets finish and pending admin jobs answer */
		unsigned t = rg_timer_add(a->control, 20, drained, a);
		if (rg_api_upgrades_live(a->api))
			rg_loop_run(a->control);
		rg_timer_cancel(t);
		rg_api_stop(a->api);
	}
	rg_signal_free(a->sig);
	a->sig = NULL;
	/* before the participants: calls hang up (BYE) and leave their rooms */
	rg_sip_free(a->sip);
	a->sip = NULL;
	/* running recordings stop; their workers close the files and send
	 * back the descriptions (recording.finished) while the event bus and
	 * the webhooks still run; bounded wait */
	rg_vps_close(a->vps);
	if (rg_vps_recs_pending(a->vps)) {
		a->rec_wait_until = rg_mono_us() + REC_SHUTDOWN_WAIT_MS * 1000;
		unsigned t = rg_timer_add(a->control, 10, recs_done, a);
		rg_loop_run(a->control);
		rg_timer_cancel(t);
		if (rg_vps_recs_pending(a->vps))
			RG_WARN(MAIN, "%u recordings not finished at shutdown", rg_vps_recs_pending(a->vps));
	}
	rg_vps_free(a->vps);
	a->vps = NULL;
	rg_registry_free(a->reg);
	/* after the registry: its last events (users leaving, rooms closing) get the grace period */
	rg_webhooks_free(a->webhooks);
	rg_events_free(a->events);
	/* legs are torn down on their workers; late worker events are dropped */
	if (a->media)
		rg_media_shutdown(a->media);
	for (unsigned i = 0; i < a->n_workers; i++)
		rg_loop_stop_thread(a->workers[i]);
	free(a->workers);
	rg_loop_drain(a->control);
	rg_media_free(a->media);
	rg_srtp_global_shutdown();
	rg_loop_free(a->control);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "token"))
		return cmd_token(argc - 1, argv + 1);
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' }, { "check-config", required_argument, 0, 'k' },
		{ "version", no_argument, 0, 'v' },      { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	const char *config = NULL, *check = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "c:hv", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'k': check = optarg; break;
		case 'v': printf("roomgate %s\n", RG_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "roomgate: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	static struct app a;
	if (check) {
		int rc = load_config(&a.cfg, check);
		if (!rc)
			printf("%s: configuration OK\n", check);
		return rc ? 1 : 0;
	}
	if (load_config(&a.cfg, config))
		return 1;
	rg_config_apply_log(&a.cfg);
	signal(SIGPIPE, SIG_IGN);
	raise_fd_limit();
	int rc = start(&a);
	if (rc == 0) {
		rg_loop_on_signal(a.control, SIGINT, on_stop_signal, &a);
		rg_loop_on_signal(a.control, SIGTERM, on_stop_signal, &a);
		rg_loop_run(a.control);
	}
	shutdown_all(&a);
	RG_INFO(MAIN, "stopped");
	return rc ? 1 : 0;
}
