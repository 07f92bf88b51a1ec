import RampartDataplane
import RampartWire
import Testing

/// The segments that answer a client in its server's place (URL filtering pages).
@Suite("TCP responses in the server's place")
struct TCPResponseTests {
    func checksumsValid(_ frame: [UInt8]) -> Bool {
        let p = Fixtures.decode(frame)
        return frame.withUnsafeBytes { b in
            let segment = UnsafeRawBufferPointer(rebasing: b[p.transportOffset ..< (p.networkOffset + p.networkLength)])
            return Checksum.transportIsValid(segment, protocol: .tcp, source: p.source, destination: p.destination)
                && (p.ipVersion == 6 || Checksum.ipv4HeaderIsValid(b, at: p.networkOffset, headerLength: 20))
        }
    }

    @Test("a page longer than the MTU: consecutive segments from the server, the request acknowledged, FIN on the last")
    func segments() throws {
        let frames = try Fixtures.frames("http.pcap")
        let request = try #require(frames.first { let p = Fixtures.decode($0); return p.payloadLength > 0 && p.tcpFlags.contains(.ack) })
        let packet = Fixtures.decode(request)
        let page = (0 ..< 2500).map { UInt8(0x41 + $0 % 26) }
        var arena = [UInt8](repeating: 0, count: 8192)
        var emitted: [(Int, Int)] = []
        let prefix: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let end = page.withUnsafeBytes { payload in
            prefix.withUnsafeBytes { pre in
                request.withUnsafeBytes { frame in
                    arena.withUnsafeMutableBytes { a in
                        TCPResponse.write(payload, answering: packet, frame: frame, mtu: 1000, prefix: pre, into: a, at: 16) {
                            emitted.append(($0, $1))
                        }
                    }
                }
            }
        }
        #expect(end != nil)
        #expect(emitted.count == 3)   // 960 + 960 + 580 bytes
        var sequence = packet.tcpAcknowledgment
        var body: [UInt8] = []
        for (index, (start, length)) in emitted.enumerated() {
            #expect(Array(arena[start ..< start + 8]) == prefix)
            let frame = Array(arena[start + 8 ..< start + length])
            let p = Fixtures.decode(frame)
            #expect(checksumsValid(frame))
            #expect(p.source == packet.destination && p.destination == packet.source)
            #expect(p.sourcePort == packet.destinationPort && p.destinationPort == packet.sourcePort)
            #expect(p.tcpSequence == sequence)
            #expect(p.tcpAcknowledgment == packet.tcpSequence &+ UInt32(packet.payloadLength))
            #expect(p.tcpFlags == (index == 2 ? [.ack, .psh, .fin] : [.ack]))
            #expect(p.networkLength <= 1000)
            body += frame[p.payloadOffset ..< p.payloadOffset + p.payloadLength]
            sequence &+= UInt32(p.payloadLength)
            #expect(Array(frame[0 ..< 6]) == Array(request[6 ..< 12]))
        }
        #expect(body == page)
        // Given the server's next byte (it sent bytes the client had not acknowledged): the
        // answer starts there.
        var first: UInt32?
        _ = page.withUnsafeBytes { payload in
            prefix.withUnsafeBytes { pre in
                request.withUnsafeBytes { frame in
                    arena.withUnsafeMutableBytes { a in
                        TCPResponse.write(payload, answering: packet, frame: frame, mtu: 1000, prefix: pre, into: a, at: 16,
                                          sequence: packet.tcpAcknowledgment &+ 18) { start, _ in
                            if first == nil { first = Fixtures.decode(Array(a[(start + 8)...])).tcpSequence }
                        }
                    }
                }
            }
        }
        #expect(first == packet.tcpAcknowledgment &+ 18)
        // Too small an arena: nothing emitted.
        var small = [UInt8](repeating: 0, count: 512)
        var none = 0
        let refused = page.withUnsafeBytes { payload in
            request.withUnsafeBytes { frame in
                small.withUnsafeMutableBytes { a in
                    TCPResponse.write(payload, answering: packet, frame: frame, mtu: 1000, prefix: UnsafeRawBufferPointer(start: nil, count: 0),
                                      into: a, at: 0) { _, _ in none += 1 }
                }
            }
        }
        #expect(refused == nil && none == 0)
    }
}
