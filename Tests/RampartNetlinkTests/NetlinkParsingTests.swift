import Testing
@testable import RampartNetlink

@Suite struct NetlinkAddressTests {
    @Test func parsesAddressesAndPrefixes() throws {
        #expect(NetlinkAddress("10.0.0.1")?.bytes == [10, 0, 0, 1])
        #expect(NetlinkAddress("fd00::1")?.family == .ipv6)
        #expect(NetlinkAddress("fd00::1")?.description == "fd00::1")
        #expect(NetlinkAddress("::ffff:10.0.0.1")?.bytes.count == 16)
        #expect(NetlinkAddress("10.0.0") == nil)
        #expect(NetlinkAddress("fd00::1%eth0") == nil)
        #expect(NetlinkPrefix("10.1.0.0/16")?.description == "10.1.0.0/16")
        #expect(NetlinkPrefix("10.1.0.0/33") == nil)
        #expect(NetlinkPrefix("fd00::/129") == nil)
        #expect(NetlinkPrefix("fd00:1::/64")?.length == 64)
        #expect(NetlinkPrefix("10.0.0.1")?.length == 32)
        #expect(NetlinkPrefix("10.0.0.1/x") == nil)
        #expect(NetlinkPrefix.defaultRoute(.ipv6).description == "default")
        #expect(MACAddress("02:aa:00:00:00:0f")?.description == "02:aa:00:00:00:0f")
        #expect(MACAddress("02:aa:00:00:00") == nil)
        #expect(MACAddress("02:aa:00:00:00:zz") == nil)
    }
}

@Suite struct NetlinkMessageTests {
    @Test func encodesNestedAttributesWithAlignment() throws {
        var request = NetlinkRequest(type: 16, flags: NLFlag.create)
        request.appendInterfaceInfo()
        let outer = request.beginNested(IFLA.linkinfo)
        request.appendAttribute(IFLA.infoKind, string: "veth")  // 4 + 5 bytes, padded to 12
        request.endNested(outer)
        let bytes = request.finalized(sequence: 7)
        #expect(bytes.count == 16 + 16 + 4 + 12)
        let messages = try NetlinkMessage.parse(bytes, operation: "test")
        #expect(messages.count == 1)
        #expect(messages[0].type == 16)
        #expect(messages[0].sequence == 7)
        #expect(messages[0].flags == NLFlag.create | NLFlag.request)
        let attributes = try NetlinkAttributes(parsing: Array(messages[0].payload[16...]), operation: "test")
        let info = try #require(try attributes.nested(IFLA.linkinfo, operation: "test"))
        #expect(info.string(IFLA.infoKind) == "veth")
    }

    @Test func mapsKernelErrorsWithOperationAndName() throws {
        // NLMSG_ERROR with errno -EEXIST, capped, with an extended-ack message TLV.
        var reply = NetlinkRequest(type: NLMsg.error, flags: 0)
        reply.appendInteger(Int32(-17))
        reply.append([UInt8](repeating: 0, count: 16))
        reply.appendAttribute(1, string: "Route exists")
        var message = try NetlinkMessage.parse(reply.finalized(sequence: 1), operation: "t")[0]
        message.flags = NLFlag.capped | NLFlag.ackTLVs
        let error = #expect(throws: NetlinkError.self) {
            try NetlinkSocket.checkError(message, operation: "adding route 10.1.0.0/16 table 100")
        }
        #expect(error?.isAlreadyExists == true)
        #expect(error?.description == "adding route 10.1.0.0/16 table 100: File exists (EEXIST) — Route exists")
        #expect(NetlinkError.kernel(operation: "deleting link x", errno: 19, message: nil).description
                == "deleting link x: No such device (ENODEV)")
    }

    @Test func rejectsTruncatedAndOversizedLengths() {
        #expect(throws: NetlinkError.self) { try NetlinkMessage.parse([20, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], operation: "t") }
        #expect(throws: NetlinkError.self) { try NetlinkMessage.parse([4, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], operation: "t") }
        #expect(throws: NetlinkError.self) { try NetlinkMessage.parse([1, 2, 3], operation: "t") }
        #expect(throws: NetlinkError.self) { try NetlinkAttributes(parsing: [200, 0, 1, 0, 9], operation: "t") }
        #expect(throws: NetlinkError.self) { try NetlinkAttributes(parsing: [2, 0, 1, 0], operation: "t") }
    }

    /// Random, truncated and bit-flipped replies through every decoder: each must either
    /// decode or throw, never trap.
    @Test func fuzzedRepliesNeverTrap() throws {
        var generator = SplitMix(seed: 0x5EED)
        var seeds: [[UInt8]] = []
        // A well-formed link message to mutate.
        var link = NetlinkRequest(type: RTM.newLink, flags: 0)
        link.appendInterfaceInfo(index: 3, flags: 1)
        link.appendAttribute(IFLA.ifname, string: "eth0")
        link.appendAttribute(IFLA.mtu, u32: 1500)
        link.appendAttribute(IFLA.address, bytes: [2, 0, 0, 0, 0, 1])
        let info = link.beginNested(IFLA.linkinfo)
        link.appendAttribute(IFLA.infoKind, string: "vxlan")
        link.endNested(info)
        seeds.append(link.finalized(sequence: 1))
        for type in [RTM.newAddr, RTM.newRoute, RTM.newRule, RTM.newNeigh, NLMsg.error, NLMsg.done] {
            var message = NetlinkRequest(type: type, flags: NLFlag.ackTLVs)
            message.append([10, 64, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0])
            message.appendAttribute(1, bytes: [UInt8](repeating: 0xFD, count: 16))
            message.appendAttribute(2, bytes: [10, 0, 0, 1])
            seeds.append(message.finalized(sequence: 2))
        }
        var decoded = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 3 == 0 {
                bytes = (0..<Int(generator.next() % 96)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            } else {
                bytes = seeds[Int(generator.next() % UInt64(seeds.count))]
                bytes = Array(bytes.prefix(Int(generator.next() % UInt64(bytes.count + 1))))
                for _ in 0..<Int(generator.next() % 4) where !bytes.isEmpty {
                    bytes[Int(generator.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: generator.next())
                }
            }
            // Also exercise the decoders on payloads whose header was never validated.
            var candidates = (try? NetlinkMessage.parse(bytes, operation: "fuzz")) ?? []
            for type in [RTM.newLink, RTM.newAddr, RTM.newRoute, RTM.newRule, RTM.newNeigh, NLMsg.error] {
                candidates.append(NetlinkMessage(type: type, flags: UInt16(truncatingIfNeeded: generator.next()),
                                                 sequence: 0, portID: 0, payload: bytes))
            }
            for message in candidates {
                if (try? Link.decode(message, operation: "fuzz")) != nil { decoded += 1 }
                _ = try? InterfaceAddress.decode(message, operation: "fuzz")
                _ = try? Route.decode(message, operation: "fuzz")
                _ = try? Rule.decode(message, operation: "fuzz")
                _ = try? Neighbour.decode(message, operation: "fuzz")
                if message.type == NLMsg.error { _ = try? NetlinkSocket.checkError(message, operation: "fuzz") }
            }
        }
        #expect(decoded > 0)
    }
}

/// A tiny deterministic generator so a failing fuzz round can be replayed.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
