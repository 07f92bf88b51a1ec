import RampartDataplane
import RampartWire
import Testing

@Suite("Tunnel datagrams")
struct TunnelDatagramTests {
    let frame: [UInt8] = [UInt8](repeating: 0xAB, count: 60)

    func parse(_ bytes: [UInt8]) -> Result<TunnelDatagram, DropReason> {
        bytes.withUnsafeBytes { TunnelDatagram.parse($0) }
    }

    @Test func vxlanParsesVNIAndInnerOffset() throws {
        let d = try parse(Fixtures.vxlan(vni: 0x0A0B0C, frame)).get()
        #expect(d == TunnelDatagram(kind: .vxlan, vni: 0x0A0B0C, innerOffset: 8))
    }

    @Test func vxlanRebuildRoundTrips() throws {
        var bytes = Fixtures.vxlan(vni: 7, frame, flags: 0x88)  // a GBP bit set on receipt
        bytes.withUnsafeMutableBytes { _ = TunnelDatagram.writeVXLAN(vni: 2048, into: $0, at: 0) }
        #expect(Array(bytes[0 ..< 8]) == [0x08, 0, 0, 0, 0, 0x08, 0x00, 0])
        #expect(try parse(bytes).get() == TunnelDatagram(kind: .vxlan, vni: 2048, innerOffset: 8))
        #expect(Array(bytes[8...]) == frame)
    }

    @Test func geneveWithOptionsParses() throws {
        let option: [UInt8] = [0x01, 0x02, 0x03, 0x01, 0xDE, 0xAD, 0xBE, 0xEF]  // class, type, length 1 word, data
        let d = try parse(Fixtures.geneve(vni: 42, frame, options: option)).get()
        #expect(d == TunnelDatagram(kind: .geneve, vni: 42, innerOffset: 16))
    }

    @Test func geneveRebuildRoundTrips() throws {
        var header = [UInt8](repeating: 0xFF, count: 8)
        header.withUnsafeMutableBytes { _ = TunnelDatagram.writeGeneve(vni: 99, into: $0, at: 0) }
        #expect(try parse(header + frame).get() == TunnelDatagram(kind: .geneve, vni: 99, innerOffset: 8))
        #expect(header == Fixtures.geneve(vni: 99, []))
    }

    @Test func geneveControlPacketsAreRefused() {
        #expect(parse(Fixtures.geneve(vni: 1, frame, control: true)) == .failure(.tunnelControl))
    }

    @Test func garbageIsNamedNeverTraps() {
        #expect(parse([]) == .failure(.truncatedTunnel))
        #expect(parse([0x08, 0, 0]) == .failure(.truncatedTunnel))
        #expect(parse(Fixtures.vxlan(vni: 7, [1, 2, 3])) == .failure(.truncatedTunnel))   // no room for Ethernet
        #expect(parse([0x00, 0, 0, 0, 0, 0, 7, 0] + frame) == .failure(.badTunnelHeader))  // VXLAN without I flag
        // An option whose length runs past the option area.
        #expect(parse(Fixtures.geneve(vni: 1, frame, options: [0, 1, 2, 5])) == .failure(.badTunnelHeader))
        // Options claiming more room than the datagram has.
        #expect(parse([0x3F, 0, 0x65, 0x58, 0, 0, 1, 0, 1, 2]) == .failure(.truncatedTunnel))
        var generator = SystemRandomNumberGenerator()
        for length in 0 ..< 200 {
            let bytes = (0 ..< length).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            _ = parse(bytes)
        }
    }
}
