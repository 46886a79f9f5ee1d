/* SPDX-License-Identifier: LGPL-2.1-or-later
 * A static UDP echo server for the network tests' containers (busybox's nc
 * has no UDP): udp_echo PORT. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])) };
	if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof a) < 0) {
		perror("udp_echo: bind");
		return 1;
	}
	for (;;) {
		char buf[2048];
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n > 0)
			sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, fl);
	}
}
