import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

/// Issue 11: every fixed table of the engine, filled on purpose from crafted packets. Each
/// limit is counted, logged (an anomaly record) and bounded per source, so one client (or
/// one node) cannot switch App-ID or session tracking off for the others.
@Suite("Engine limits")
struct TableLimitTests {
    // MARK: crafted packets

    static let syn: UInt8 = 0x02, ack: UInt8 = 0x10, psh: UInt8 = 0x08, rst: UInt8 = 0x04

    static func ipv4(_ text: String) -> UInt32 {
        text.split(separator: ".").reduce(0) { $0 << 8 | UInt32($1)! }
    }

    /// An IPv4/TCP packet (raw IP link type; checksums left zero, not verified).
    static func tcp(_ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16,
                    seq: UInt32, ack ackNumber: UInt32 = 0, flags: UInt8, _ payload: [UInt8] = []) -> [UInt8] {
        func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let total = UInt16(40 + payload.count)
        var p: [UInt8] = [0x45, 0] + be16(total) + [0, 1, 0x40, 0, 64, 6, 0, 0]
        p += be32(ipv4(source)) + be32(ipv4(destination))
        p += be16(sourcePort) + be16(destinationPort) + be32(seq) + be32(ackNumber)
        p += [0x50, flags] + be16(0xFFFF) + [0, 0, 0, 0]
        return p + payload
    }

    /// An IPv4/UDP datagram (raw IP link type; checksum left zero).
    static func udp(_ source: String, _ sourcePort: UInt16, _ destination: String, _ destinationPort: UInt16) -> [UInt8] {
        func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let payload: [UInt8] = [1, 2, 3, 4]
        var p: [UInt8] = [0x45, 0] + be16(UInt16(28 + payload.count)) + [0, 1, 0x40, 0, 64, 17, 0, 0]
        p += be32(ipv4(source)) + be32(ipv4(destination))
        p += be16(sourcePort) + be16(destinationPort) + be16(UInt16(8 + payload.count)) + [0, 0]
        return p + payload
    }

    /// `inner` (a raw IPv4 packet) in VXLAN from `node`, as the firewall receives it.
    static func tunnelled(_ inner: [UInt8], node: String, vni: UInt32 = 7) -> [UInt8] {
        func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
        func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        let ethernet: [UInt8] = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]
        let vxlan: [UInt8] = [0x08, 0, 0, 0] + Array(be32(vni << 8))
        let udpLength = UInt16(8 + vxlan.count + ethernet.count + inner.count)
        let udp = be16(40000) + be16(6080) + be16(udpLength) + [0, 0]
        var ip: [UInt8] = [0x45, 0] + be16(20 + udpLength) + [0, 1, 0x40, 0, 64, 17, 0, 0]
        ip += be32(ipv4(node)) + be32(ipv4("192.168.0.1"))
        return ip + udp + vxlan + ethernet + inner
    }

    static let request = Array("GET /index.html HTTP/1.1\r\nHost: web\r\nUser-Agent: curl/8\r\n\r\n".utf8)
    static let response = Array("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n".utf8)
    /// The start of a request that never ends: App-ID waits for more (and holds its buffer).
    static let partial = Array("GET /slow HTTP/1.1\r\nHost: web\r\n".utf8)

    /// The test support's sink: flow, start and anomaly records as the engine hands them out.
    typealias Collector = EngineRun.Collector

    struct Harness {
        var engine: Engine
        var sink = Collector()
        var time: Int64 = 1_700_000_000

        init(policy: String = Harness.allowAll, configure: (inout EngineConfiguration) -> Void) throws {
            var configuration = EngineConfiguration()
            configure(&configuration)
            engine = Engine(configuration: configuration, policy: try PolicyMatcher(PolicyLoader.load(yaml: policy, file: "t.yaml"), tags: []))
        }

        static let allowAll = """
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: t}
            spec:
              defaults:
                intrazone: {action: allow}
                interzone: {action: allow}
            """

        @discardableResult
        mutating func send(_ frame: [UInt8]) -> Verdict {
            time += 1
            return frame.withUnsafeBytes {
                engine.process(frame: $0, linkType: .raw, timestamp: Timestamp(seconds: time, nanoseconds: 0), packetNumber: 0, sink: &sink)
            }
        }

        /// A handshake and the client's first data; returns the verdict of the data packet.
        @discardableResult
        mutating func open(_ client: String, _ port: UInt16, to server: String = "10.0.0.2", serverPort: UInt16 = 80,
                           data: [UInt8], node: String? = nil) -> Verdict {
            func wrap(_ p: [UInt8]) -> [UInt8] { node.map { TableLimitTests.tunnelled(p, node: $0) } ?? p }
            send(wrap(tcp(client, port, server, serverPort, seq: 1000, flags: syn)))
            send(wrap(tcp(server, serverPort, client, port, seq: 5000, ack: 1001, flags: syn | ack)))
            send(wrap(tcp(client, port, server, serverPort, seq: 1001, ack: 5001, flags: ack)))
            return send(wrap(tcp(client, port, server, serverPort, seq: 1001, ack: 5001, flags: ack | psh, data)))
        }

        mutating func reply(_ client: String, _ port: UInt16, from server: String = "10.0.0.2", serverPort: UInt16 = 80,
                            seq: UInt32 = 5001, ack: UInt32, data: [UInt8]) -> Verdict {
            send(tcp(server, serverPort, client, port, seq: seq, ack: ack, flags: TableLimitTests.ack | psh, data))
        }

        mutating func finish() { engine.finish(sink: &sink) }

        func flow(_ client: String, _ port: UInt16) -> FlowRecord? {
            sink.flows.first { $0.clientAddress == IPAddress(client) && $0.clientPort == port }
        }

        func anomalies(_ name: String) -> Int { sink.anomalies.filter { $0.event.name == name }.count }
    }

    // MARK: App-ID stream buffers

    @Test("one client holding its share of App-ID buffers cannot starve another client's identification")
    func appIDBuffersPerSource() throws {
        var h = try Harness {
            $0.applications.maxBuffers = 16
            $0.applications.maxBuffersPerSource = 8
        }
        // 20 requests that never end, from one client: it gets 8 buffers, the rest go packet by packet.
        for port in UInt16(40000) ..< 40020 { h.open("10.0.0.66", port, data: Self.partial) }
        #expect(h.engine.statistics.limits[.appIDBuffersPerSource] == 12)
        #expect(h.engine.appID.buffersHeld(by: h.engine.sourceHasher.owner(client: IPAddress("10.0.0.66")!, key: FlowKey())) == 8)
        #expect(h.anomalies("app_layer.buffers_full") == 12)
        // Another client still gets a buffer and its application named, metadata and all.
        h.open("10.0.0.7", 50000, data: Self.request)
        _ = h.reply("10.0.0.7", 50000, ack: 1001 + UInt32(Self.request.count), data: Self.response)
        h.finish()
        let victim = try #require(h.flow("10.0.0.7", 50000))
        #expect(victim.application == "http")
        #expect(victim.appIDLimit == nil)
        #expect(victim.metadata?.httpStatus == 200)
        #expect(h.flow("10.0.0.66", 40019)?.appIDLimit == "packet-by-packet")
        #expect(h.flow("10.0.0.66", 40000)?.appIDLimit == nil)
    }

    static let appPolicy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: t}
        spec:
          zones:
            - {name: servers, networks: [10.0.0.2/32]}
            - {name: clients, networks: [10.0.0.0/25]}
          rules:
            - {name: allow-web, from: clients, to: servers, applications: [http], action: allow}
            - {name: no-unknown, from: clients, to: servers, applications: [unknown-tcp], action: reset-client}
          defaults:
            interzone: {action: deny}
        """

    @Test("an empty buffer pool: identified packet by packet, counted and logged; what stays unknown is the policy's")
    func appIDBufferPoolEmpty() throws {
        var h = try Harness(policy: Self.appPolicy) {
            $0.applications.maxBuffers = 4
            $0.applications.maxBuffersPerSource = 100
            $0.applications.maxBuffersPerTunnelSource = 100
        }
        // Four clients hold the four buffers with requests that never end.
        for i in 0 ..< 4 { h.open("10.0.0.\(10 + i)", 40000, data: Self.partial) }
        #expect(h.engine.statistics.limits[.appIDBuffers] == 0)
        // A whole request in one packet is named from that packet alone and allowed by its rule.
        let named = h.open("10.0.0.20", 41000, data: Self.request)
        #expect(named == .forward)
        #expect(h.engine.statistics.limits[.appIDBuffers] == 1)
        #expect(h.engine.statistics.appIDUnbuffered == 1)
        #expect(h.anomalies("app_layer.buffers_full") == 1)
        // A request that needs more than its first packet cannot be read on without a buffer:
        // it does not stay provisionally allowed by allow-web; it is unknown-tcp and reset.
        let waiting = h.open("10.0.0.21", 41001, data: Self.partial)
        #expect(waiting == .forward)   // provisional: App-ID still hopes
        let more = h.send(Self.tcp("10.0.0.21", 41001, "10.0.0.2", 80, seq: 1001 + UInt32(Self.partial.count), ack: 5001,
                                   flags: Self.ack | Self.psh, Array("X-Padding: aaaa\r\n".utf8)))
        #expect(more == .reset(toClient: true, toServer: false))
        h.finish()
        let first = try #require(h.flow("10.0.0.20", 41000))
        #expect(first.application == "http" && first.rule == "allow-web" && first.appIDLimit == "packet-by-packet")
        let second = try #require(h.flow("10.0.0.21", 41001))
        #expect(second.application == "unknown-tcp" && second.rule == "no-unknown" && second.provisionalRule == "allow-web")
    }

    @Test("one client holding its share of App-ID states: its other sessions are unknown, others are named")
    func appIDStatesPerSource() throws {
        var h = try Harness {
            $0.applications.maxStates = 64
            $0.applications.maxStatesPerSource = 5
        }
        for port in UInt16(40000) ..< 40008 { h.open("10.0.0.66", port, data: Self.partial) }
        #expect(h.engine.statistics.limits[.appIDStatesPerSource] == 3)
        #expect(h.anomalies("app_layer.states_full") == 3)
        h.open("10.0.0.7", 50000, data: Self.request)
        h.finish()
        #expect(h.flow("10.0.0.7", 50000)?.application == "http")
        #expect(h.flow("10.0.0.66", 40007)?.appIDLimit == "no-state")
        #expect(h.flow("10.0.0.66", 40007)?.application == "unknown-tcp")
    }

    // MARK: sessions

    @Test("sessions per client: the excess is refused and dropped, counted and logged; others go on; ended sessions give room back")
    func sessionsPerSource() throws {
        var h = try Harness {
            $0.sessions = SessionTableConfiguration(capacity: 256)
            $0.sessions.maxPerSource = 8
        }
        var verdicts: [Verdict] = []
        for port in UInt16(40000) ..< 40020 { verdicts.append(h.send(Self.tcp("10.0.0.66", port, "10.0.0.2", 80, seq: 1, flags: Self.syn))) }
        #expect(verdicts.filter { $0 == .forward }.count == 8)
        #expect(verdicts.filter { $0 == .drop }.count == 12)
        #expect(h.engine.activeSessions == 8)
        #expect(h.engine.statistics.limits[.sessionsPerSource] == 12)
        #expect(h.anomalies("flow.source_limit") == 12)
        #expect(h.send(Self.tcp("10.0.0.7", 50000, "10.0.0.2", 80, seq: 1, flags: Self.syn)) == .forward)
        // A reset ends one of them: the client may open one more.
        h.send(Self.tcp("10.0.0.2", 80, "10.0.0.66", 40000, seq: 0, ack: 2, flags: Self.rst | Self.ack))
        h.time += 60   // past the closed state's timeout; the sweep removes it
        for _ in 0 ..< 300 { h.send(Self.tcp("10.0.0.7", 50000, "10.0.0.2", 80, seq: 2, flags: Self.ack)) }
        #expect(h.send(Self.tcp("10.0.0.66", 41000, "10.0.0.2", 80, seq: 1, flags: Self.syn)) == .forward)
    }

    @Test("sessions per tunnel source: one node cannot fill the table for the others")
    func sessionsPerTunnelSource() throws {
        var h = try Harness {
            $0.sessions = SessionTableConfiguration(capacity: 256)
            $0.sessions.maxPerSource = 1000
            $0.sessions.maxPerTunnelSource = 10
        }
        var forwarded = 0
        for i in 0 ..< 30 {
            let inner = Self.tcp("10.244.1.\(i + 1)", 40000, "10.244.9.9", 80, seq: 1, flags: Self.syn)
            if h.send(Self.tunnelled(inner, node: "192.168.1.10")) == .forward { forwarded += 1 }
        }
        #expect(forwarded == 10)
        #expect(h.engine.statistics.limits[.sessionsPerTunnelSource] == 20)
        let other = Self.tcp("10.244.2.1", 40000, "10.244.9.9", 80, seq: 1, flags: Self.syn)
        #expect(h.send(Self.tunnelled(other, node: "192.168.1.11")) == .forward)
        // Untunnelled traffic has no node limit.
        #expect(h.send(Self.tcp("10.0.0.7", 50000, "10.0.0.2", 80, seq: 1, flags: Self.syn)) == .forward)
    }

    @Test("a full session table evicts, counts and logs it (flow.memcap_reached)")
    func sessionTableFull() throws {
        var h = try Harness {
            $0.sessions = SessionTableConfiguration(capacity: 16)
            $0.sessions.maxPerSource = 1000
        }
        for i in 0 ..< 40 { h.send(Self.tcp("10.0.1.\(i + 1)", 40000, "10.0.0.2", 80, seq: 1, flags: Self.syn)) }
        #expect(h.engine.activeSessions == 16)
        #expect(h.engine.statistics.limits[.sessionTable] == 24)
        #expect(h.engine.statistics.sessionsEvicted == 24)
        #expect(h.anomalies("flow.memcap_reached") == 24)   // one second apart: none suppressed
    }

    // MARK: reassembly

    @Test("reassembly slots cannot run out before sessions do: a SYN flood leaves later sessions identified")
    func streamsFollowSessions() throws {
        var h = try Harness {
            $0.sessions = SessionTableConfiguration(capacity: 128)
            $0.sessions.maxPerSource = 1000
            $0.streams.maxStreams = 8
        }
        for port in UInt16(40000) ..< 40040 { h.send(Self.tcp("10.0.0.66", port, "10.0.0.2", 80, seq: 1, flags: Self.syn)) }
        h.open("10.0.0.7", 50000, data: Self.request)
        h.finish()
        #expect(h.flow("10.0.0.7", 50000)?.application == "http")
        #expect(h.engine.statistics.limits[.reassemblyStreams] == 0)
    }

    @Test("one-byte segments after a hole hold at most maxChunksPerDirection chunks, not a chunk per byte")
    func chunksPerDirection() {
        struct Sink: StreamConsumer { mutating func deliver(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection) {} }
        var reassembler = StreamReassembler(configuration: StreamReassemblyConfiguration())
        var sink = Sink()
        let handle = reassembler.open()!
        let byte: [UInt8] = [0x41]
        let none = UnsafeRawBufferPointer(start: nil, count: 0)
        _ = reassembler.process(handle, direction: .toServer, sequence: 0, flags: [.syn], payload: none, into: &sink)
        var event: DecodeEvent?
        var sent = 0
        for k in 1 ... 1000 where event == nil {
            sent = k
            event = byte.withUnsafeBytes {
                reassembler.process(handle, direction: .toServer, sequence: UInt32(1 + 2 * k), flags: [.ack], payload: $0, into: &sink)
            }
        }
        #expect(event == .streamOutOfOrderLimit)
        #expect(reassembler.lastLimit == .reassemblyPerDirection)
        #expect(sent == StreamReassemblyConfiguration().effectiveMaxChunksPerDirection + 1)
        #expect(reassembler.bufferedBytes == 0)
    }

    @Test("out-of-order chunks per client: its streams stop, another client's go on; closing gives the chunks back")
    func chunksPerSource() {
        struct Sink: StreamConsumer { mutating func deliver(_ bytes: UnsafeRawBufferPointer, direction: StreamDirection) {} }
        var configuration = StreamReassemblyConfiguration()
        configuration.maxChunksPerSource = 10
        var reassembler = StreamReassembler(configuration: configuration, sourceBuckets: 64)
        var sink = Sink()
        let attacker = SourceOwner(client: 3, node: -1), other = SourceOwner(client: 4, node: -1)
        let segment = [UInt8](repeating: 0x42, count: 100)
        // A SYN, then `count` pieces of 100 bytes each after a hole: one chunk each.
        func fill(_ handle: StreamHandle, count: Int) -> DecodeEvent? {
            let none = UnsafeRawBufferPointer(start: nil, count: 0)
            _ = reassembler.process(handle, direction: .toServer, sequence: 0, flags: [.syn], payload: none, into: &sink)
            var first: DecodeEvent?
            for k in 1 ... count {
                let event = segment.withUnsafeBytes {
                    reassembler.process(handle, direction: .toServer, sequence: UInt32(1 + 200 * k), flags: [.ack], payload: $0, into: &sink)
                }
                if first == nil { first = event }
            }
            return first
        }
        let first = reassembler.open(owner: attacker)!
        #expect(fill(first, count: 6) == nil)
        let second = reassembler.open(owner: attacker)!
        #expect(fill(second, count: 6) == .streamOutOfOrderLimit)
        #expect(reassembler.lastLimit == .reassemblyPerSource)
        #expect(reassembler.chunksHeld(by: attacker) == 6)
        let third = reassembler.open(owner: other)!
        #expect(fill(third, count: 6) == nil)
        reassembler.close(first)
        #expect(reassembler.chunksHeld(by: attacker) == 0)
        let fourth = reassembler.open(owner: attacker)!
        #expect(fill(fourth, count: 6) == nil)
    }
}
