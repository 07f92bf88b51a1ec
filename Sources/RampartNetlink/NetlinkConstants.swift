// Numeric values from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>,
// <linux/fib_rules.h> and <linux/neighbour.h>. Glibc's module map does not export these
// kernel headers, and they are ABI, so they are spelled out here once.

enum NLMsg {
    static let noop: UInt16 = 1
    static let error: UInt16 = 2
    static let done: UInt16 = 3
    static let overrun: UInt16 = 4
}

enum NLFlag {
    static let request: UInt16 = 0x01
    static let multi: UInt16 = 0x02
    static let ack: UInt16 = 0x04
    static let dumpInterrupted: UInt16 = 0x10
    static let dump: UInt16 = 0x300
    static let replace: UInt16 = 0x100
    static let excl: UInt16 = 0x200
    static let create: UInt16 = 0x400
    static let append: UInt16 = 0x800
    // Flags on an NLMSG_ERROR reply.
    static let capped: UInt16 = 0x100
    static let ackTLVs: UInt16 = 0x200
}

enum RTM {
    static let newLink: UInt16 = 16, delLink: UInt16 = 17, getLink: UInt16 = 18
    static let newAddr: UInt16 = 20, delAddr: UInt16 = 21, getAddr: UInt16 = 22
    static let newRoute: UInt16 = 24, delRoute: UInt16 = 25, getRoute: UInt16 = 26
    static let newNeigh: UInt16 = 28, delNeigh: UInt16 = 29, getNeigh: UInt16 = 30
    static let newRule: UInt16 = 32, delRule: UInt16 = 33, getRule: UInt16 = 34
}

enum SocketOption {
    static let solNetlink: Int32 = 270
    static let capAck: Int32 = 10
    static let extAck: Int32 = 11
    static let netlinkRoute: Int32 = 0
}

enum IFLA {
    static let address: UInt16 = 1, ifname: UInt16 = 3, mtu: UInt16 = 4, link: UInt16 = 5
    static let master: UInt16 = 10, linkinfo: UInt16 = 18, netNsFD: UInt16 = 28
    static let linkNetnsID: UInt16 = 37
    static let infoKind: UInt16 = 1, infoData: UInt16 = 2
    static let vethInfoPeer: UInt16 = 1
}

enum VXLANAttribute {
    static let id: UInt16 = 1, group: UInt16 = 2, link: UInt16 = 3, local: UInt16 = 4
    static let ttl: UInt16 = 5, learning: UInt16 = 7, port: UInt16 = 15
    static let group6: UInt16 = 16, local6: UInt16 = 17
}

enum IFA {
    static let address: UInt16 = 1, local: UInt16 = 2, flags: UInt16 = 8
    static let nodad: UInt32 = 0x02
}

enum RTA {
    static let dst: UInt16 = 1, src: UInt16 = 2, oif: UInt16 = 4, gateway: UInt16 = 5
    static let priority: UInt16 = 6, prefsrc: UInt16 = 7, table: UInt16 = 15
    static let onlinkFlag: UInt32 = 4
}

enum FRA {
    static let dst: UInt16 = 1, src: UInt16 = 2, iifname: UInt16 = 3, priority: UInt16 = 6
    static let fwmark: UInt16 = 10, table: UInt16 = 15, fwmask: UInt16 = 16, oifname: UInt16 = 17
}

enum NDA {
    static let dst: UInt16 = 1, lladdr: UInt16 = 2
    static let permanent: UInt16 = 0x80, noarp: UInt16 = 0x40
    static let flagSelf: UInt8 = 0x02
}

enum AddressFamilyValue {
    static let unspec: UInt8 = 0
    static let inet: UInt8 = 2
    static let bridge: UInt8 = 7
    static let inet6: UInt8 = 10
}
