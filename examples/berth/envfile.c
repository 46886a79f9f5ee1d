/* berth CLI: the --env-file format (envfile.h). SPDX-License-Identifier: LGPL-2.1-or-later */
#include "envfile.h"

#include <string.h>

int env_file_parse(char *text, int (*fn)(const char *entry, void *payload), void *payload)
{
	char *save = NULL;
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line[strcspn(line, "\r")] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		int r = fn(line, payload);
		if (r)
			return r;
	}
	return 0;
}
