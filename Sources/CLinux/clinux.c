#define _GNU_SOURCE
#include "clinux.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

// What the Swift side relies on, checked where the C library's own definitions are visible.
_Static_assert(sizeof(clinux_mmsghdr) == sizeof(struct mmsghdr), "clinux_mmsghdr size");
_Static_assert(offsetof(clinux_mmsghdr, msg_len) == offsetof(struct mmsghdr, msg_len), "msg_len offset");
_Static_assert(sizeof(struct signalfd_siginfo) == 128, "signalfd_siginfo size");
// UDPSegmentation.swift: the option numbers, and the control header it walks by hand
// (size_t cmsg_len; int cmsg_level; int cmsg_type) with a 32-byte slot per message.
_Static_assert(SOL_UDP == 17 && UDP_SEGMENT == 103 && UDP_GRO == 104, "UDP offload constants");
_Static_assert(CMSG_LEN(0) == sizeof(size_t) + 2 * sizeof(int), "cmsghdr layout");
_Static_assert(CMSG_SPACE(sizeof(int)) <= 32 && CMSG_SPACE(sizeof(uint16_t)) <= 32, "control slot");
_Static_assert(SFD_NONBLOCK == O_NONBLOCK && SFD_CLOEXEC == O_CLOEXEC, "signalfd flags");

int clinux_recvmmsg(int fd, clinux_mmsghdr *vector, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)vector, count, flags, NULL);
}

int clinux_sendmmsg(int fd, clinux_mmsghdr *vector, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)vector, count, flags);
}

int clinux_accept_cloexec(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_CLOEXEC);
}

int clinux_signalfd(const sigset_t *mask) {
    return signalfd(-1, mask, SFD_NONBLOCK | SFD_CLOEXEC);
}

int clinux_signalfd_next(int fd) {
    struct signalfd_siginfo info;
    ssize_t n = read(fd, &info, sizeof info);
    if (n == (ssize_t)sizeof info) return (int)info.ssi_signo;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0;
    if (n >= 0) errno = EIO;
    return -1;
}

int clinux_setns_net(int fd) {
    return setns(fd, CLONE_NEWNET);
}

int clinux_is_network_namespace(int fd) {
    return ioctl(fd, NS_GET_NSTYPE) == CLONE_NEWNET;
}
