#if canImport(Glibc)
import Glibc
#endif

/// Symmetric flow affinity for several workers: a classic BPF program attached to the
/// SO_REUSEPORT group of the workers' tunnel sockets picks each datagram's socket from its
/// inner IP addresses (source XOR destination, folded, modulo the worker count), so both
/// directions of a session, and every fragment of a datagram, reach the same worker and its
/// session table. The kernel runs it per datagram; the workers share nothing.
///
/// The program sees the UDP payload: it finds the inner Ethernet frame after a VXLAN header
/// (8 bytes) or a Geneve header (8 bytes + options), then reads the IPv4 or IPv6 addresses.
/// Anything it cannot read (garbage, VLAN tags, non-IP) goes to worker 0.
///
/// ```swift
/// let sockets = try (0 ..< 2).map { _ in try TunnelSocket(bind: listen, reusePort: true) }
/// try ReuseportSteering.attach(to: sockets[0], workers: 2)
/// ```
public enum ReuseportSteering {
    /// One classic BPF instruction (`struct sock_filter`).
    public struct Instruction: Equatable, Sendable {
        public var code: UInt16
        public var jt: UInt8
        public var jf: UInt8
        public var k: UInt32

        public init(code: UInt16, jt: UInt8, jf: UInt8, k: UInt32) {
            self.code = code
            self.jt = jt
            self.jf = jf
            self.k = k
        }
    }

    enum Op {
        case plain(UInt16, UInt32)
        case jumpIf(UInt16, UInt32, whenTrue: String?, whenFalse: String?)  // nil: next instruction
        case always(String)
        case label(String)
    }

    /// The program for `workers` sockets.
    public static func program(workers: Int) -> [Instruction] {
        let ldAbsH: UInt16 = 0x28, ldAbsB: UInt16 = 0x30, ldIndH: UInt16 = 0x48, ldIndW: UInt16 = 0x40
        let ldImm: UInt16 = 0x00, ldMem: UInt16 = 0x60, ldxMem: UInt16 = 0x61, st: UInt16 = 0x02, stx: UInt16 = 0x03
        let andK: UInt16 = 0x54, lshK: UInt16 = 0x64, rshK: UInt16 = 0x74, addK: UInt16 = 0x04, xorX: UInt16 = 0xAC
        let modK: UInt16 = 0x94, tax: UInt16 = 0x07, jeqK: UInt16 = 0x15, retA: UInt16 = 0x16, retK: UInt16 = 0x06
        var ops: [Op] = [
            .plain(ldAbsH, 2),                                            // Geneve's protocol type?
            .jumpIf(jeqK, 0x6558, whenTrue: nil, whenFalse: "vxlan"),
            .plain(ldAbsB, 0), .plain(andK, 0x3F), .plain(lshK, 2),       // options length
            .always("offset"),
            .label("vxlan"), .plain(ldImm, 0),
            .label("offset"), .plain(addK, 8), .plain(tax, 0), .plain(stx, 15),
            .plain(ldIndH, 12),                                           // inner EtherType
            .jumpIf(jeqK, 0x0800, whenTrue: nil, whenFalse: "notIPv4"),
            .plain(ldIndW, 14 + 12), .plain(st, 0), .plain(ldIndW, 14 + 16), .plain(ldxMem, 0), .plain(xorX, 0),
            .always("hash"),
            .label("notIPv4"),
            .jumpIf(jeqK, 0x86DD, whenTrue: nil, whenFalse: "zero"),
            .plain(ldIndW, 14 + 8), .plain(st, 0),
        ]
        for word in stride(from: 14 + 12, through: 14 + 36, by: 4) {
            ops += [.plain(ldxMem, 15), .plain(ldIndW, UInt32(word)), .plain(ldxMem, 0), .plain(xorX, 0), .plain(st, 0)]
        }
        ops += [
            .plain(ldMem, 0),
            .label("hash"),
            .plain(st, 1), .plain(rshK, 16), .plain(ldxMem, 1), .plain(xorX, 0),
            .plain(modK, UInt32(max(workers, 1))), .plain(retA, 0),
            .label("zero"), .plain(retK, 0),
        ]
        var labels: [String: Int] = [:]
        var index = 0
        for op in ops {
            if case .label(let name) = op { labels[name] = index } else { index += 1 }
        }
        var program: [Instruction] = []
        for op in ops {
            let here = program.count
            func offset(_ label: String?) -> UInt8 { label.map { UInt8(labels[$0]! - here - 1) } ?? 0 }
            switch op {
            case .plain(let code, let k): program.append(Instruction(code: code, jt: 0, jf: 0, k: k))
            case .jumpIf(let code, let k, let t, let f): program.append(Instruction(code: code, jt: offset(t), jf: offset(f), k: k))
            case .always(let label): program.append(Instruction(code: 0x05, jt: 0, jf: 0, k: UInt32(offset(label))))
            case .label: break
            }
        }
        return program
    }

    /// Attaches the program to the reuseport group of `socket` (SO_ATTACH_REUSEPORT_CBPF).
    public static func attach(to socket: TunnelSocket, workers: Int) throws {
        var program = program(workers: workers)
        let result = program.withUnsafeMutableBytes { instructions -> Int32 in
            // struct sock_fprog { unsigned short len; struct sock_filter *filter; }
            var fprog = (UInt64(instructions.count / 8), UInt64(UInt(bitPattern: instructions.baseAddress)))
            // 51: SO_ATTACH_REUSEPORT_CBPF (asm-generic/socket.h).
            return setsockopt(socket.descriptor, SOL_SOCKET, 51, &fprog, socklen_t(16))
        }
        guard result == 0 else { throw SystemError("setsockopt(SO_ATTACH_REUSEPORT_CBPF)") }
    }
}
