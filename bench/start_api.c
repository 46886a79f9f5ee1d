/* Start latency through the C API: run /bin/true N times from ROOTFS with the
 * default isolation, print one duration per line (microseconds).
 *   berth-bench-start ROOTFS N
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include <berth/berth.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s ROOTFS N\n", argv[0]);
		return 2;
	}
	int n = atoi(argv[2]);
	berth_ctx *ctx;
	if (berth_ctx_new(&ctx, NULL) < 0) {
		fprintf(stderr, "%s\n", berth_error_last()->message);
		return 1;
	}
	const char *args[] = { "/bin/true", NULL };
	for (int i = 0; i < n; i++) {
		double t0 = now_us();
		berth_spec *s;
		berth_container *c;
		int code;
		if (berth_spec_new(&s) < 0 || berth_spec_set_rootfs(s, argv[1], 0) < 0 || berth_spec_set_args(s, args) < 0 ||
		    berth_container_run(&c, ctx, s, NULL) < 0 || berth_container_wait(&code, NULL, c, -1) < 0 ||
		    berth_container_delete(c, 0) < 0) {
			fprintf(stderr, "%s\n", berth_error_last()->message);
			return 1;
		}
		berth_container_free(c);
		berth_spec_free(s);
		printf("%.1f\n", now_us() - t0);
	}
	berth_ctx_free(ctx);
	return 0;
}
