/* berth CLI: images — import, images, rmi, tag, image prune, and image
 * inspect. Pull, push, save and load come with the registry work.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <termios.h>
#include <unistd.h>


int cmd_import(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help help = {
		"import", "FILE [REPOSITORY[:TAG]]",
		"Import a root filesystem tarball (plain, gzip or zstd) as an image",
		"Every entry is checked as a hostile layer would be: nothing escapes the\n"
		"image's layer. Prints the new image's id.\n"
	};
	struct opt_state st;
	const char *arg;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg) != 0)
		;
	if (st.ind >= argc || argc - st.ind > 2)
		usage_error("import", "requires a FILE and at most one REPOSITORY[:TAG]");
	berth_image *img;
	if (berth_image_import(&img, cli_ctx(), argv[st.ind], st.ind + 1 < argc ? argv[st.ind + 1] : NULL) < 0)
		return berr("import");
	printf("%s\n", berth_image_id(img));
	berth_image_free(img);
	return 0;
}

struct jval *image_inspect_json(const char *name)
{
	berth_image *img;
	if (berth_image_open(&img, cli_ctx(), name) < 0)
		return NULL;
	char *js = NULL;
	int r = berth_image_inspect(&js, img);
	berth_image_free(img);
	if (r < 0)
		return NULL;
	char err[256];
	struct jval *v = json_parse(js, strlen(js), err, sizeof err);
	berth_free(js);
	return v;
}

static void human_size(char *buf, size_t len, double b)
{
	/* docker images shows decimal units: 4.26MB */
	const char *u[] = { "B", "kB", "MB", "GB", "TB" };
	int i = 0;
	while (b >= 1000 && i < 4) {
		b /= 1000;
		i++;
	}
	snprintf(buf, len, i ? "%.3g%s" : "%.0f%s", b, u[i]);
}

int cmd_images(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'a', 'a', "all", OPT_NONE, NULL, "Show all images (untagged ones too)" },
		{ 'q', 'q', "quiet", OPT_NONE, NULL, "Only show image ids" },
		{ 'f', 0, "format", OPT_ARG, "FORMAT", "\"json\" (one object per line) or \"table\"" },
		{ 0 }
	};
	static const struct cli_cmd_help help = { "images", "[OPTIONS]", "List images", NULL };
	struct opt_state st;
	const char *arg, *format = "table";
	int id, all = 0, quiet = 0;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == 'a')
			all = 1;
		else if (id == 'q')
			quiet = 1;
		else
			format = arg;
	}
	if (strcmp(format, "json") && strcmp(format, "table"))
		usage_error("images", "unknown --format '%s' (json or table)", format);
	char **ids;
	if (berth_image_list(&ids, cli_ctx()) < 0)
		return berr("images");
	int json = !strcmp(format, "json");
	if (!quiet && !json)
		printf("%-40s %-20s %-14s %-24s %s\n", "REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
	for (char **p = ids; *p; p++) {
		struct jval *v = image_inspect_json(*p);
		if (!v)
			continue;
		const char *full = json_get_str(v, "Id");
		const char *hex = full && !strncmp(full, "sha256:", 7) ? full + 7 : full ? full : "";
		char shortid[13];
		snprintf(shortid, sizeof shortid, "%.12s", hex);
		struct jval *tags = json_get(v, "RepoTags");
		size_t nt = tags && tags->type == J_ARRAY ? tags->n : 0;
		if (nt == 0 && !all && !quiet) {
			json_free(v);
			continue;
		}
		if (quiet) {
			printf("%s\n", shortid);
			json_free(v);
			continue;
		}
		char created[64] = "", size[32];
		double t = parse_rfc3339(json_get_str(v, "Created"));
		if (t > 0) {
			human_duration(created, sizeof created, now_seconds() - t);
			strncat(created, " ago", sizeof created - strlen(created) - 1);
		}
		human_size(size, sizeof size, (double)json_get_int(v, "Size", 0));
		for (size_t i = 0; i < (nt ? nt : 1); i++) {
			char repo[512] = "<none>", *tag = "<none>";
			if (nt && tags->items[i]->type == J_STRING) {
				snprintf(repo, sizeof repo, "%s", tags->items[i]->str);
				char *colon = strrchr(repo, ':');
				if (colon && !strchr(colon, '/')) {
					*colon = '\0';
					tag = colon + 1;
				}
			}
			if (json) {
				struct jval *o = json_new(J_OBJECT);
				json_set_str(o, "Repository", repo);
				json_set_str(o, "Tag", tag);
				json_set_str(o, "ID", shortid);
				json_set_str(o, "CreatedSince", created);
				json_set_str(o, "Size", size);
				json_set_str(o, "Id", full ? full : "");
				json_print(stdout, o, -1, 0);
				fputc('\n', stdout);
				json_free(o);
			} else
				printf("%-40s %-20s %-14s %-24s %s\n", repo, tag, shortid, created, size);
		}
		json_free(v);
	}
	berth_free(ids);
	return 0;
}

int cmd_rmi(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'f', 'f', "force", OPT_NONE, NULL, "Remove the image even if a container uses it" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"rmi", "[OPTIONS] IMAGE [IMAGE...]", "Remove one or more images",
		"A reference removes that tag; the image goes with its last tag (or when\n"
		"named by id). Its blobs and layers are freed by `berth image prune`.\n"
	};
	struct opt_state st;
	const char *arg;
	int id, force = 0, rc = 0;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0)
		force = 1;
	if (st.ind >= argc)
		usage_error("rmi", "requires at least 1 image argument");
	for (int i = st.ind; i < argc; i++) {
		if (berth_image_remove(cli_ctx(), argv[i], force ? BERTH_IMAGE_REMOVE_FORCE : 0) < 0)
			rc = berr("rmi");
		else
			printf("Untagged: %s\n", argv[i]);
	}
	return rc;
}

int cmd_tag(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help help = { "tag", "SOURCE_IMAGE TARGET_IMAGE[:TAG]",
		                                  "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE", NULL };
	struct opt_state st;
	const char *arg;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg) != 0)
		;
	if (argc - st.ind != 2)
		usage_error("tag", "requires exactly 2 arguments");
	if (berth_image_tag(cli_ctx(), argv[st.ind], argv[st.ind + 1]) < 0)
		return berr("tag");
	return 0;
}

static int image_prune(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'a', 'a', "all", OPT_NONE, NULL, "(accepted: berth prunes every blob and layer no image uses)" },
		{ 'y', 'f', "force", OPT_NONE, NULL, "Do not ask (berth never asks)" },
		{ 0 }
	};
	static const struct cli_cmd_help help = { "image prune", "[OPTIONS]",
		                                  "Remove blobs, unpacked layers and build cache no image refers to", NULL };
	struct opt_state st;
	const char *arg;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg) != 0)
		;
	uint64_t bytes = 0;
	if (berth_image_prune(&bytes, cli_ctx()) < 0)
		return berr("image prune");
	printf("Total reclaimed space: %.1fMB\n", (double)bytes / 1e6);
	return 0;
}

static int image_inspect(int argc, char **argv)
{
	return print_json_array(argc, argv, 1, image_inspect_json, "image inspect");
}

int cmd_image(int argc, char **argv)
{
	static const struct cli_cmd_help help = {
		"image", "COMMAND", "Manage images",
		"Commands:\n  ls        List images (berth images)\n  rm        Remove images (berth rmi)\n"
		"  tag       Tag an image (berth tag)\n  import    Import a tarball (berth import)\n"
		"  prune     Remove unused blobs and layers\n  inspect   Display detailed information (berth inspect)\n"
	};
	static const struct cli_sub subs[] = {
		{ "ls", "list", cmd_images }, { "rm", NULL, cmd_rmi },         { "tag", NULL, cmd_tag },
		{ "import", NULL, cmd_import }, { "prune", NULL, image_prune }, { "inspect", NULL, image_inspect },
		{ NULL, NULL, NULL }
	};
	return run_subcommand(argc, argv, &help, subs);
}

/* --- pull --- */

struct pull_view {
	int quiet, tty;
	char lines[64][16]; /* the short id on each line (a terminal shows one line per layer) */
	int n;
};

/* One line per layer, like docker: on a terminal the layer's line is
 * rewritten in place (several layers move at once); otherwise one line per
 * state change, no byte counts. */
static void show(struct pull_view *v, const char *digest, const char *word, int bytes, uint64_t done, uint64_t total)
{
	if (v->quiet)
		return;
	if (!digest) {
		fprintf(stderr, "%s\n", word);
		return;
	}
	char id[16], text[160];
	snprintf(id, sizeof id, "%.12s", strncmp(digest, "sha256:", 7) ? digest : digest + 7);
	if (bytes && total)
		snprintf(text, sizeof text, "%s: %s %.1fMB/%.1fMB", id, word, (double)done / 1e6, (double)total / 1e6);
	else
		snprintf(text, sizeof text, "%s: %s", id, word);
	if (!v->tty) {
		if (!bytes)
			fprintf(stderr, "%s\n", text);
		return;
	}
	int i = 0;
	for (; i < v->n && strcmp(v->lines[i], id); i++)
		;
	if (i == v->n && v->n < 64) {
		snprintf(v->lines[v->n++], sizeof v->lines[0], "%s", id);
		fprintf(stderr, "%s\n", text);
	} else if (i < v->n) {
		int up = v->n - i;
		fprintf(stderr, "\033[%dA\r\033[K%s\033[%dB\r", up, text, up);
	}
	fflush(stderr);
}

static void pull_progress(const char *digest, int status, uint64_t done, uint64_t total, void *payload)
{
	static const char *const words[] = { "Resolving", "Waiting", "Downloading", "Extracting", "Pull complete",
		                             "Already exists" };
	show(payload, digest, status >= 0 && status <= 5 ? words[status] : "?", status == BERTH_PULL_DOWNLOADING, done,
		total);
}

int cmd_pull(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'q', 'q', "quiet", OPT_NONE, NULL, "Suppress the progress output" },
		{ 'p', 0, "platform", OPT_ARG, "OS/ARCH[/VARIANT]", "The platform to pull from a multi-platform image" },
		{ 't', 0, "tls-verify", OPT_BOOL, NULL, "Verify the registry's TLS certificate (default true)" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"pull", "[OPTIONS] NAME[:TAG|@DIGEST]", "Download an image from a registry",
		"Credentials come from ~/.docker/config.json (\"auths\"), as Docker writes them.\n"
		"Registries on localhost or 127.0.0.1 are spoken to over plain HTTP.\n"
	};
	struct opt_state st;
	const char *arg;
	int id;
	berth_pull_options po = BERTH_PULL_OPTIONS_INIT;
	struct pull_view view = { 0 };
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == 'q')
			view.quiet = 1;
		else if (id == 'p')
			po.platform = arg;
		else
			po.tls_verify = opt_true(arg);
	}
	if (argc - st.ind != 1)
		usage_error("pull", "requires exactly 1 image argument");
	view.tty = isatty(2);
	po.progress = pull_progress;
	po.payload = &view;
	berth_image *img;
	if (berth_image_pull(&img, cli_ctx(), argv[st.ind], &po) < 0)
		return berr("pull");
	if (!view.quiet) {
		/* as docker: the manifest's digest */
		struct jval *v = image_inspect_json(argv[st.ind]);
		const char *m = v ? json_get_str(v, "Manifest") : NULL;
		fprintf(stderr, "Digest: %s\n", m ? m : berth_image_id(img));
		json_free(v);
	}
	printf("%s\n", argv[st.ind]);
	berth_image_free(img);
	return 0;
}

/* --- push --- */

static void push_progress(const char *digest, int status, uint64_t done, uint64_t total, void *payload)
{
	static const char *const words[] = { "Preparing", "Waiting", "Pushing", "?", "Pushed", "Layer already exists",
		                             "Mounted from another repository" };
	struct pull_view *v = payload;
	if (status == BERTH_PUSH_WAITING && !v->tty)
		return;
	show(v, digest, status >= 0 && status <= 6 ? words[status] : "?", status == BERTH_PUSH_UPLOADING, done, total);
}

int cmd_push(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'q', 'q', "quiet", OPT_NONE, NULL, "Suppress the progress output" },
		{ 't', 0, "tls-verify", OPT_BOOL, NULL, "Verify the registry's TLS certificate (default true)" },
		{ 'c', 0, "chunk-size", OPT_ARG, "BYTES", "Upload blobs in PATCH chunks of this size (default: one PUT)" },
		{ 'm', 0, "mount-from", OPT_ARG, "REPOSITORY", "Mount blobs from this repository of the same registry" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"push", "[OPTIONS] NAME[:TAG] [DESTINATION]", "Upload an image to a registry",
		"Pushes the image NAME to the registry reference NAME (or DESTINATION).\n"
		"Blobs the registry has are skipped; blobs of another repository of the\n"
		"same registry that names the image are mounted instead of uploaded.\n"
		"Credentials come from ~/.docker/config.json (berth login).\n"
	};
	struct opt_state st;
	const char *arg;
	int id;
	berth_push_options po = BERTH_PUSH_OPTIONS_INIT;
	struct pull_view view = { 0 };
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == 'q')
			view.quiet = 1;
		else if (id == 't')
			po.tls_verify = opt_true(arg);
		else if (id == 'c') {
			char *end;
			unsigned long long n = strtoull(arg, &end, 10);
			if (!*arg || *end || n == 0)
				usage_error("push", "--chunk-size '%s': expected a positive number of bytes", arg);
			po.chunk_size = n;
		} else
			po.mount_from = arg;
	}
	if (argc - st.ind < 1 || argc - st.ind > 2)
		usage_error("push", "requires an image and at most one destination");
	view.tty = isatty(2);
	po.progress = push_progress;
	po.payload = &view;
	char *digest = NULL;
	if (berth_image_push(&digest, cli_ctx(), argv[st.ind], st.ind + 1 < argc ? argv[st.ind + 1] : NULL, &po) < 0)
		return berr("push");
	printf("%s: digest: %s\n", st.ind + 1 < argc ? argv[st.ind + 1] : argv[st.ind], digest);
	berth_free(digest);
	return 0;
}

/* --- save, load --- */

int cmd_save(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'o', 'o', "output", OPT_ARG, "FILE", "Write to FILE instead of the standard output" },
		{ 'f', 0, "format", OPT_ARG, "FORMAT", "\"docker\" (docker save's format, default) or \"oci-archive\"" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"save", "[OPTIONS] IMAGE [IMAGE...]", "Save one or more images to a tar archive",
		"The docker format is what `docker save` writes and `docker load` reads;\n"
		"oci-archive is an OCI image layout in a tar (skopeo's oci-archive:).\n"
	};
	struct opt_state st;
	const char *arg, *output = NULL, *format = "docker";
	int id;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == 'o')
			output = arg;
		else
			format = arg;
	}
	int fmt;
	if (!strcmp(format, "docker") || !strcmp(format, "docker-archive"))
		fmt = BERTH_ARCHIVE_DOCKER;
	else if (!strcmp(format, "oci-archive") || !strcmp(format, "oci"))
		fmt = BERTH_ARCHIVE_OCI;
	else
		usage_error("save", "unknown --format '%s' (docker or oci-archive)", format);
	if (st.ind >= argc)
		usage_error("save", "requires at least 1 image argument");
	if (!output && isatty(1))
		usage_error("save", "cowardly refusing to write an archive to a terminal: use -o FILE or redirect");
	char tmp[4200] = "";
	int fd = 1;
	if (output) {
		snprintf(tmp, sizeof tmp, "%s.tmp-%d", output, (int)getpid());
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "berth: save: create %s: %s\n", tmp, strerror(errno));
			return EXIT_BERTH;
		}
	}
	int r = berth_image_save(cli_ctx(), (const char *const *)argv + st.ind, fmt, fd);
	if (output) {
		if (close(fd) < 0 && r == 0) {
			fprintf(stderr, "berth: save: write %s: %s\n", tmp, strerror(errno));
			unlink(tmp);
			return EXIT_BERTH;
		}
		if (r == 0 && rename(tmp, output) < 0) {
			fprintf(stderr, "berth: save: rename to %s: %s\n", output, strerror(errno));
			unlink(tmp);
			return EXIT_BERTH;
		}
		if (r < 0)
			unlink(tmp);
	}
	if (r < 0)
		return berr("save");
	return 0;
}

int cmd_load(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'i', 'i', "input", OPT_ARG, "FILE", "Read from FILE instead of the standard input" },
		{ 'q', 'q', "quiet", OPT_NONE, NULL, "Only print the image ids" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"load", "[OPTIONS]", "Load images from a tar archive (docker save or OCI; plain, gzip or zstd)", NULL
	};
	struct opt_state st;
	const char *arg, *input = NULL;
	int id, quiet = 0;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == 'i')
			input = arg;
		else
			quiet = 1;
	}
	if (st.ind != argc)
		usage_error("load", "accepts no arguments");
	int fd = 0;
	if (input && (fd = open(input, O_RDONLY | O_CLOEXEC)) < 0) {
		fprintf(stderr, "berth: load: open %s: %s\n", input, strerror(errno));
		return EXIT_BERTH;
	}
	if (!input && isatty(0))
		usage_error("load", "requested load from stdin, but stdin is a terminal: use -i FILE or redirect");
	char **lines = NULL;
	int r = berth_image_load(&lines, cli_ctx(), fd);
	if (input)
		close(fd);
	if (r < 0)
		return berr("load");
	for (char **l = lines; *l; l++) {
		const char *sp = strchr(*l, ' ');
		if (quiet)
			printf("%.*s\n", sp ? (int)(sp - *l) : (int)strlen(*l), *l);
		else if (sp) {
			berth_ref *ref = NULL;
			if (berth_ref_parse(&ref, sp + 1) == 0)
				printf("Loaded image: %s\n", berth_ref_familiar(ref));
			else
				printf("Loaded image: %s\n", sp + 1);
			berth_ref_free(ref);
		} else
			printf("Loaded image ID: %s\n", *l);
	}
	berth_free(lines);
	return 0;
}

/* --- login, logout --- */

static char *read_line(FILE *f)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = getline(&line, &cap, f);
	if (n < 0) {
		free(line);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

int cmd_login(int argc, char **argv)
{
	static const struct cli_opt opts[] = {
		{ 'u', 'u', "username", OPT_ARG, "USER", "Username" },
		{ 'p', 'p', "password", OPT_ARG, "PASSWORD", "Password (visible to other users: prefer --password-stdin)" },
		{ 's', 0, "password-stdin", OPT_NONE, NULL, "Take the password from stdin" },
		{ 't', 0, "tls-verify", OPT_BOOL, NULL, "Verify the registry's TLS certificate (default true)" },
		{ 0 }
	};
	static const struct cli_cmd_help help = {
		"login", "[OPTIONS] [SERVER]", "Log in to a registry",
		"Checks the credentials against the registry, then stores them where Docker\n"
		"does: $DOCKER_CONFIG/config.json or ~/.docker/config.json (\"auths\", mode 0600).\n"
		"SERVER defaults to docker.io.\n"
	};
	struct opt_state st;
	const char *arg, *user = NULL, *pass = NULL;
	int id, from_stdin = 0, tls = 1;
	opt_init(&st, argc, argv, opts, &help);
	while ((id = opt_next(&st, &arg)) != 0) {
		if (id == 'u')
			user = arg;
		else if (id == 'p')
			pass = arg;
		else if (id == 's')
			from_stdin = 1;
		else
			tls = opt_true(arg);
	}
	if (argc - st.ind > 1)
		usage_error("login", "accepts at most one server");
	if (from_stdin && pass)
		usage_error("login", "--password and --password-stdin are mutually exclusive");
	if (from_stdin && !user)
		usage_error("login", "--password-stdin requires --username");
	const char *server = st.ind < argc ? argv[st.ind] : "docker.io";
	char *uline = NULL, *pline = NULL;
	if (!user) {
		fprintf(stderr, "Username: ");
		fflush(stderr);
		if (!(uline = read_line(stdin)) || !*uline)
			usage_error("login", "a username is required");
		user = uline;
	}
	if (!pass) {
		if (!from_stdin && isatty(0)) {
			fprintf(stderr, "Password: ");
			fflush(stderr);
			struct termios old, quiet;
			int tty = tcgetattr(0, &old) == 0;
			if (tty) {
				quiet = old;
				quiet.c_lflag &= ~(tcflag_t)ECHO;
				tcsetattr(0, TCSAFLUSH, &quiet);
			}
			pline = read_line(stdin);
			if (tty) {
				tcsetattr(0, TCSAFLUSH, &old);
				fputc('\n', stderr);
			}
		} else {
			pline = read_line(stdin);
		}
		if (!pline || !*pline)
			usage_error("login", "a password is required");
		pass = pline;
	}
	int r = berth_registry_login(cli_ctx(), server, user, pass, tls);
	free(uline);
	if (pline) {
		explicit_bzero(pline, strlen(pline));
		free(pline);
	}
	if (r < 0)
		return berr("login");
	printf("Login Succeeded\n");
	return 0;
}

int cmd_logout(int argc, char **argv)
{
	static const struct cli_opt opts[] = { { 0 } };
	static const struct cli_cmd_help help = { "logout", "[SERVER]", "Log out from a registry",
		                                  "Removes SERVER's entry (default docker.io) from the Docker config file.\n" };
	struct opt_state st;
	const char *arg;
	opt_init(&st, argc, argv, opts, &help);
	while (opt_next(&st, &arg) != 0)
		;
	if (argc - st.ind > 1)
		usage_error("logout", "accepts at most one server");
	const char *server = st.ind < argc ? argv[st.ind] : "docker.io";
	if (berth_registry_logout(cli_ctx(), server) < 0)
		return berr("logout");
	printf("Removing login credentials for %s\n", server);
	return 0;
}
