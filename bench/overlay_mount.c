/* SPDX-License-Identifier: LGPL-2.1-or-later
 * How long building an overlay takes with mount(2) and one option string
 * (berth before) and with the mount API, one fsconfig("lowerdir+") per layer
 * (berth now: lib/runtime/image_rootfs.c). Only the building is timed, not
 * the unmount. Run as root in a private mount namespace:
 *
 *   unshare --mount --propagation private build/bin/berth-bench-overlay <root>/layers N ITERATIONS
 *
 * takes the first N layer directories found in the given directory (any
 * directories do: the overlay does not need them to be related). The option
 * string is only tried while it fits in a page. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: %s LAYERS_DIR N ITERATIONS\n", argv[0]);
		return 2;
	}
	int want = atoi(argv[2]), it = atoi(argv[3]), n = 0;
	char **dirs = calloc((size_t)want + 1, sizeof *dirs);
	DIR *d = opendir(argv[1]);
	if (!dirs || !d || it <= 0) {
		perror(argv[1]);
		return 1;
	}
	struct dirent *de;
	while (n < want && (de = readdir(d)))
		if (de->d_name[0] != '.' && asprintf(&dirs[n], "%s/%s", argv[1], de->d_name) > 0)
			n++;
	closedir(d);
	char base[] = "/tmp/berth-bench-overlay-XXXXXX";
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	char up[256], wk[256], tg[256];
	snprintf(up, sizeof up, "%s/upper", base);
	snprintf(wk, sizeof wk, "%s/work", base);
	snprintf(tg, sizeof tg, "%s/target", base);
	if (mkdir(up, 0755) < 0 || mkdir(wk, 0755) < 0 || mkdir(tg, 0755) < 0) {
		perror("mkdir");
		return 1;
	}
	size_t cap = 64 + 3 * 256;
	for (int i = 0; i < n; i++)
		cap += strlen(dirs[i]) + 1;
	char *opts = malloc(cap);
	size_t o = (size_t)snprintf(opts, cap, "lowerdir=");
	for (int i = n; i-- > 0;)
		o += (size_t)snprintf(opts + o, cap - o, "%s%s", dirs[i], i ? ":" : "");
	snprintf(opts + o, cap - o, ",upperdir=%s,workdir=%s", up, wk);
	printf("%d layers, options %zu bytes, %d iterations\n", n, strlen(opts), it);
	int rc = 0;
	if (strlen(opts) < 4096) {
		double total = 0;
		for (int i = 0; i < it; i++) {
			double t0 = now();
			if (mount("overlay", tg, "overlay", 0, opts) < 0) {
				perror("mount");
				rc = 1;
				break;
			}
			total += now() - t0;
			umount2(tg, MNT_DETACH);
		}
		printf("mount(2), option string: %8.1f us per overlay\n", total / it * 1e6);
	} else
		printf("mount(2), option string: longer than a page, not possible\n");
	double total = 0;
	for (int i = 0; rc == 0 && i < it; i++) {
		double t0 = now();
		int fs = fsopen("overlay", FSOPEN_CLOEXEC);
		if (fs < 0) {
			perror("fsopen");
			rc = 1;
			break;
		}
		for (int j = n; j-- > 0;)
			if (fsconfig(fs, FSCONFIG_SET_STRING, "lowerdir+", dirs[j], 0) < 0) {
				perror("fsconfig lowerdir+");
				rc = 1;
			}
		int m = -1;
		if (rc || fsconfig(fs, FSCONFIG_SET_STRING, "upperdir", up, 0) < 0 ||
		    fsconfig(fs, FSCONFIG_SET_STRING, "workdir", wk, 0) < 0 ||
		    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 || (m = fsmount(fs, FSMOUNT_CLOEXEC, 0)) < 0 ||
		    move_mount(m, "", AT_FDCWD, tg, MOVE_MOUNT_F_EMPTY_PATH) < 0) {
			perror("mount API");
			rc = 1;
		}
		close(fs);
		if (m >= 0)
			close(m);
		total += now() - t0;
		umount2(tg, MNT_DETACH);
	}
	if (rc == 0)
		printf("mount API, lowerdir+:    %8.1f us per overlay\n", total / it * 1e6);
	char cmd[400];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
	if (system(cmd) != 0)
		rc = 1;
	for (int i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
	free(opts);
	return rc;
}
