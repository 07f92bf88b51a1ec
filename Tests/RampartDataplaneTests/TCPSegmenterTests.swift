import RampartDataplane
import RampartWire
import Testing

@Suite("TCP segmentation")
struct TCPSegmenterTests {
    /// A captured data packet grown to a TSO-sized one: 5,000 payload bytes, PSH and FIN set.
    func superPacket() throws -> [UInt8] {
        let frames = try Fixtures.frames("http.pcap")
        let data = try #require(frames.first { let p = Fixtures.decode($0); return p.ipVersion == 4 && p.payloadLength > 0 })
        let p = Fixtures.decode(data)
        var frame = Array(data[0 ..< p.payloadOffset]) + (0 ..< 5000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let total = frame.count - p.networkOffset
        frame[p.networkOffset + 2] = UInt8(total >> 8)
        frame[p.networkOffset + 3] = UInt8(total & 0xFF)
        frame[p.transportOffset + 13] |= TCPFlags.fin.rawValue | TCPFlags.psh.rawValue
        return frame
    }

    @Test func cutsToTheMTUWithCompleteHeaders() throws {
        let frame = try superPacket()
        let packet = Fixtures.decode(frame)
        #expect(TCPSegmenter.needsSegmenting(packet, mtu: 1500))
        let prefix: [UInt8] = [0x08, 0, 0, 0, 0, 0, 7, 0]
        var arena = [UInt8](repeating: 0, count: 16_384)
        var pieces: [(Int, Int)] = []
        let end = frame.withUnsafeBytes { f in
            prefix.withUnsafeBytes { pre in
                arena.withUnsafeMutableBytes { a in
                    TCPSegmenter.segment(f, packet: packet, mtu: 1500, prefix: pre, into: a, at: 0) { pieces.append(($0, $1)) }
                }
            }
        }
        #expect(end != nil)
        let mss = 1500 - (packet.payloadOffset - packet.networkOffset)
        #expect(pieces.count == (5000 + mss - 1) / mss)
        var payload: [UInt8] = []
        for (i, (start, length)) in pieces.enumerated() {
            #expect(Array(arena[start ..< start + 8]) == prefix)
            let segment = Array(arena[(start + 8) ..< (start + length)])
            let s = Fixtures.decode(segment)
            #expect(s.networkLength <= 1500)
            #expect(s.tcpSequence == packet.tcpSequence &+ UInt32(payload.count))
            let last = i == pieces.count - 1
            #expect(s.tcpFlags.contains(.fin) == last && s.tcpFlags.contains(.psh) == last && s.tcpFlags.contains(.ack))
            segment.withUnsafeBytes { b in
                #expect(Checksum.ipv4HeaderIsValid(b, at: s.networkOffset, headerLength: 20))
                let tcp = UnsafeRawBufferPointer(rebasing: b[s.transportOffset ..< (s.networkOffset + s.networkLength)])
                #expect(Checksum.transportIsValid(tcp, protocol: .tcp, source: s.source, destination: s.destination))
            }
            payload += segment[s.payloadOffset ..< (s.payloadOffset + s.payloadLength)]
        }
        #expect(payload == Array(frame[packet.payloadOffset...]))
    }

    @Test func smallPacketsAndTinyArenasAreLeftAlone() throws {
        let frame = try superPacket()
        let packet = Fixtures.decode(frame)
        #expect(!TCPSegmenter.needsSegmenting(packet, mtu: 9000))
        var arena = [UInt8](repeating: 0, count: 100)
        let end = frame.withUnsafeBytes { f in
            arena.withUnsafeMutableBytes { a in
                TCPSegmenter.segment(f, packet: packet, mtu: 1500, prefix: UnsafeRawBufferPointer(start: f.baseAddress, count: 0), into: a, at: 0) { _, _ in }
            }
        }
        #expect(end == nil)
    }
}
