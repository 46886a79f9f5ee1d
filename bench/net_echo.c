/* SPDX-License-Identifier: LGPL-2.1-or-later
 * A TCP echo server for bench/net_bench.py (built -static into the bench's
 * container rootfs): net_echo PORT. A process per connection, echoing until
 * the peer's end of stream. */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	signal(SIGCHLD, SIG_IGN);
	int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 64) < 0)
		return 1;
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue;
		if (fork() == 0) {
			close(l);
			setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			char buf[65536];
			ssize_t n;
			while ((n = read(c, buf, sizeof buf)) > 0)
				for (ssize_t off = 0; off < n;) {
					ssize_t w = write(c, buf + off, (size_t)(n - off));
					if (w <= 0)
						_exit(1);
					off += w;
				}
			_exit(0);
		}
		close(c);
	}
}
