/* SPDX-License-Identifier: LGPL-2.1-or-later */
#define BERTH__ERROR_IMPL /* the functions themselves, not internal.h's wrappers */
#include "internal.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX 1024

static __thread char tl_msg[MSG_MAX];
static __thread berth_error tl_err = { 0, 0, NULL };

static berth_error *cur(void)
{
	if (!tl_err.message)
		tl_err.message = tl_msg;
	return &tl_err;
}

BERTH_EXTERN const berth_error *berth_error_last(void) { return cur(); }

BERTH_EXTERN void berth_error_clear(void) { berth__err_ok(); }

void berth__err_ok(void)
{
	berth_error *e = cur();
	e->code = 0;
	e->sys_errno = 0;
	tl_msg[0] = '\0';
}

static int vset(int code, int errnum, const char *fmt, va_list ap)
{
	berth_error *e = cur();
	char tmp[MSG_MAX];
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	if (errnum)
		snprintf(tl_msg, sizeof tl_msg, "%s: %s", tmp, strerror(errnum));
	else
		snprintf(tl_msg, sizeof tl_msg, "%s", tmp);
	e->code = code;
	e->sys_errno = errnum;
	return code;
}

int berth__err(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(code, 0, fmt, ap);
	va_end(ap);
	return code;
}

static int code_of_errno(int e)
{
	switch (e) {
	case ENOENT: return BERTH_ENOTFOUND;
	case EEXIST: return BERTH_EEXISTS;
	case EPERM: case EACCES: return BERTH_EPERM;
	case ENOMEM: return BERTH_ENOMEM;
	case EINVAL: return BERTH_EINVAL;
	case EBUSY: return BERTH_EBUSY;
	case ENOSYS: case EOPNOTSUPP: return BERTH_EUNSUPPORTED;
	case ETIMEDOUT: return BERTH_ETIMEOUT;
	default: return BERTH_ESYS;
	}
}

int berth__err_sys(int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int code = vset(code_of_errno(errnum), errnum, fmt, ap);
	va_end(ap);
	return code;
}

int berth__err_nomem(void) { return berth__err(BERTH_ENOMEM, "out of memory"); }

int berth__err_prefix(const char *fmt, ...)
{
	char pre[MSG_MAX], tmp[MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof pre, fmt, ap);
	va_end(ap);
	snprintf(tmp, sizeof tmp, "%s: %s", pre, tl_msg);
	memcpy(tl_msg, tmp, sizeof tl_msg);
	return cur()->code;
}

void berth__err_save(berth__err_saved *s)
{
	s->code = cur()->code;
	s->sys_errno = cur()->sys_errno;
	s->message = strdup(tl_msg);
}

void berth__err_restore(berth__err_saved *s)
{
	cur()->code = s->code;
	cur()->sys_errno = s->sys_errno;
	if (s->message) {
		snprintf(tl_msg, sizeof tl_msg, "%s", s->message);
		free(s->message);
		s->message = NULL;
	}
}

BERTH_EXTERN const char *berth_strerror(int code)
{
	switch (code) {
	case BERTH_OK: return "success";
	case BERTH_ERROR: return "error";
	case BERTH_EINVAL: return "invalid argument";
	case BERTH_ENOTFOUND: return "not found";
	case BERTH_EEXISTS: return "already exists";
	case BERTH_ESTATE: return "invalid state";
	case BERTH_ESYS: return "system error";
	case BERTH_ENOMEM: return "out of memory";
	case BERTH_EAUTH: return "authentication failed";
	case BERTH_EDIGEST: return "digest mismatch";
	case BERTH_ENET: return "network error";
	case BERTH_EBUSY: return "in use";
	case BERTH_EUNSUPPORTED: return "not supported";
	case BERTH_EPERM: return "permission denied";
	case BERTH_ETIMEOUT: return "timed out";
	case BERTH_ECANCELED: return "canceled";
	default: return "unknown error";
	}
}

BERTH_EXTERN void berth_free(void *ptr) { free(ptr); }

BERTH_EXTERN const char *berth_version(void) { return BERTH_VERSION_STRING; }
