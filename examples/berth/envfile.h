/* berth CLI: the --env-file format. SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BERTH_CLI_ENVFILE_H
#define BERTH_CLI_ENVFILE_H

/* Splits an env file's text (modified in place) into entries, as Docker
 * reads --env-file: one VAR=value or VAR per line; a trailing \r is dropped,
 * leading blanks are skipped, blank lines and lines starting with '#' are
 * ignored. Calls fn(entry, payload) for each entry in order and stops at the
 * first non-zero return, which it returns; 0 when every entry was taken. */
int env_file_parse(char *text, int (*fn)(const char *entry, void *payload), void *payload);

#endif
