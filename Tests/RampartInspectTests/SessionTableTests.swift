import Testing
import RampartWire
@testable import RampartInspect

private func ip(_ text: String) -> IPAddress { IPAddress(text)! }

private func packet(
    _ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16,
    protocol ipProtocol: IPProtocol = .udp
) -> DecodedPacket {
    var p = DecodedPacket()
    p.ipVersion = ip(source).isIPv4 ? 4 : 6
    p.source = ip(source)
    p.destination = ip(destination)
    p.sourcePort = sourcePort
    p.destinationPort = destinationPort
    p.ipProtocol = ipProtocol
    p.networkLength = 100
    return p
}

private func at(_ seconds: Int64) -> Timestamp { Timestamp(seconds: 1_700_000_000 + seconds, nanoseconds: 0) }

@Suite("Flow keys and the session table")
struct SessionTableTests {
    /// The table leaves its slots untouched until traffic fills them, which needs a Session
    /// of plain data (no references): a field that breaks this makes every start-up touch
    /// the whole table again (50 MB and ~0.05 s for a default `rampart inspect`).
    @Test func sessionsArePlainDataSoTheTableStartsUntouched() {
        #expect(_isPOD(Session.self))
    }

    @Test func bothDirectionsGiveOneKey() {
        let forward = FlowKey.of(packet("10.0.0.2", 40000, "10.0.0.1", 80, protocol: .tcp))
        let reverse = FlowKey.of(packet("10.0.0.1", 80, "10.0.0.2", 40000, protocol: .tcp))
        #expect(forward.key == reverse.key)
        #expect(forward.key.flowHash == reverse.key.flowHash)
        #expect(forward.direction == reverse.direction.reversed)
        #expect(forward.key.lowerAddress == ip("10.0.0.1"))
        #expect(forward.key.lowerPort == 80)
        #expect(forward.direction == .fromUpper)
    }

    @Test func sameAddressOrdersByPort() {
        let a = FlowKey.of(packet("10.0.0.1", 5000, "10.0.0.1", 4000))
        let b = FlowKey.of(packet("10.0.0.1", 4000, "10.0.0.1", 5000))
        #expect(a.key == b.key)
        #expect(a.key.lowerPort == 4000)
        #expect(a.direction == .fromUpper)
        #expect(b.direction == .fromLower)
    }

    @Test func domainSeparatesEqualTuples() {
        var p = packet("10.0.0.2", 1, "10.0.0.1", 2)
        let plain = FlowKey.of(p).key
        p.tunnel = .vxlan
        p.tunnelVNI = 7
        p.tunnelSource = ip("192.168.0.10")
        let node1 = FlowKey.of(p).key
        p.tunnelSource = ip("192.168.0.11")
        let node2 = FlowKey.of(p).key
        p.tunnelVNI = 8
        let cluster2 = FlowKey.of(p).key
        p.tunnel = .none
        p.vlanID = 12
        let vlan = FlowKey.of(p).key
        let keys = [plain, node1, node2, cluster2, vlan]
        for i in keys.indices {
            for j in keys.indices where i != j { #expect(keys[i] != keys[j]) }
        }
        #expect(node1.tunnelVNI == 7)
    }

    @Test func icmpEchoUsesIdentifier() {
        var request = packet("10.0.0.2", 0, "10.0.0.1", 0, protocol: .icmp)
        request.icmpType = 8
        request.icmpIdentifier = 77
        var reply = packet("10.0.0.1", 0, "10.0.0.2", 0, protocol: .icmp)
        reply.icmpType = 0
        reply.icmpIdentifier = 77
        #expect(FlowKey.of(request).key == FlowKey.of(reply).key)
        var other = request
        other.icmpIdentifier = 78
        #expect(FlowKey.of(request).key != FlowKey.of(other).key)
        var unreachable = request
        unreachable.icmpType = 3
        #expect(FlowKey.of(unreachable).key.lowerPort == 0)
        var v6 = packet("fd00::2", 0, "fd00::1", 0, protocol: .icmpv6)
        v6.icmpType = 128
        v6.icmpIdentifier = 9
        #expect(FlowKey.of(v6).key.lowerPort == 9)
    }

    @Test func sessionFitsInAFewCacheLines() {
        // Three cache lines: with the table's hash word and its 80 % load, 250 bytes per
        // tracked session, under the 256 of docs/PERFORMANCE.md. A new field must find room
        // in the layout (Session.swift says where), not add a fourth line.
        #expect(MemoryLayout<Session>.stride <= 192)
        #expect(MemoryLayout<FlowKey>.stride <= 64)
    }

    @Test func bothDirectionsFindOneSession() {
        var table = SessionTable(configuration: SessionTableConfiguration(capacity: 16))
        let timeouts = SessionTimeouts()
        let out = packet("10.0.0.2", 40000, "10.0.0.1", 53)
        let back = packet("10.0.0.1", 53, "10.0.0.2", 40000)
        let (key, direction) = FlowKey.of(out)
        #expect(table.lookup(key) == nil)
        let slot = table.insert(key, now: at(0)).slot
        _ = table[slot].observe(out, direction: direction, now: at(0), timeouts: timeouts)
        let (backKey, backDirection) = FlowKey.of(back)
        let found = table.lookup(backKey)
        #expect(found == slot)
        _ = table[slot].observe(back, direction: backDirection, now: at(1), timeouts: timeouts)
        let session = table[slot]
        #expect(session.toServer.packets == 1)
        #expect(session.toClient.packets == 1)
        #expect(session.client.address == ip("10.0.0.2"))
        #expect(session.server.port == 53)
        #expect(session.flags.contains(.bothSidesSeen))
        #expect(session.expiresAt == at(1 + timeouts.udpEstablished))
        #expect(table.count == 1)
    }

    @Test func manyInsertsLookupsAndRemovals() {
        var table = SessionTable(configuration: SessionTableConfiguration(capacity: 1000))
        var keys: [FlowKey] = []
        for i in 0..<1000 {
            let key = FlowKey.of(packet("10.0.\(i / 256).\(i % 256)", UInt16(i), "10.1.0.1", 443)).key
            keys.append(key)
            _ = table.insert(key, now: at(0))
        }
        #expect(table.count == 1000)
        #expect(table.evictions == 0)
        for key in keys { #expect(table.lookup(key).map { table[$0].key } == key) }
        // Remove every other key; the rest must stay reachable after backward shifts.
        for (i, key) in keys.enumerated() where i % 2 == 0 {
            table.remove(table.lookup(key)!)
        }
        #expect(table.count == 500)
        for (i, key) in keys.enumerated() {
            #expect((table.lookup(key) != nil) == (i % 2 == 1))
        }
    }

    @Test func fullTableEvictsLeastRecentlySeenAndCounts() {
        var table = SessionTable(configuration: SessionTableConfiguration(capacity: 4, evictionWindow: 64))
        let timeouts = SessionTimeouts()
        var keys: [FlowKey] = []
        for i in 0..<4 {
            let p = packet("10.0.0.\(i + 1)", 1000, "10.0.1.1", 53)
            let (key, direction) = FlowKey.of(p)
            keys.append(key)
            let slot = table.insert(key, now: at(Int64(i))).slot
            _ = table[slot].observe(p, direction: direction, now: at(Int64(i)), timeouts: timeouts)
        }
        let newKey = FlowKey.of(packet("10.0.0.99", 1000, "10.0.1.1", 53)).key
        let insertion = table.insert(newKey, now: at(5))
        #expect(insertion.evicted?.key == keys[0])
        #expect(insertion.evicted?.closeReason == .evicted)
        #expect(table.evictions == 1)
        #expect(table.count == 4)
        #expect(table.lookup(keys[0]) == nil)
        #expect(table.lookup(newKey) == insertion.slot)
    }

    @Test func fullTablePrefersExpiredSessions() {
        var table = SessionTable(configuration: SessionTableConfiguration(capacity: 4, evictionWindow: 64))
        let timeouts = SessionTimeouts()
        var keys: [FlowKey] = []
        for i in 0..<4 {
            let p = packet("10.0.0.\(i + 1)", 1000, "10.0.1.1", 53)
            let (key, direction) = FlowKey.of(p)
            keys.append(key)
            let slot = table.insert(key, now: at(0)).slot
            _ = table[slot].observe(p, direction: direction, now: at(i == 2 ? 0 : 100), timeouts: timeouts)
        }
        // keys[2] last seen at 0, expired at 30; the others at 100 → 130.
        let insertion = table.insert(FlowKey.of(packet("10.0.0.99", 1, "10.0.1.1", 53)).key, now: at(50))
        #expect(insertion.evicted?.key == keys[2])
        #expect(insertion.evicted?.closeReason == .timeout)
        #expect(table.evictions == 0)
    }

    @Test func incrementalExpirySweep() {
        var table = SessionTable(configuration: SessionTableConfiguration(capacity: 100))
        var timeouts = SessionTimeouts()
        timeouts.udp = 30
        for i in 0..<50 {
            let p = packet("10.0.0.\(i + 1)", 1000, "10.0.1.1", 53)
            let (key, direction) = FlowKey.of(p)
            let slot = table.insert(key, now: at(0)).slot
            // Half the sessions see a packet at 0 (expire at 30), half at 20 (expire at 50).
            _ = table[slot].observe(p, direction: direction, now: at(i % 2 == 0 ? 0 : 20), timeouts: timeouts)
        }
        var expired: [Session] = []
        expired.reserveCapacity(64)
        #expect(table.expire(now: at(29), maxSlots: table.slotCount, into: &expired) == 0)
        // Small steps: never more than maxSlots examined per call, all found in one lap.
        var calls = 0
        while calls * 16 < table.slotCount * 2 {
            table.expire(now: at(30), maxSlots: 16, into: &expired)
            calls += 1
        }
        #expect(expired.count == 25)
        #expect(expired.allSatisfy { $0.closeReason == .timeout })
        #expect(table.count == 25)
        expired.removeAll(keepingCapacity: true)
        table.expire(now: at(50), maxSlots: table.slotCount * 2, into: &expired)
        #expect(expired.count == 25)
        #expect(table.count == 0)
    }

    @Test func protocolTimeouts() {
        let timeouts = SessionTimeouts()
        var icmp = packet("10.0.0.2", 0, "10.0.0.1", 0, protocol: .icmp)
        icmp.icmpType = 8
        var session = Session(key: FlowKey.of(icmp).key, now: at(0))
        _ = session.observe(icmp, direction: FlowKey.of(icmp).direction, now: at(0), timeouts: timeouts)
        #expect(session.expiresAt == at(10))
        let udp = packet("10.0.0.2", 1, "10.0.0.1", 2)
        var udpSession = Session(key: FlowKey.of(udp).key, now: at(0))
        _ = udpSession.observe(udp, direction: FlowKey.of(udp).direction, now: at(0), timeouts: timeouts)
        #expect(udpSession.expiresAt == at(30))
        #expect(!udpSession.isExpired(at: at(29)))
        #expect(udpSession.isExpired(at: at(30)))
    }

    @Test func shutdownDrainsEverything() {
        var table = SessionTable(configuration: SessionTableConfiguration(capacity: 8))
        for i in 0..<5 { _ = table.insert(FlowKey.of(packet("10.0.0.\(i)", 1, "10.0.0.200", 2)).key, now: at(0)) }
        var closed: [Session] = []
        table.removeAll(into: &closed)
        #expect(closed.count == 5)
        #expect(closed.allSatisfy { $0.closeReason == .shutdown })
        #expect(table.count == 0)
    }
}
