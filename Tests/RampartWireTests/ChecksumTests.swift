import Testing
@testable import RampartWire
import RampartTestSupport

@Suite struct ChecksumTests {
    @Test func rfc1071Example() {
        let bytes: [UInt8] = [0x00, 0x01, 0xF2, 0x03, 0xF4, 0xF5, 0xF6, 0xF7]
        bytes.withUnsafeBytes {
            #expect(Checksum.sum($0) == 0xDDF2)
            #expect(Checksum.internet($0) == 0x220D)
        }
    }

    @Test func fastSumEqualsTheReferenceAtEveryLength() {
        var random = SeededRandom(seed: 7)
        for length in 0...200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            let fast = bytes.withUnsafeBytes { Checksum.internet($0) }
            #expect(fast == Frames.referenceChecksum(bytes), "length \(length)")
        }
        // All ones: the sum must not overflow into a wrong fold.
        let ones = [UInt8](repeating: 0xFF, count: 65536)
        #expect(ones.withUnsafeBytes { Checksum.sum($0) } == 0xFFFF)
        let odd = [UInt8](repeating: 0xFF, count: 65535)
        #expect(odd.withUnsafeBytes { Checksum.internet($0) } == Frames.referenceChecksum(odd))
    }

    @Test func knownIPv4Header() {
        // A widely quoted example header whose checksum field is b861.
        let header: [UInt8] = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xB8, 0x61,
                               0xC0, 0xA8, 0x00, 0x01, 0xC0, 0xA8, 0x00, 0xC7]
        header.withUnsafeBytes {
            #expect(Checksum.ipv4HeaderIsValid($0, at: 0, headerLength: 20))
            #expect(Checksum.ipv4Header($0, at: 0, headerLength: 20) == 0xB861)
        }
        var broken = header
        broken[8] = 0x3F
        #expect(!broken.withUnsafeBytes { Checksum.ipv4HeaderIsValid($0, at: 0, headerLength: 20) })
        broken.withUnsafeMutableBytes { _ = Checksum.fillIPv4Header($0, at: 0, headerLength: 20) }
        #expect(broken.withUnsafeBytes { Checksum.ipv4HeaderIsValid($0, at: 0, headerLength: 20) })
    }

    /// The frame builder computes the TCP checksum byte by byte over pseudo-header and
    /// segment; `Checksum` computes it with 64-bit words and a numeric pseudo-header.
    @Test(arguments: [("ipv4", Frames.tcpIPv4(payload: Array("GET / HTTP/1.1\r\n\r\n".utf8), flags: 0x18), 34),
                      ("ipv6", Frames.tcpIPv6(payload: Array("odd".utf8)), 54)])
    func tcpChecksumTwoWays(_ name: String, _ frame: [UInt8], _ transport: Int) {
        let (source, destination): (IPAddress, IPAddress) = name == "ipv4"
            ? (IPAddress("10.0.0.1")!, IPAddress("10.0.0.2")!) : (IPAddress("fd00::1")!, IPAddress("fd00::2")!)
        let stored = UInt16(frame[transport + 16]) << 8 | UInt16(frame[transport + 17])
        frame.withUnsafeBytes { bytes in
            let segment = UnsafeRawBufferPointer(rebasing: bytes[transport...])
            #expect(Checksum.transport(segment, protocol: .tcp, source: source, destination: destination) == stored)
            #expect(Checksum.transportIsValid(segment, protocol: .tcp, source: source, destination: destination))
        }
    }

    @Test func fillFinishesAnUnfinishedChecksum() {
        // Offload leaves the pseudo-header sum (or anything) in the field; fill replaces it.
        for (frame, transport, source, destination, proto) in [
            (Frames.tcpIPv4(payload: [1, 2, 3]), 34, IPAddress("10.0.0.1")!, IPAddress("10.0.0.2")!, IPProtocol.tcp),
            (Frames.udpIPv6(), 54, IPAddress("fd00::1")!, IPAddress("fd00::2")!, IPProtocol.udp),
            (Frames.icmpv6Echo(), 54, IPAddress("fd00::1")!, IPAddress("fd00::2")!, IPProtocol.icmpv6),
            (Frames.icmpv4Echo(), 34, IPAddress("10.0.0.1")!, IPAddress("10.0.0.2")!, IPProtocol.icmp),
        ] {
            let field = transport + Checksum.fieldOffset(for: proto)!
            var unfinished = frame
            unfinished[field] = 0x12
            unfinished[field + 1] = 0x34
            #expect(decodeFrame(unfinished, verify: true).packet.warning != nil)
            let written = unfinished.withUnsafeMutableBytes {
                Checksum.fill($0, segmentAt: transport, length: frame.count - transport,
                              protocol: proto, source: source, destination: destination)
            }
            #expect(written)
            #expect(unfinished == frame)
        }
        var tiny: [UInt8] = [1, 2, 3]
        #expect(!tiny.withUnsafeMutableBytes {
            Checksum.fill($0, segmentAt: 0, length: 3, protocol: .tcp, source: .zero, destination: .zero)
        })
    }

    @Test func incrementalUpdateEqualsRecomputation() {
        var random = SeededRandom(seed: 1624)
        var frame = Frames.tcpIPv4(payload: [UInt8](repeating: 0x5A, count: 33))
        for round in 0..<500 {
            let checksum = UInt16(frame[50]) << 8 | UInt16(frame[51])
            let updated: UInt16
            if round % 2 == 0 {
                // Rewrite the destination port (16-bit field at transport + 2).
                let old = UInt16(frame[36]) << 8 | UInt16(frame[37])
                let new = UInt16.random(in: 0...0xFFFF, using: &random)
                frame[36] = UInt8(new >> 8)
                frame[37] = UInt8(new & 0xFF)
                updated = Checksum.update(checksum, oldValue: old, newValue: new)
            } else {
                // Rewrite the sequence number (32-bit field at transport + 4).
                let old = frame[38..<42].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                let new = round == 1 ? old : UInt32.random(in: 0...UInt32.max, using: &random)
                for i in 0..<4 { frame[38 + i] = UInt8(truncatingIfNeeded: new >> (24 - 8 * i)) }
                updated = Checksum.update(checksum, oldValue: old, newValue: new)
            }
            let recomputed = frame.withUnsafeBytes {
                Checksum.transport(UnsafeRawBufferPointer(rebasing: $0[34...]), protocol: .tcp,
                                   source: IPAddress("10.0.0.1")!, destination: IPAddress("10.0.0.2")!)
            }
            #expect(updated == recomputed, "round \(round)")
            frame[50] = UInt8(updated >> 8)
            frame[51] = UInt8(updated & 0xFF)
        }
        #expect(decodeFrame(frame, verify: true).packet.warning == nil)
    }

    @Test func addressRewriteUpdatesBothChecksums() {
        // NAT-style: rewrite the IPv4 source, fix the header and the TCP checksum incrementally.
        var frame = Frames.tcpIPv4(payload: [9, 9, 9])
        let old: UInt32 = 0x0A00_0001
        let new: UInt32 = 0xC0A8_6401
        for i in 0..<4 { frame[26 + i] = UInt8(truncatingIfNeeded: new >> (24 - 8 * i)) }
        for field in [24, 50] {
            let value = UInt16(frame[field]) << 8 | UInt16(frame[field + 1])
            let updated = Checksum.update(value, oldValue: old, newValue: new)
            frame[field] = UInt8(updated >> 8)
            frame[field + 1] = UInt8(updated & 0xFF)
        }
        let (event, p) = decodeFrame(frame, verify: true)
        #expect(event == nil)
        #expect(p.warning == nil)
        #expect(p.source == IPAddress("192.168.100.1"))
    }
}
