// The Linux calls and structures Swift's Glibc module hides: it is built without
// _GNU_SOURCE, so recvmmsg, sendmmsg, accept4, signalfd and setns, and struct mmsghdr,
// are not imported. They are declared here under names of our own and defined in
// clinux.c, which is compiled with _GNU_SOURCE and checks at compile time that every
// layout declared here (and every constant the Swift code assumes) is the C library's.
#ifndef RAMPART_CLINUX_H
#define RAMPART_CLINUX_H
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/// struct mmsghdr, laid out as <sys/socket.h> does under _GNU_SOURCE.
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} clinux_mmsghdr;

int clinux_recvmmsg(int fd, clinux_mmsghdr *vector, unsigned int count, int flags);
int clinux_sendmmsg(int fd, clinux_mmsghdr *vector, unsigned int count, int flags);
/// accept4 with SOCK_CLOEXEC: the descriptor is never inherited by a child.
int clinux_accept_cloexec(int fd, struct sockaddr *address, socklen_t *length);
/// A new non-blocking, close-on-exec signalfd for `mask`.
int clinux_signalfd(const sigset_t *mask);
/// The signal number of the next pending signal on a signalfd, 0 when none is pending,
/// -1 on an error (errno set).
int clinux_signalfd_next(int fd);
/// setns(fd, CLONE_NEWNET).
int clinux_setns_net(int fd);
/// 1 when `fd` is a namespace file of a network namespace (ioctl NS_GET_NSTYPE), else 0.
int clinux_is_network_namespace(int fd);
#endif
