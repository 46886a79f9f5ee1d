/* berth CLI: a small JSON reader and pretty-printer (the CLI links only
 * libberth). SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef BERTH_CLI_JSON_H
#define BERTH_CLI_JSON_H

#include <stddef.h>
#include <stdio.h>

enum jtype { J_NULL, J_FALSE, J_TRUE, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT };

struct jval {
	enum jtype type;
	char *str;            /* J_STRING: decoded UTF-8; J_NUMBER: the literal */
	size_t n;             /* J_ARRAY, J_OBJECT: number of items */
	struct jval **items;  /* J_ARRAY, J_OBJECT */
	char **keys;          /* J_OBJECT */
};

/* Parses text (len bytes). NULL on error, with a message in err. */
struct jval *json_parse(const char *text, size_t len, char *err, size_t errlen);
void json_free(struct jval *v);

/* Member of an object, NULL if absent or v is not an object. */
struct jval *json_get(const struct jval *v, const char *key);
/* String member, NULL unless it is a string. */
const char *json_get_str(const struct jval *v, const char *key);
/* Number member as long long, dflt unless it is a number. */
long long json_get_int(const struct jval *v, const char *key, long long dflt);

/* Building. json_set* take ownership of item and copy key and s. */
struct jval *json_new(enum jtype t);
void json_append(struct jval *arr, struct jval *item);
void json_set(struct jval *obj, const char *key, struct jval *item);
void json_set_str(struct jval *obj, const char *key, const char *s);
void json_set_int(struct jval *obj, const char *key, long long n);

/* Prints v with indent spaces per level, starting at level; indent < 0:
 * compact, on one line. */
void json_print(FILE *f, const struct jval *v, int indent, int level);
/* A JSON string literal. */
void json_print_string(FILE *f, const char *s);

#endif
