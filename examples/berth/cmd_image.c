/* berth CLI: images — import, images, rmi, tag, image prune, and image
 * inspect. Pull, push, save and load come with the registry work.
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "json.h"
#include "util.h"
#include <stdlib.h>
#include <string.h>
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
		                                  "Remove blobs and unpacked layers no image refers to", NULL };
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

int cmd_image(int argc, char **argv)
{
	static const struct cli_cmd_help help = {
		"image", "COMMAND", "Manage images",
		"Commands:\n  ls        List images (berth images)\n  rm        Remove images (berth rmi)\n"
		"  tag       Tag an image (berth tag)\n  import    Import a tarball (berth import)\n"
		"  prune     Remove unused blobs and layers\n  inspect   Display detailed information (berth inspect)\n"
	};
	static const struct cli_opt none[] = { { 0 } };
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		opt_print_help(argc < 2 ? stderr : stdout, none, &help);
		return argc < 2 ? EXIT_BERTH : 0;
	}
	if (!strcmp(argv[1], "ls") || !strcmp(argv[1], "list"))
		return cmd_images(argc - 1, argv + 1);
	if (!strcmp(argv[1], "rm"))
		return cmd_rmi(argc - 1, argv + 1);
	if (!strcmp(argv[1], "tag"))
		return cmd_tag(argc - 1, argv + 1);
	if (!strcmp(argv[1], "import"))
		return cmd_import(argc - 1, argv + 1);
	if (!strcmp(argv[1], "prune"))
		return image_prune(argc - 1, argv + 1);
	if (!strcmp(argv[1], "inspect")) {
		int rc = 0;
		struct jval *arr = json_new(J_ARRAY);
		for (int i = 2; i < argc; i++) {
			struct jval *v = image_inspect_json(argv[i]);
			if (!v)
				rc = berr("image inspect");
			else
				json_append(arr, v);
		}
		json_print(stdout, arr, 4, 0);
		fputc('\n', stdout);
		json_free(arr);
		return rc;
	}
	usage_error("image", "unknown command '%s'", argv[1]);
}

/* --- pull --- */

struct pull_view {
	int quiet, tty;
	char digests[64][80];
	int n;
};

static void pull_progress(const char *digest, int status, uint64_t done, uint64_t total, void *payload)
{
	struct pull_view *v = payload;
	if (v->quiet)
		return;
	static const char *const words[] = { "Resolving", "Waiting", "Downloading", "Extracting", "Pull complete",
		                             "Already exists" };
	const char *word = status >= 0 && status <= 5 ? words[status] : "?";
	if (!digest) {
		fprintf(stderr, "%s\n", word);
		return;
	}
	const char *hex = strncmp(digest, "sha256:", 7) ? digest : digest + 7;
	if (status == BERTH_PULL_DOWNLOADING) {
		if (!v->tty)
			return; /* without a terminal: one line per state change, not per chunk */
		if (total)
			fprintf(stderr, "\r%.12s: %s %.1fMB/%.1fMB", hex, word, (double)done / 1e6, (double)total / 1e6);
		else
			fprintf(stderr, "\r%.12s: %s %.1fMB", hex, word, (double)done / 1e6);
		fflush(stderr);
		return;
	}
	fprintf(stderr, "%s%.12s: %s\n", v->tty ? "\r\033[K" : "", hex, word);
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
	if (!view.quiet)
		fprintf(stderr, "Digest: %s\n", berth_image_id(img));
	printf("%s\n", argv[st.ind]);
	berth_image_free(img);
	return 0;
}
