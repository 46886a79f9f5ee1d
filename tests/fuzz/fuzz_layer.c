/* SPDX-License-Identifier: LGPL-2.1-or-later
 * Tar layers (lib/image/store_layer.c + unpack.c, the path of pull and
 * import): any bytes (plain, gzip or zstd tar; ustar header checksums fixed
 * up) streamed, hashed and unpacked into a fresh temp root with the flags of
 * this process (as root: chown, devices, xattrs). The root is removed after
 * each input and nothing may appear beside it; as root the rest of the host
 * is read-only (fz_protect_host) and an EROFS error is a finding. */
#include "fuzz_common.h"
#include "internal.h"
#include "image/store.h"
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

FZ_PROTECT_HOST_INIT()

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int in = fz_tar_input(data, size);
	const char *root = fz_root();
	int dirfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	FZ_ASSERT(dirfd >= 0, "open %s", root);
	berth__layer_result res;
	if (berth__layer_stream(&res, dirfd, in, -1, "layer") == 0)
		FZ_ASSERT(res.blob_size == size, "read %llu of %zu bytes", (unsigned long long)res.blob_size, size);
	else
		fz_check_errno("layer");
	close(dirfd);
	close(in);
	fz_root_done();
	return 0;
}
