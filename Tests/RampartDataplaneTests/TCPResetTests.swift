import RampartDataplane
import RampartWire
import Testing

@Suite("TCP resets")
struct TCPResetTests {
    func reset(_ target: TCPReset.Target, of frame: [UInt8]) -> [UInt8] {
        let packet = Fixtures.decode(frame)
        var buffer = [UInt8](repeating: 0, count: 128)
        let n = frame.withUnsafeBytes { f in
            buffer.withUnsafeMutableBytes { TCPReset.write(target, of: packet, frame: f, into: $0, at: 0) }
        }
        return Array(buffer[0 ..< n])
    }

    func checksumsValid(_ frame: [UInt8]) -> Bool {
        let p = Fixtures.decode(frame)
        return frame.withUnsafeBytes { b in
            let segment = UnsafeRawBufferPointer(rebasing: b[p.transportOffset ..< (p.networkOffset + p.networkLength)])
            let transport = Checksum.transportIsValid(segment, protocol: .tcp, source: p.source, destination: p.destination)
            let header = p.ipVersion == 6 || Checksum.ipv4HeaderIsValid(b, at: p.networkOffset, headerLength: 20)
            return transport && header
        }
    }

    /// The kernel's own answer to a SYN on a closed port (rst.pcap) is what we build.
    @Test(arguments: [4, 6])
    func resetToASYNMatchesTheKernels(_ version: Int) throws {
        let frames = try Fixtures.frames("rst.pcap")
        let syn = try #require(frames.first { let p = Fixtures.decode($0); return p.ipVersion == version && p.tcpFlags == .syn })
        let kernel = Fixtures.decode(try #require(frames.first {
            let p = Fixtures.decode($0); return p.ipVersion == version && p.tcpFlags.contains(.rst)
        }))
        let ours = reset(.towardSender, of: syn)
        #expect(ours.count == (version == 4 ? 54 : 74))
        let p = Fixtures.decode(ours)
        #expect(p.source == kernel.source && p.destination == kernel.destination)
        #expect(p.sourcePort == kernel.sourcePort && p.destinationPort == kernel.destinationPort)
        #expect(p.tcpFlags == kernel.tcpFlags)
        #expect(p.tcpSequence == kernel.tcpSequence && p.tcpAcknowledgment == kernel.tcpAcknowledgment)
        #expect(checksumsValid(ours))
        // Ethernet addresses swapped, as a forwarded frame.
        #expect(Array(ours[0 ..< 6]) == Array(syn[6 ..< 12]) && Array(ours[6 ..< 12]) == Array(syn[0 ..< 6]))
    }

    @Test func resetsAroundADataPacket() throws {
        let frames = try Fixtures.frames("http.pcap")
        let data = try #require(frames.first { let p = Fixtures.decode($0); return p.payloadLength > 0 && p.tcpFlags.contains(.ack) })
        let packet = Fixtures.decode(data)

        let back = Fixtures.decode(reset(.towardSender, of: data))
        #expect(back.tcpFlags == .rst)
        #expect(back.source == packet.destination && back.sourcePort == packet.destinationPort)
        #expect(back.tcpSequence == packet.tcpAcknowledgment)

        let forward = reset(.towardReceiver, of: data)
        let on = Fixtures.decode(forward)
        #expect(on.tcpFlags == [.rst, .ack])
        #expect(on.source == packet.source && on.destinationPort == packet.destinationPort)
        #expect(on.tcpSequence == packet.tcpSequence && on.tcpAcknowledgment == packet.tcpAcknowledgment)
        #expect(checksumsValid(forward) && checksumsValid(reset(.towardSender, of: data)))
    }

    @Test func nonTCPAndSmallBuffersWriteNothing() throws {
        let udp = try #require(try Fixtures.frames("udp.pcap").first { Fixtures.decode($0).ipProtocol == .udp })
        #expect(reset(.towardSender, of: udp).isEmpty)
        let syn = try #require(try Fixtures.frames("rst.pcap").first { Fixtures.decode($0).tcpFlags == .syn })
        var small = [UInt8](repeating: 0, count: 40)
        let n = syn.withUnsafeBytes { f in small.withUnsafeMutableBytes { TCPReset.write(.towardSender, of: Fixtures.decode(syn), frame: f, into: $0, at: 0) } }
        #expect(n == 0)
    }

    @Test func senderSideIsInferred() {
        var p = DecodedPacket()
        p.ipProtocol = .tcp
        p.tcpFlags = .syn
        #expect(TCPReset.senderIsClient(p))
        p.tcpFlags = [.syn, .ack]
        #expect(!TCPReset.senderIsClient(p))
        p.tcpFlags = .ack
        p.sourcePort = 45000
        p.destinationPort = 80
        #expect(TCPReset.senderIsClient(p))
    }
}
