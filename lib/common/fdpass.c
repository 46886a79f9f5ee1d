/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Passing one descriptor over a unix socket (SCM_RIGHTS): the library and the
 * monitor (libexec/berth-monitor.c, which compiles this file too). */
#include "internal.h"
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* mh for len bytes of buf and one descriptor's room in cbuf. */
static void fd_msg(struct msghdr *mh, struct iovec *iov, void *buf, size_t len, char *cbuf, size_t clen)
{
	iov->iov_base = buf;
	iov->iov_len = len;
	memset(mh, 0, sizeof *mh);
	mh->msg_iov = iov;
	mh->msg_iovlen = 1;
	mh->msg_control = cbuf;
	mh->msg_controllen = clen;
}

int berth__send_fd(int sock, const void *buf, size_t len, int fd)
{
	/* only system calls and memory on the stack: fine in a cloned child */
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov;
	struct msghdr mh;
	fd_msg(&mh, &iov, (void *)buf, len, cbuf, sizeof cbuf);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof fd);
	ssize_t r;
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -1 : 0;
}

ssize_t berth__recv_fd(int sock, void *buf, size_t len, int *out_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr mh;
	fd_msg(&mh, &iov, buf, len, cbuf, sizeof cbuf);
	ssize_t r;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	*out_fd = -1;
	struct cmsghdr *cm = r > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
		memcpy(out_fd, CMSG_DATA(cm), sizeof(int));
	return r;
}
