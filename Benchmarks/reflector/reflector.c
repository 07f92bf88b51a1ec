/* Minimal VXLAN reflector: the baseline for scripts/bench-firewall.sh.
 *
 * Binds UDP 6080, reads batches of 32 datagrams with recvmmsg (the firewall's batch size),
 * swaps the inner Ethernet MACs of each VXLAN datagram and sends the batch back with
 * sendmmsg to the sender's address at port 6080 (the firewall's returnPort: a kernel VXLAN
 * device sends from a flow-hashed source port but listens on its dstport). Nothing else:
 * no inspection, no checksum completion, no segmentation. Same socket buffers (8 MB) and
 * the same poll + recvmmsg(MSG_DONTWAIT) loop as the firewall's TunnelEndpoint.
 *
 *   gcc -O2 -o /tmp/reflector reflector.c && ./reflector [port]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BATCH 32
#define SLOT (65536 + 64)
#define RETURN_PORT 6080

static volatile sig_atomic_t stopping = 0;
static void on_signal(int sig) { (void)sig; stopping = 1; }

int main(int argc, char **argv) {
    int port = argc > 1 ? atoi(argv[1]) : 6080;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) { perror("socket"); return 1; }
    int size = 8 << 20, one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    struct sockaddr_in bind_addr = { .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = INADDR_ANY };
    if (bind(fd, (struct sockaddr *)&bind_addr, sizeof bind_addr) != 0) { perror("bind"); return 1; }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    static unsigned char slots[BATCH][SLOT];
    static struct sockaddr_in from[BATCH];
    static struct iovec rx_iov[BATCH], tx_iov[BATCH];
    static struct mmsghdr rx[BATCH], tx[BATCH];
    unsigned long long received = 0, sent = 0, dropped = 0;

    struct pollfd pfd = { .fd = fd, .events = POLLIN };
    while (!stopping) {
        if (poll(&pfd, 1, 250) <= 0) continue;
        for (int wake = 0; wake < 16; wake++) {
            for (int i = 0; i < BATCH; i++) {
                rx_iov[i].iov_base = slots[i];
                rx_iov[i].iov_len = SLOT;
                rx[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i],
                                                 .msg_iov = &rx_iov[i], .msg_iovlen = 1 };
            }
            int n = recvmmsg(fd, rx, BATCH, MSG_DONTWAIT, NULL);
            if (n <= 0) break;
            received += n;
            int out = 0;
            for (int i = 0; i < n; i++) {
                unsigned char *p = slots[i];
                unsigned len = rx[i].msg_len;
                /* VXLAN header (8) + inner Ethernet (14), I flag set. */
                if (len < 8 + 14 || !(p[0] & 0x08)) { dropped++; continue; }
                unsigned char mac[6];
                memcpy(mac, p + 8, 6);
                memcpy(p + 8, p + 14, 6);
                memcpy(p + 14, mac, 6);
                from[i].sin_port = htons(RETURN_PORT);
                tx_iov[out].iov_base = p;
                tx_iov[out].iov_len = len;
                tx[out].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof from[i],
                                                   .msg_iov = &tx_iov[out], .msg_iovlen = 1 };
                out++;
            }
            int start = 0;
            while (start < out) {
                int s = sendmmsg(fd, tx + start, out - start, MSG_DONTWAIT);
                if (s <= 0) { dropped += out - start; break; }  /* never block, like the firewall */
                sent += s;
                start += s;
            }
            if (n < BATCH) break;
        }
    }
    fprintf(stderr, "reflector: received %llu sent %llu dropped %llu\n", received, sent, dropped);
    return 0;
}
