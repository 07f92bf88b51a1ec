import RampartDataplane
import RampartWire
import Testing

@Suite("Frame rewrites")
struct FrameRewriteTests {
    @Test func swapsMACs() {
        var frame: [UInt8] = [1, 2, 3, 4, 5, 6, 11, 12, 13, 14, 15, 16, 0x08, 0x00, 0x45]
        let ok = frame.withUnsafeMutableBytes { FrameRewrite.swapMACs($0) }
        #expect(ok)
        #expect(Array(frame[0 ..< 12]) == [11, 12, 13, 14, 15, 16, 1, 2, 3, 4, 5, 6])
        #expect(Array(frame[12...]) == [0x08, 0x00, 0x45])
        var short: [UInt8] = [1, 2, 3]
        #expect(!short.withUnsafeMutableBytes { FrameRewrite.swapMACs($0) })
    }

    /// A real captured HTTP request: its TCP checksum replaced by what offload leaves
    /// (the pseudo-header sum only) or by zero is completed back to the original.
    @Test(arguments: ["partial", "zero"])
    func completesUnfinishedTCPChecksum(_ kind: String) throws {
        let frames = try Fixtures.frames("http.pcap")
        let index = try #require(frames.firstIndex { Fixtures.decode($0).ipProtocol == .tcp && Fixtures.decode($0).payloadLength > 0 })
        let original = frames[index]
        let packet = Fixtures.decode(original)
        let field = packet.transportOffset + 16
        var frame = original
        let segmentLength = packet.networkOffset + packet.networkLength - packet.transportOffset
        let partial = Checksum.pseudoHeaderSum(source: packet.source, destination: packet.destination, protocol: .tcp, length: segmentLength)
        let unfinished: UInt16 = kind == "partial" ? partial : 0
        frame[field] = UInt8(unfinished >> 8)
        frame[field + 1] = UInt8(unfinished & 0xFF)
        #expect(frame != original)
        let rewrote = frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: packet) }
        #expect(rewrote)
        #expect(frame == original)
        // A finished checksum is left alone.
        let again = frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: packet) }
        #expect(!again)
    }

    @Test func completesUDPChecksumAndLeavesFragmentsAlone() throws {
        let frames = try Fixtures.frames("udp.pcap")
        let original = try #require(frames.first { let p = Fixtures.decode($0); return p.ipProtocol == .udp && p.ipVersion == 4 })
        let packet = Fixtures.decode(original)
        var frame = original
        frame[packet.transportOffset + 6] ^= 0x5A
        #expect(frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: packet) })
        #expect(frame == original)
        var fragment = packet
        fragment.isFragment = true
        frame[packet.transportOffset + 6] ^= 0x5A
        #expect(!frame.withUnsafeMutableBytes { FrameRewrite.completeChecksum($0, packet: fragment) })
    }
}
