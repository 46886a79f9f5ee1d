/* SPDX-License-Identifier: LGPL-2.1-or-later
 * cgroups for real on this host (hybrid: v1 controllers plus cgroup2 at
 * /sys/fs/cgroup/unified holding only hugetlb), and on cgroup v2 in a
 * private mount namespace. The processes put in cgroups are fork()ed
 * children; every test kills and reaps them and checks that no berth*
 * cgroup directory is left anywhere. */
#include "testutil.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CG "/sys/fs/cgroup"
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MSG() (berth_error_last()->message)
#define has(s) ck_assert_msg(strstr(MSG(), (s)) != NULL, "message '%s' lacks '%s'", MSG(), (s))

static int counter;
static int main_pid; /* names of this run's cgroups: t-<main_pid>-... */

static const char *uniq(char *buf, size_t len)
{
	snprintf(buf, len, "t-%d-%d", main_pid, ++counter);
	return buf;
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Cgroups of this run below dir (names starting with prefix), recursively. */
static int ours_below(const char *dir, const char *prefix, char *found, size_t flen, int depth)
{
	DIR *d = depth < 16 ? opendir(dir) : NULL;
	if (!d)
		return 0;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		char sub[1024];
		snprintf(sub, sizeof sub, "%s/%s", dir, e->d_name);
		if (!strncmp(e->d_name, prefix, strlen(prefix))) {
			snprintf(found, flen, "%s", sub);
			n++;
		} else
			n += ours_below(sub, prefix, found, flen, depth + 1);
	}
	closedir(d);
	return n;
}

/* What a test may leave: nothing. No cgroup of this run anywhere, and no
 * berth* directory in any hierarchy, except a "berth" parent still holding
 * another suite's cgroups (other suites may run at the same time; their
 * last destroy may be a moment away, hence the short wait). */
static int leftovers(char *what, size_t len)
{
	char prefix[32], cprefix[32];
	snprintf(prefix, sizeof prefix, "t-%d-", main_pid);
	snprintf(cprefix, sizeof cprefix, "c-%d", main_pid);
	DIR *top = opendir(CG);
	if (!top) {
		snprintf(what, len, "cannot open " CG);
		return 1;
	}
	struct dirent *de;
	int bad = 0;
	while (!bad && (de = readdir(top))) {
		if (de->d_name[0] == '.')
			continue;
		if (!strncmp(de->d_name, "berth", 5)) {
			snprintf(what, len, CG "/%s", de->d_name);
			bad = 1;
			break;
		}
		char dir[512];
		snprintf(dir, sizeof dir, CG "/%s", de->d_name);
		DIR *h = opendir(dir);
		if (!h)
			continue;
		struct dirent *e;
		while (!bad && (e = readdir(h))) {
			if (strncmp(e->d_name, "berth", 5) != 0)
				continue;
			char b[600];
			snprintf(b, sizeof b, "%s/%s", dir, e->d_name);
			if (strcmp(e->d_name, "berth") != 0) {
				snprintf(what, len, "%s", b);
				bad = 1;
			} else if (ours_below(b, prefix, what, len, 0) || ours_below(b, cprefix, what, len, 0))
				bad = 1;
			else if (tu_dir_entries(b) >= 0) {
				/* the parent itself: only while another suite's cgroups are in it */
				int foreign = 0;
				DIR *bd = opendir(b);
				struct dirent *x;
				while (bd && (x = readdir(bd)))
					foreign |= x->d_type == DT_DIR && x->d_name[0] != '.';
				if (bd)
					closedir(bd);
				if (!foreign && access(b, F_OK) == 0) {
					snprintf(what, len, "%s (empty)", b);
					bad = 1;
				}
			}
		}
		closedir(h);
	}
	closedir(top);
	return bad;
}

static void assert_nothing_left(void)
{
	char what[1024] = "";
	int bad = 1;
	for (int i = 0; i < 100 && (bad = leftovers(what, sizeof what)); i++)
		nap_ms(10);
	ck_assert_msg(!bad, "left: %s", what);
}

static int read_str(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int read_str(char *buf, size_t len, const char *fmt, ...)
{
	char path[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof path, fmt, ap);
	va_end(ap);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static long long read_ll(const char *hier, const char *path, const char *file)
{
	char buf[128];
	if (read_str(buf, sizeof buf, CG "/%s/berth/%s/%s", hier, path, file) < 0)
		return -999;
	return atoll(buf);
}

/* Is pid listed in cgroup.procs of berth/<path> in that hierarchy? */
static int in_procs(const char *hier, const char *path, int pid)
{
	char p[512];
	snprintf(p, sizeof p, CG "/%s/berth/%s/cgroup.procs", hier, path);
	FILE *f = fopen(p, "r");
	if (!f)
		return 0;
	int v, found = 0;
	while (fscanf(f, "%d", &v) == 1)
		found |= v == pid;
	fclose(f);
	return found;
}

static int dir_exists(const char *fmt, const char *a, const char *b)
{
	char p[512];
	snprintf(p, sizeof p, fmt, a, b);
	struct stat st;
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A child that waits for a byte on the pipe, then runs fn. */
typedef void (*child_fn)(void);
static pid_t spawn(child_fn fn, int *go)
{
	int p[2];
	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive a failed test */
		close(p[1]);
		char c;
		if (read(p[0], &c, 1) != 1)
			_exit(99);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[0]);
	*go = p[1];
	return pid;
}
static void release(int go)
{
	ck_assert_int_eq(write(go, "g", 1), 1);
	close(go);
}

static void pauser(void)
{
	for (;;)
		pause();
}
/* Touches every page of a new allocation (volatile: not optimised away). */
static void touch(size_t sz)
{
	volatile char *p = malloc(sz);
	if (!p)
		_exit(3);
	for (size_t i = 0; i < sz; i += 4096)
		p[i] = 1;
}
static void spinner(void)
{
	touch(4u << 20); /* some memory of its own, charged to the new cgroup */
	for (volatile unsigned long i = 0;; i++)
		;
}
static void hog(void)
{
	for (;;)
		touch(100u << 20);
}
static void forker(void)
{
	pid_t kids[40];
	int n = 0, err = 0;
	for (int i = 0; i < 40; i++) {
		pid_t k = fork();
		if (k < 0) {
			err = errno;
			break;
		}
		if (k == 0) {
			for (;;)
				pause();
		}
		kids[n++] = k;
	}
	for (int i = 0; i < n; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	_exit(err == EAGAIN ? n : err ? 201 : 200);
}

static void kill_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
}

/* utime + stime ticks of a process. */
static unsigned long long cputicks(pid_t pid)
{
	char buf[1024];
	if (read_str(buf, sizeof buf, "/proc/%d/stat", (int)pid) < 0)
		return 0;
	char *p = strrchr(buf, ')');
	unsigned long long ut = 0, st = 0;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

START_TEST(mode_is_hybrid)
{
	int mode = -1;
	tu_ok(berth_cgroup_mode_detect(&mode));
	ck_assert_int_eq(mode, BERTH_CGROUP_HYBRID);
	ck_assert_str_eq(berth_cgroup_mode_name(mode), "hybrid");
	ck_assert_int_eq(berth_cgroup_mode_detect(NULL), BERTH_EINVAL);
}
END_TEST

START_TEST(create_attach_destroy)
{
	char name[64];
	uniq(name, sizeof name);
	berth_cgroup *cg;
	tu_ok(berth_cgroup_create(&cg, NULL, name));
	ck_assert_int_eq(berth_cgroup_get_mode(cg), BERTH_CGROUP_HYBRID);
	char want[80];
	snprintf(want, sizeof want, "berth/%s", name);
	ck_assert_str_eq(berth_cgroup_path(cg), want);
	const char *hiers[] = { "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd",
		                    "unified" };
	for (size_t i = 0; i < N_ELEMS(hiers); i++)
		ck_assert_msg(dir_exists(CG "/%s/berth/%s", hiers[i], name), "no %s cgroup", hiers[i]);
	/* cpuset copied from the parents, so that attaching works */
	char cpus[64], mems[64];
	ck_assert_int_eq(read_str(cpus, sizeof cpus, CG "/cpuset/berth/%s/cpuset.cpus", name), 0);
	ck_assert_int_eq(read_str(mems, sizeof mems, CG "/cpuset/berth/%s/cpuset.mems", name), 0);
	ck_assert_msg(cpus[0] && mems[0], "cpuset.cpus '%s' mems '%s'", cpus, mems);
	/* creating again opens it */
	berth_cgroup *again;
	tu_ok(berth_cgroup_create(&again, "berth", name));
	berth_cgroup_free(again);

	int go;
	pid_t pid = spawn(pauser, &go);
	tu_ok(berth_cgroup_attach(cg, pid));
	release(go);
	const char *check[] = { "memory", "pids", "cpu", "cpuacct", "cpuset", "freezer", "blkio", "devices", "systemd",
		                    "unified" };
	for (size_t i = 0; i < N_ELEMS(check); i++)
		ck_assert_msg(in_procs(check[i], name, pid), "pid %d not in %s", pid, check[i]);
	int *pids;
	tu_ok(berth_cgroup_pids(&pids, cg));
	ck_assert_int_eq(pids[0], pid);
	ck_assert_int_eq(pids[1], 0);
	berth_free(pids);
	int fd = berth_cgroup_unified_fd(cg);
	ck_assert_int_ge(fd, 0);
	struct stat st;
	ck_assert_int_eq(fstatat(fd, "cgroup.procs", &st, 0), 0);
	close(fd);

	/* open finds it; bad attach */
	berth_cgroup *o;
	tu_ok(berth_cgroup_open(&o, "berth", name));
	ck_assert_str_eq(berth_cgroup_path(o), want);
	ck_assert_int_eq(berth_cgroup_attach(o, 0), BERTH_EINVAL);
	ck_assert_int_lt(berth_cgroup_attach(o, 999999999), 0);
	has("cgroup.procs");
	has(want);
	berth_cgroup_free(o);

	/* destroy refuses (after ~1 s) while a process is inside */
	ck_assert_int_eq(berth_cgroup_destroy(cg), BERTH_EBUSY);
	has("processes remain");
	kill_reap(pid);
	tu_ok(berth_cgroup_destroy(cg));
	for (size_t i = 0; i < N_ELEMS(hiers); i++)
		ck_assert_msg(!dir_exists(CG "/%s/berth/%s", hiers[i], name), "left in %s", hiers[i]);
	berth_cgroup_free(cg);
	ck_assert_int_eq(berth_cgroup_open(&o, "berth", name), BERTH_ENOTFOUND);
	has(name);
	berth_cgroup_free(NULL);
	assert_nothing_left();
}
END_TEST

START_TEST(parent_kept_while_used)
{
	char a[64], b[64], parent[64], deep[80];
	uniq(a, sizeof a);
	uniq(b, sizeof b);
	snprintf(parent, sizeof parent, "berth/c-%d", main_pid);
	berth_cgroup *ca, *cb;
	tu_ok(berth_cgroup_create(&ca, parent, a));
	tu_ok(berth_cgroup_create(&cb, parent, b));
	ck_assert(dir_exists(CG "/memory/%s/%s", parent, a));
	tu_ok(berth_cgroup_destroy(ca));
	/* the parent stays for b */
	ck_assert(!dir_exists(CG "/memory/%s/%s", parent, a));
	ck_assert(dir_exists(CG "/memory/%s/%s", parent, b));
	tu_ok(berth_cgroup_destroy(cb));
	/* then goes, with its own parent "berth" when nothing else is in it */
	ck_assert(!dir_exists(CG "/memory/%s%s", parent, ""));
	ck_assert(!dir_exists(CG "/unified/%s%s", parent, ""));
	berth_cgroup_free(ca);
	berth_cgroup_free(cb);
	/* a deeper path */
	snprintf(deep, sizeof deep, "%s/y/z", a);
	tu_ok(berth_cgroup_create(&ca, NULL, deep));
	ck_assert(dir_exists(CG "/pids/berth/%s/%s", a, "y/z"));
	tu_ok(berth_cgroup_destroy(ca));
	ck_assert(!dir_exists(CG "/pids/berth/%s%s", a, ""));
	berth_cgroup_free(ca);
	assert_nothing_left();
}
END_TEST

START_TEST(limits_are_written)
{
	char name[64];
	uniq(name, sizeof name);
	berth_cgroup *cg;
	tu_ok(berth_cgroup_create(&cg, NULL, name));
	berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
	r.memory_limit = 32 << 20;
	r.memory_reservation = 16 << 20;
	r.cpu_shares = 512;
	r.cpu_quota = 50000;
	r.cpu_period = 100000;
	r.cpuset_cpus = "0";
	r.cpuset_mems = "0";
	r.pids_limit = 16;
	tu_ok(berth_cgroup_set(cg, &r));
	ck_assert_int_eq(read_ll("memory", name, "memory.limit_in_bytes"), 33554432);
	ck_assert_int_eq(read_ll("memory", name, "memory.soft_limit_in_bytes"), 16 << 20);
	ck_assert_int_eq(read_ll("cpu", name, "cpu.cfs_quota_us"), 50000);
	ck_assert_int_eq(read_ll("cpu", name, "cpu.cfs_period_us"), 100000);
	ck_assert_int_eq(read_ll("cpu", name, "cpu.shares"), 512);
	ck_assert_int_eq(read_ll("pids", name, "pids.max"), 16);
	char buf[64];
	ck_assert_int_eq(read_str(buf, sizeof buf, CG "/cpuset/berth/%s/cpuset.cpus", name), 0);
	ck_assert_str_eq(buf, "0");
	berth_cgroup_stats st = { .version = BERTH_CGROUP_STATS_VERSION };
	tu_ok(berth_cgroup_stats_read(&st, cg));
	ck_assert_int_eq(st.memory_limit, 33554432);
	ck_assert_int_eq(st.pids_limit, 16);

	/* memory+swap: raising and lowering keep memsw >= limit at every step */
	r = (berth_cgroup_resources)BERTH_CGROUP_RESOURCES_INIT;
	r.memory_limit = 64 << 20;
	r.memory_swap = 128 << 20;
	tu_ok(berth_cgroup_set(cg, &r));
	ck_assert_int_eq(read_ll("memory", name, "memory.limit_in_bytes"), 64 << 20);
	ck_assert_int_eq(read_ll("memory", name, "memory.memsw.limit_in_bytes"), 128 << 20);
	r.memory_limit = 256 << 20; /* above the current memsw: memsw must go first */
	r.memory_swap = 512 << 20;
	tu_ok(berth_cgroup_set(cg, &r));
	ck_assert_int_eq(read_ll("memory", name, "memory.memsw.limit_in_bytes"), 512 << 20);
	r.memory_limit = 16 << 20; /* below: the limit must go first */
	r.memory_swap = 16 << 20;
	tu_ok(berth_cgroup_set(cg, &r));
	ck_assert_int_eq(read_ll("memory", name, "memory.limit_in_bytes"), 16 << 20);
	ck_assert_int_eq(read_ll("memory", name, "memory.memsw.limit_in_bytes"), 16 << 20);
	r.memory_limit = -1;
	r.memory_swap = -1;
	r.cpu_quota = -1;
	r.pids_limit = -1;
	tu_ok(berth_cgroup_set(cg, &r));
	ck_assert_int_gt(read_ll("memory", name, "memory.limit_in_bytes"), 1LL << 62);
	ck_assert_int_eq(read_ll("cpu", name, "cpu.cfs_quota_us"), -1);
	ck_assert_str_eq((read_str(buf, sizeof buf, CG "/pids/berth/%s/pids.max", name), buf), "max");
	tu_ok(berth_cgroup_stats_read(&st, cg));
	ck_assert_int_eq(st.memory_limit, -1);
	ck_assert_int_eq(st.pids_limit, -1);

	/* blkio weight: blkio.weight or blkio.bfq.weight */
	r = (berth_cgroup_resources)BERTH_CGROUP_RESOURCES_INIT;
	r.blkio_weight = 500;
	int rc = berth_cgroup_set(cg, &r);
	if (access(CG "/blkio/berth", F_OK) == 0 && (rc == 0)) {
		char w[64] = "";
		if (read_str(w, sizeof w, CG "/blkio/berth/%s/blkio.weight", name) < 0)
			read_str(w, sizeof w, CG "/blkio/berth/%s/blkio.bfq.weight", name);
		ck_assert_msg(strstr(w, "500"), "blkio weight reads '%s'", w);
	} else {
		ck_assert_int_eq(rc, BERTH_EUNSUPPORTED);
		has("blkio weight");
	}

	/* the same through OCI JSON */
	tu_ok(berth_cgroup_set_json(cg, "{\"memory\": {\"limit\": 50331648, \"swappiness\": 10},"
	                                " \"cpu\": {\"shares\": 256, \"quota\": 20000, \"period\": 50000},"
	                                " \"pids\": {\"limit\": 8}, \"devices\": [], \"rdma\": {}}"));
	ck_assert_int_eq(read_ll("memory", name, "memory.limit_in_bytes"), 50331648);
	ck_assert_int_eq(read_ll("memory", name, "memory.swappiness"), 10);
	ck_assert_int_eq(read_ll("cpu", name, "cpu.shares"), 256);
	ck_assert_int_eq(read_ll("cpu", name, "cpu.cfs_quota_us"), 20000);
	ck_assert_int_eq(read_ll("cpu", name, "cpu.cfs_period_us"), 50000);
	ck_assert_int_eq(read_ll("pids", name, "pids.max"), 8);
	/* a kernel refusal names the cgroup, the file and the value */
	tu_ok(berth_cgroup_set_json(cg, "{\"memory\": {\"limit\": 16777216, \"swap\": 16777216}}"));
	ck_assert_int_lt(berth_cgroup_set_json(cg, "{\"memory\": {\"swap\": 8388608}}"), 0);
	has("cgroup berth/");
	has("memory.memsw.limit_in_bytes: write 8388608: Invalid argument");
	tu_ok(berth_cgroup_destroy(cg));
	berth_cgroup_free(cg);
	assert_nothing_left();
}
END_TEST

START_TEST(pids_limit_enforced)
{
	char name[64];
	uniq(name, sizeof name);
	berth_cgroup *cg;
	tu_ok(berth_cgroup_create(&cg, NULL, name));
	berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
	r.pids_limit = 16;
	tu_ok(berth_cgroup_set(cg, &r));
	ck_assert_int_eq(read_ll("pids", name, "pids.max"), 16);
	int go;
	pid_t pid = spawn(forker, &go);
	tu_ok(berth_cgroup_attach(cg, pid));
	release(go);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	int forked = WEXITSTATUS(st);
	/* 16 tasks: the forker and 15 children, then EAGAIN */
	ck_assert_msg(forked >= 10 && forked <= 15, "forked %d times before EAGAIN (200: never failed)", forked);
	tu_ok(berth_cgroup_destroy(cg));
	berth_cgroup_free(cg);
	assert_nothing_left();
}
END_TEST

START_TEST(oom_kill)
{
	char name[64];
	uniq(name, sizeof name);
	berth_cgroup *cg;
	tu_ok(berth_cgroup_create(&cg, NULL, name));
	tu_ok(berth_cgroup_set_json(cg, "{\"memory\": {\"limit\": 33554432, \"swap\": 33554432}}"));
	int go;
	pid_t pid = spawn(hog, &go);
	tu_ok(berth_cgroup_attach(cg, pid));
	release(go);
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "hog ended with status 0x%x", st);
	berth_cgroup_stats s = { .version = BERTH_CGROUP_STATS_VERSION };
	tu_ok(berth_cgroup_stats_read(&s, cg));
	ck_assert_uint_ge(s.memory_oom_kills, 1);
	ck_assert_uint_ge(s.memory_peak, 16 << 20);
	ck_assert_int_eq(s.memory_limit, 33554432);
	tu_ok(berth_cgroup_destroy(cg));
	berth_cgroup_free(cg);
	assert_nothing_left();
}
END_TEST

START_TEST(stats_of_a_busy_child)
{
	char name[64];
	uniq(name, sizeof name);
	berth_cgroup *cg;
	tu_ok(berth_cgroup_create(&cg, NULL, name));
	berth_cgroup_stats s = { .version = 99 };
	ck_assert_int_eq(berth_cgroup_stats_read(&s, cg), BERTH_EINVAL);
	has("version");
	ck_assert_int_eq(s.version, 99);
	s.version = BERTH_CGROUP_STATS_VERSION;
	tu_ok(berth_cgroup_stats_read(&s, cg));
	ck_assert_uint_eq(s.cpu_usage_ns, 0);
	ck_assert_uint_eq(s.pids_current, 0);
	ck_assert_int_eq(s.memory_limit, -1);
	ck_assert_int_eq(s.pids_limit, -1);
	int go;
	pid_t pid = spawn(spinner, &go);
	tu_ok(berth_cgroup_attach(cg, pid));
	release(go);
	nap_ms(300);
	tu_ok(berth_cgroup_stats_read(&s, cg));
	ck_assert_uint_gt(s.memory_usage, 0);
	ck_assert_uint_gt(s.cpu_usage_ns, 50000000ull);
	ck_assert_uint_gt(s.cpu_user_ns + s.cpu_system_ns, 0);
	ck_assert_uint_eq(s.pids_current, 1);
	kill_reap(pid);
	tu_ok(berth_cgroup_destroy(cg));
	ck_assert_int_eq(berth_cgroup_stats_read(&s, cg), BERTH_ENOTFOUND);
	berth_cgroup_free(cg);
	assert_nothing_left();
}
END_TEST

START_TEST(freeze_and_thaw)
{
	char name[64];
	uniq(name, sizeof name);
	berth_cgroup *cg;
	tu_ok(berth_cgroup_create(&cg, NULL, name));
	int go;
	pid_t pid = spawn(spinner, &go);
	tu_ok(berth_cgroup_attach(cg, pid));
	release(go);
	nap_ms(50);
	int frozen = -1;
	tu_ok(berth_cgroup_frozen(&frozen, cg));
	ck_assert_int_eq(frozen, 0);
	tu_ok(berth_cgroup_freeze(cg, 1));
	tu_ok(berth_cgroup_frozen(&frozen, cg));
	ck_assert_int_eq(frozen, 1);
	char st[32];
	ck_assert_int_eq(read_str(st, sizeof st, CG "/freezer/berth/%s/freezer.state", name), 0);
	ck_assert_str_eq(st, "FROZEN");
	unsigned long long t0 = cputicks(pid);
	nap_ms(300);
	unsigned long long t1 = cputicks(pid);
	ck_assert_msg(t1 == t0, "a frozen child ran: %llu -> %llu ticks", t0, t1);
	tu_ok(berth_cgroup_freeze(cg, 0));
	tu_ok(berth_cgroup_frozen(&frozen, cg));
	ck_assert_int_eq(frozen, 0);
	nap_ms(300);
	ck_assert_msg(cputicks(pid) > t1, "the thawed child does not run");
	kill_reap(pid);
	tu_ok(berth_cgroup_destroy(cg));
	berth_cgroup_free(cg);
	assert_nothing_left();
}
END_TEST

static void forks_one_then_pauses(void)
{
	if (fork() == 0)
		for (;;)
			pause();
	for (;;)
		pause();
}

START_TEST(kill_kills_all)
{
	char name[64];
	uniq(name, sizeof name);
	berth_cgroup *cg;
	tu_ok(berth_cgroup_create(&cg, NULL, name));
	pid_t kids[4];
	int go[4];
	for (int i = 0; i < 4; i++) {
		kids[i] = spawn(i == 3 ? forks_one_then_pauses : i == 2 ? spinner : pauser, &go[i]);
		tu_ok(berth_cgroup_attach(cg, kids[i]));
		release(go[i]);
	}
	nap_ms(100);
	int *pids;
	tu_ok(berth_cgroup_pids(&pids, cg));
	int n = 0;
	while (pids[n])
		n++;
	berth_free(pids);
	ck_assert_int_eq(n, 5); /* the four and the grandchild */
	tu_ok(berth_cgroup_freeze(cg, 1)); /* kill works on a frozen cgroup too */
	tu_ok(berth_cgroup_kill(cg));
	for (int i = 0; i < 4; i++) {
		int st;
		ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "child %d: status 0x%x", i, st);
	}
	tu_ok(berth_cgroup_pids(&pids, cg));
	ck_assert_int_eq(pids[0], 0);
	berth_free(pids);
	tu_ok(berth_cgroup_kill(cg)); /* nothing to kill: fine */
	tu_ok(berth_cgroup_freeze(cg, 0));
	tu_ok(berth_cgroup_destroy(cg));
	berth_cgroup_free(cg);
	assert_nothing_left();
}
END_TEST

START_TEST(bad_input)
{
	berth_cgroup *cg = NULL;
	ck_assert_int_eq(berth_cgroup_create(&cg, "../x", "a"), BERTH_EINVAL);
	has("..");
	ck_assert_int_eq(berth_cgroup_create(&cg, NULL, "a/../b"), BERTH_EINVAL);
	has("cgroup path 'a/../b'");
	ck_assert_int_eq(berth_cgroup_create(&cg, "/sys", "a"), BERTH_EINVAL);
	ck_assert_int_eq(berth_cgroup_create(&cg, NULL, ""), BERTH_EINVAL);
	ck_assert_int_eq(berth_cgroup_create(&cg, NULL, NULL), BERTH_EINVAL);
	ck_assert_int_eq(berth_cgroup_create(&cg, NULL, "a b"), BERTH_EINVAL);
	ck_assert_int_eq(berth_cgroup_create(NULL, NULL, "a"), BERTH_EINVAL);
	ck_assert_ptr_null(cg);
	assert_nothing_left();

	/* a failure half way removes what was made: "memory.limit_in_bytes" is a
	 * file in the memory hierarchy, after cpu, cpuacct and cpuset were made */
	ck_assert_int_lt(berth_cgroup_create(&cg, NULL, "memory.limit_in_bytes"), 0);
	has("not a directory");
	ck_assert_ptr_null(cg);
	const char *made_first[] = { "cpu", "cpuacct", "cpuset" };
	for (size_t i = 0; i < N_ELEMS(made_first); i++)
		ck_assert_msg(!dir_exists(CG "/%s/berth/%s", made_first[i], "memory.limit_in_bytes"), "left in %s",
		              made_first[i]);
	char name[64], sub[80];
	uniq(name, sizeof name);
	snprintf(sub, sizeof sub, "%s/cgroup.procs", name);
	ck_assert_int_lt(berth_cgroup_create(&cg, NULL, sub), 0);
	assert_nothing_left();

	tu_ok(berth_cgroup_create(&cg, NULL, name));
	berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
	r.cpuset_cpus = "0-63";
	r.memory_limit = 64 << 20; /* valid, but nothing is written when another field is bad */
	ck_assert_int_eq(berth_cgroup_set(cg, &r), BERTH_EINVAL);
	has("cpuset_cpus '0-63'");
	has("is not on this machine");
	ck_assert_int_gt(read_ll("memory", name, "memory.limit_in_bytes"), 1LL << 62);
	r = (berth_cgroup_resources)BERTH_CGROUP_RESOURCES_INIT;
	r.memory_limit = -5;
	ck_assert_int_eq(berth_cgroup_set(cg, &r), BERTH_EINVAL);
	has("memory_limit -5");
	r.memory_limit = 64 << 20;
	r.version = 7;
	ck_assert_int_eq(berth_cgroup_set(cg, &r), BERTH_EINVAL);
	has("version");
	ck_assert_int_eq(berth_cgroup_set(cg, NULL), BERTH_EINVAL);
	ck_assert_int_eq(berth_cgroup_set_json(cg, "{\"memory\": "), BERTH_EINVAL);
	has("JSON");
	ck_assert_int_eq(berth_cgroup_set_json(cg, "{\"memory\": {\"limit\": \"1g\"}}"), BERTH_EINVAL);
	has("linux.resources.memory.limit");
	ck_assert_int_eq(berth_cgroup_set_json(cg, "{\"cpu\": {\"cpus\": \"0-63\"}}"), BERTH_EINVAL);
	has("linux.resources.cpu.cpus '0-63'");
	/* limits on what this host's unified hierarchy lacks */
	ck_assert_int_eq(berth_cgroup_set_json(cg, "{\"unified\": {\"memory.max\": \"1000000\"}}"), BERTH_EUNSUPPORTED);
	has("unified memory.max");
	/* hugetlb lives in the unified hierarchy here; it is usable only once
	 * enabled in the root's cgroup.subtree_control (berth enables it only
	 * on v2 hosts: here a v2 test in a private mount namespace may have) */
	char hp[256];
	snprintf(hp, sizeof hp, CG "/unified/berth/%s/hugetlb.2MB.max", name);
	int rc = berth_cgroup_set_json(cg, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 0}]}");
	if (access(hp, F_OK) == 0)
		ck_assert_msg(rc == 0 && read_ll("unified", name, "hugetlb.2MB.max") == 0, "%d %s", rc, MSG());
	else {
		ck_assert_int_eq(rc, BERTH_EUNSUPPORTED);
		has("hugetlb 2MB limit: the hugetlb controller is not available here");
	}
	ck_assert_int_eq(berth_cgroup_set_json(cg, "{\"hugepageLimits\": [{\"pageSize\": \"3MB\", \"limit\": 0}]}"),
	                 BERTH_EUNSUPPORTED);
	has("hugetlb 3MB");
	ck_assert_int_gt(read_ll("memory", name, "memory.limit_in_bytes"), 1LL << 62);
	tu_ok(berth_cgroup_destroy(cg));
	berth_cgroup_free(cg);
	ck_assert_int_eq(berth_cgroup_open(&cg, NULL, name), BERTH_ENOTFOUND);
	assert_nothing_left();
}
END_TEST

/* Several processes making and removing cgroups under the same parent: a
 * create must survive another's destroy removing the parent. */
START_TEST(concurrent_create_destroy)
{
	pid_t kids[3];
	for (int k = 0; k < 3; k++) {
		kids[k] = fork();
		ck_assert_int_ge(kids[k], 0);
		if (kids[k] == 0) {
			for (int i = 0; i < 40; i++) {
				char name[64];
				snprintf(name, sizeof name, "t-%d-w%d-%d", main_pid, k, i);
				berth_cgroup *cg;
				if (berth_cgroup_create(&cg, NULL, name) < 0) {
					fprintf(stderr, "create: %s\n", MSG());
					_exit(1);
				}
				if (berth_cgroup_destroy(cg) < 0) {
					fprintf(stderr, "destroy: %s\n", MSG());
					_exit(2);
				}
				berth_cgroup_free(cg);
			}
			_exit(0);
		}
	}
	for (int k = 0; k < 3; k++) {
		int st;
		ck_assert_int_eq(waitpid(kids[k], &st, 0), kids[k]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker %d: status 0x%x", k, st);
	}
	assert_nothing_left();
}
END_TEST

/* cgroup v2: cgroup2 mounted on /sys/fs/cgroup in a private mount
 * namespace (here the same hierarchy as /sys/fs/cgroup/unified). The
 * child reports the first failing step as its exit code. */
static int v2_steps(void)
{
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("none", CG, "cgroup2", 0, NULL) < 0)
		return 10;
	int mode;
	if (berth_cgroup_mode_detect(&mode) < 0 || mode != BERTH_CGROUP_V2)
		return 11;
	char name[64], dir[256], buf[256];
	snprintf(name, sizeof name, "t-%d-v2", main_pid);
	berth_cgroup *cg;
	if (berth_cgroup_create(&cg, NULL, name) < 0)
		return 12;
	snprintf(dir, sizeof dir, CG "/berth/%s", name);
	if (access(dir, F_OK) < 0 || berth_cgroup_get_mode(cg) != BERTH_CGROUP_V2)
		return 13;
	int fd = berth_cgroup_unified_fd(cg);
	if (fd < 0)
		return 14;
	close(fd);
	pid_t pid = fork();
	if (pid < 0)
		return 15;
	if (pid == 0)
		spinner();
	int rc = 0;
	if (berth_cgroup_attach(cg, pid) < 0) {
		rc = 16;
		goto out;
	}
	int *pids = NULL;
	if (berth_cgroup_pids(&pids, cg) < 0 || pids[0] != pid || pids[1] != 0) {
		berth_free(pids);
		rc = 17;
		goto out;
	}
	berth_free(pids);
	int frozen = -1;
	if (berth_cgroup_freeze(cg, 1) < 0 || berth_cgroup_frozen(&frozen, cg) < 0 || frozen != 1) {
		rc = 18;
		goto out;
	}
	{
		snprintf(buf, sizeof buf, "%s/cgroup.events", dir);
		FILE *f = fopen(buf, "r");
		char ev[256] = "";
		size_t m = f ? fread(ev, 1, sizeof ev - 1, f) : 0;
		if (f)
			fclose(f);
		ev[m] = '\0';
		if (!strstr(ev, "frozen 1")) {
			rc = 19;
			goto out;
		}
	}
	if (berth_cgroup_freeze(cg, 0) < 0 || berth_cgroup_frozen(&frozen, cg) < 0 || frozen != 0) {
		rc = 20;
		goto out;
	}
	berth_cgroup_resources r = BERTH_CGROUP_RESOURCES_INIT;
	r.memory_limit = 64 << 20;
	if (berth_cgroup_set(cg, &r) != BERTH_EUNSUPPORTED || !strstr(MSG(), "memory controller")) {
		rc = 21;
		goto out;
	}
	r = (berth_cgroup_resources)BERTH_CGROUP_RESOURCES_INIT;
	r.cpu_shares = 512;
	if (berth_cgroup_set(cg, &r) != BERTH_EUNSUPPORTED || !strstr(MSG(), "cpu controller")) {
		rc = 22;
		goto out;
	}
	snprintf(buf, sizeof buf, "%s/hugetlb.2MB.max", dir);
	if (access(buf, F_OK) == 0) {
		if (berth_cgroup_set_json(cg, "{\"hugepageLimits\": [{\"pageSize\": \"2MB\", \"limit\": 4194304}]}") < 0 ||
		    read_str(buf, sizeof buf, "%s/hugetlb.2MB.max", dir) < 0 || strcmp(buf, "4194304") != 0) {
			rc = 23;
			goto out;
		}
		if (berth_cgroup_set_json(cg, "{\"unified\": {\"hugetlb.2MB.max\": \"max\"}}") < 0 ||
		    read_str(buf, sizeof buf, "%s/hugetlb.2MB.max", dir) < 0 || strcmp(buf, "max") != 0) {
			rc = 24;
			goto out;
		}
	}
	berth_cgroup_stats s = { .version = BERTH_CGROUP_STATS_VERSION };
	nap_ms(100);
	if (berth_cgroup_stats_read(&s, cg) < 0 || s.cpu_usage_ns == 0 || s.memory_limit != -1) {
		rc = 25;
		goto out;
	}
	if (berth_cgroup_kill(cg) < 0) {
		rc = 26;
		goto out;
	}
	int st;
	if (waitpid(pid, &st, 0) != pid || !WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		return 27;
	pid = 0;
	if (berth_cgroup_destroy(cg) < 0 || access(dir, F_OK) == 0)
		return 28;
	berth_cgroup_free(cg);
	return 0;
out:
	if (rc)
		fprintf(stderr, "v2 step %d: %s\n", rc, MSG());
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	berth_cgroup_destroy(cg);
	berth_cgroup_free(cg);
	return rc;
}

START_TEST(cgroup_v2_private_mount_namespace)
{
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(v2_steps());
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "v2 child failed at step %d (status 0x%x)",
	              WIFEXITED(st) ? WEXITSTATUS(st) : -1, st);
	assert_nothing_left();
}
END_TEST

int main(void)
{
	main_pid = (int)getpid();
	Suite *s = suite_create("cgroup");
	TCase *t = tcase_create("cgroups");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, mode_is_hybrid);
	tcase_add_test(t, create_attach_destroy);
	tcase_add_test(t, parent_kept_while_used);
	tcase_add_test(t, limits_are_written);
	tcase_add_test(t, pids_limit_enforced);
	tcase_add_test(t, oom_kill);
	tcase_add_test(t, stats_of_a_busy_child);
	tcase_add_test(t, freeze_and_thaw);
	tcase_add_test(t, kill_kills_all);
	tcase_add_test(t, bad_input);
	tcase_add_test(t, concurrent_create_destroy);
	tcase_add_test(t, cgroup_v2_private_mount_namespace);
	suite_add_tcase(s, t);
	return tu_run_suite(s);
}
