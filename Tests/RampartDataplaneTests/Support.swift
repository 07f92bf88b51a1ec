import Foundation
import RampartDataplane
import RampartInspect
import RampartPolicy
import RampartWire

/// Shared helpers: capture frames, crafted tunnel datagrams, engines with small policies.
enum Fixtures {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The frames of a capture in Tests/Captures.
    static func frames(_ name: String) throws -> [[UInt8]] {
        let bytes = try [UInt8](Data(contentsOf: packageRoot.appendingPathComponent("Tests/Captures/\(name)")))
        var reader = try CaptureReader(bytes: bytes)
        return try reader.readAll().map { Array(reader.frame(of: $0)) }
    }

    static func decode(_ frame: [UInt8]) -> DecodedPacket {
        var packet = DecodedPacket()
        _ = frame.withUnsafeBytes { PacketDecoder.decode($0, linkType: .ethernet, into: &packet) }
        return packet
    }

    /// A VXLAN datagram (header + frame).
    static func vxlan(vni: UInt32, _ frame: [UInt8], flags: UInt8 = 0x08) -> [UInt8] {
        [flags, 0, 0, 0, UInt8(vni >> 16 & 0xFF), UInt8(vni >> 8 & 0xFF), UInt8(vni & 0xFF), 0] + frame
    }

    /// A Geneve datagram with `options` (each a whole option, 4-byte multiples).
    static func geneve(vni: UInt32, _ frame: [UInt8], options: [UInt8] = [], control: Bool = false) -> [UInt8] {
        [UInt8(options.count / 4), control ? 0x80 : 0, 0x65, 0x58,
         UInt8(vni >> 16 & 0xFF), UInt8(vni >> 8 & 0xFF), UInt8(vni & 0xFF), 0] + options + frame
    }

    static func policy(action: String, rule: String = "web") throws -> PolicyMatcher {
        let yaml = """
            apiVersion: rampart.io/v1
            kind: SecurityPolicy
            metadata: {name: test}
            spec:
              zones:
                - {name: client, networks: [10.77.0.1/32]}
                - {name: server, networks: [10.77.0.2/32]}
              rules:
                - {name: \(rule), from: [client], to: [server], services: [tcp/80], action: \(action)}
              defaults:
                intrazone: {action: allow}
                interzone: {action: allow}
            """
        let document = try PolicyLoader.load(yaml: yaml, file: "test.yaml")
        return try PolicyMatcher(document, tags: [])
    }
}

/// Keeps every record the engine emits.
struct CollectingSink: EventSink {
    var flows: [FlowRecord] = []
    var anomalies: [AnomalyRecord] = []
    var summaries: [FlowSummary] = []
    mutating func flowEnded(_ record: FlowRecord) { flows.append(record) }
    mutating func flowSummary(_ record: FlowSummary) { summaries.append(record) }
    mutating func anomaly(_ record: AnomalyRecord) { anomalies.append(record) }
}

#if canImport(Glibc)
import Glibc
#endif

extension FirewallWorker {
    /// Copies `datagram` into receive slot 0 and handles it as if it came from `sender`.
    func feed(_ datagram: [UInt8], from sender: SocketAddress, timestamp: Timestamp = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)) {
        let slot = receiveSlot(0)
        let n = min(datagram.count, slot.count)
        datagram.withUnsafeBytes { slot.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: n) }
        var storage = sockaddr_storage()
        let length = sender.write(to: &storage)
        withUnsafePointer(to: &storage) {
            handle(slot: 0, length: n, name: UnsafeRawPointer($0), nameLength: length, timestamp: timestamp)
        }
    }

    /// The bytes of queued message `i` and the port it goes to.
    func sent(_ i: Int) -> (bytes: [UInt8], to: SocketAddress?) {
        let v = outgoing.vectors[i]
        let bytes = [UInt8](UnsafeRawBufferPointer(start: v.iov_base, count: v.iov_len))
        return (bytes, SocketAddress(reading: UnsafeRawPointer(outgoing.names + i)))
    }
}
