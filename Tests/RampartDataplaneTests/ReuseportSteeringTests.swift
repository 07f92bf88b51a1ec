import RampartDataplane
import RampartWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Symmetric flow affinity")
struct ReuseportSteeringTests {
    /// A VXLAN datagram carrying an IPv4 TCP SYN-sized frame from `source` to `destination`.
    func datagram(_ source: UInt32, _ destination: UInt32, geneve: Bool = false) -> [UInt8] {
        var frame = [UInt8](repeating: 0, count: 54)
        frame[12] = 0x08
        frame[14] = 0x45
        frame[23] = 6
        for i in 0 ..< 4 {
            frame[26 + i] = UInt8(truncatingIfNeeded: source >> (24 - 8 * i))
            frame[30 + i] = UInt8(truncatingIfNeeded: destination >> (24 - 8 * i))
        }
        return geneve ? Fixtures.geneve(vni: 7, frame, options: [0, 1, 2, 1, 9, 9, 9, 9]) : Fixtures.vxlan(vni: 7, frame)
    }

    func expected(_ a: UInt32, _ b: UInt32, workers: UInt32) -> Int {
        let x = a ^ b
        return Int((x ^ (x >> 16)) % workers)
    }

    func send(_ bytes: [UInt8], from fd: Int32, to port: UInt16) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        _ = bytes.withUnsafeBytes { b in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, b.baseAddress, b.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }

    /// Reads every waiting datagram of each socket; returns which socket got each.
    func drain(_ sockets: [TunnelSocket]) -> [[UInt8]: Int] {
        var seen: [[UInt8]: Int] = [:]
        var buffer = [UInt8](repeating: 0, count: 2048)
        for _ in 0 ..< 50 {
            for (i, s) in sockets.enumerated() {
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(s.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                    if n <= 0 { break }
                    seen[Array(buffer[0 ..< n])] = i
                }
            }
            usleep(2000)
        }
        return seen
    }

    @Test func bothDirectionsReachTheSameWorker() throws {
        let first = try TunnelSocket(bind: SocketAddress(parsing: "127.0.0.1:0")!, reusePort: true)
        let port = first.local.port
        let second = try TunnelSocket(bind: SocketAddress(address: IPAddress(ipv4: 0x7F00_0001), port: port), reusePort: true)
        try ReuseportSteering.attach(to: first, workers: 2)
        let client = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(client) }

        var datagrams: [([UInt8], Int)] = []
        for pair in 0 ..< 8 {
            let a: UInt32 = 0x0AF4_010A &+ UInt32(pair)
            let b: UInt32 = 0x0AF4_0215 &+ UInt32(pair * 2)
            let index = expected(a, b, workers: 2)
            datagrams += [(datagram(a, b), index), (datagram(b, a), index), (datagram(a, b, geneve: true), index)]
        }
        let garbage: [UInt8] = [1, 2, 3]
        for (bytes, _) in datagrams { send(bytes, from: client, to: port) }
        send(garbage, from: client, to: port)
        let seen = drain([first, second])
        for (bytes, index) in datagrams { #expect(seen[bytes] == index) }
        #expect(seen[garbage] == 0)
        #expect(Set(datagrams.map(\.1)).count == 2)  // the pairs chosen use both workers
    }

    @Test func jumpsStayInsideTheProgram() {
        for workers in 1 ... 8 {
            let program = ReuseportSteering.program(workers: workers)
            for (i, instruction) in program.enumerated() where instruction.code & 0x07 == 0x05 {
                let targets = instruction.code == 0x05 ? [Int(instruction.k)] : [Int(instruction.jt), Int(instruction.jf)]
                for t in targets { #expect(i + 1 + t < program.count) }
            }
            #expect(program.last == ReuseportSteering.Instruction(code: 0x06, jt: 0, jf: 0, k: 0))
        }
    }
}
