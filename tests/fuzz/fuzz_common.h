/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Helpers shared by the libFuzzer targets (tests/fuzz/fuzz_*.c). */
#ifndef BERTH_FUZZ_COMMON_H
#define BERTH_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A NUL-terminated copy of the input (an embedded NUL ends the string). */
char *fz_str(const uint8_t *data, size_t size);
/* Aborts (a finding) with a message when cond is false: a property broken. */
#define FZ_ASSERT(cond, ...) ((cond) ? (void)0 : fz_fail(__FILE__, __LINE__, __VA_ARGS__))
void fz_fail(const char *file, int line, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));

/* A tar input as a file: the data copied, the header checksum of every
 * 512-byte block that carries the ustar magic recomputed (so that mutations
 * reach the code past libarchive's checksum test), written to a new memfd
 * (offset 0). Files the code under test writes stop at 64 MiB (EFBIG), so a
 * decompression bomb fails instead of filling the disk (libFuzzer's SIGXFSZ
 * handler is replaced). */
int fz_tar_input(const uint8_t *data, size_t size);

/* Run as root: puts the process in a private mount namespace where every
 * mount is read-only except the directories in $BERTH_FUZZ_WRITABLE (colon-
 * separated; scripts/fuzz.sh gives its scratch dir) and $TMPDIR, so that code
 * escaping its root cannot change the host, and such a write fails with EROFS
 * (see fz_check_errno). Call it from LLVMFuzzerInitialize (before libFuzzer
 * starts threads). Not root: nothing (a note on stderr). */
void fz_protect_host(void);
/* The LLVMFuzzerInitialize of a target that calls fz_protect_host. */
#define FZ_PROTECT_HOST_INIT()                                  \
	int LLVMFuzzerInitialize(int *argc, char ***argv);      \
	int LLVMFuzzerInitialize(int *argc, char ***argv)       \
	{                                                       \
		(void)argc, (void)argv;                         \
		fz_protect_host();                              \
		return 0;                                       \
	}
/* Aborts if the last berth error is EROFS: a write outside the writable
 * directories, which the code under test must never try. */
void fz_check_errno(const char *what);

/* A scratch area: <TMPDIR>/berth-fuzz-XXXXXX, made once per process, holding
 * only "root" while an input runs. fz_root() makes <area>/root (mode 0700)
 * and returns its path; fz_root_done() removes it and aborts if anything else
 * was left in the area (something written outside the root). */
const char *fz_root(void);
void fz_root_done(void);

#endif
