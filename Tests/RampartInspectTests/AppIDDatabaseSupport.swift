import Foundation
import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect
import RampartTestSupport


/// One of this family's decoders, by catalog name, for tests that run them all.
struct DatabaseDecoder: Sendable {
    var name: String
    var probe: @Sendable (StreamPrefix, inout ApplicationMetadata) -> ProbeResult
    var application: ApplicationID { ApplicationCatalog.id(named: name)! }
}

/// A flow of a real capture with the application its labels file gives it (nil: a capture
/// without labels, whose flows belong to none of these decoders).
struct LabelledFlow {
    var capture: String
    var flow: CapturedFlow
    var label: String?
}

enum DatabaseAppIDFixtures {
    static let decoders: [DatabaseDecoder] = [
        DatabaseDecoder(name: "ssh") { SSH.probe($0, into: &$1) },
        DatabaseDecoder(name: "postgresql") { PostgreSQL.probe($0, into: &$1) },
        DatabaseDecoder(name: "mysql") { MySQL.probe($0, into: &$1) },
        DatabaseDecoder(name: "redis") { Redis.probe($0, into: &$1) },
        DatabaseDecoder(name: "mongodb") { MongoDB.probe($0, into: &$1) },
        DatabaseDecoder(name: "kafka") { Kafka.probe($0, into: &$1) },
        DatabaseDecoder(name: "mqtt") { MQTT.probe($0, into: &$1) },
        DatabaseDecoder(name: "amqp") { AMQP.probe($0, into: &$1) },
        DatabaseDecoder(name: "smtp") { SMTP.probe($0, into: &$1) },
        DatabaseDecoder(name: "imap") { IMAP.probe($0, into: &$1) },
        DatabaseDecoder(name: "pop3") { POP3.probe($0, into: &$1) },
    ]

    static func decoder(_ name: String) -> DatabaseDecoder { decoders.first { $0.name == name }! }

    /// Every flow of every capture in Tests/Captures and Tests/Captures/appid, labelled.
    static func allFlows() throws -> [LabelledFlow] {
        let root = CapturedFlows.packageRoot
        var out: [LabelledFlow] = []
        for directory in ["Tests/Captures", "Tests/Captures/appid"] {
            let url = root.appendingPathComponent(directory)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".pcap") || name.hasSuffix(".pcapng") {
                let relative = "\(directory)/\(name)"
                let labels = labelTable(url.appendingPathComponent(name).deletingPathExtension().appendingPathExtension("labels"))
                guard let flows = try? CapturedFlows.load(relative) else { continue }
                for flow in flows {
                    let proto = flow.ipProtocol == .udp ? "udp" : "tcp"
                    out.append(LabelledFlow(capture: relative, flow: flow, label: labels["\(proto) \(flow.serverPort)"]))
                }
            }
        }
        return out
    }

    static func labelTable(_ url: URL) -> [String: String] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [:] }
        var table: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 3 { table["\(parts[0]) \(parts[1])"] = String(parts[2]) }
        }
        return table
    }

    /// The flows of one capture labelled `application`.
    static func flows(_ capture: String, labelled application: String) throws -> [CapturedFlow] {
        let labels = labelTable(CapturedFlows.packageRoot.appendingPathComponent(capture)
            .deletingPathExtension().appendingPathExtension("labels"))
        return try CapturedFlows.load(capture).filter { labels["tcp \($0.serverPort)"] == application }
    }

    /// Runs a decoder over hand-made bytes.
    static func probe(
        _ decoder: DatabaseDecoder, toServer: [UInt8], toClient: [UInt8] = [], complete: Bool = false,
        serverPort: UInt16 = 40000, metadata: inout ApplicationMetadata
    ) -> ProbeResult {
        toServer.withUnsafeBytes { s in
            toClient.withUnsafeBytes { c in
                decoder.probe(StreamPrefix(toServer: s, toClient: c, clientPort: 50000, serverPort: serverPort,
                                           ipProtocol: .tcp, toServerComplete: complete, toClientComplete: complete), &metadata)
            }
        }
    }

    static func probe(_ decoder: DatabaseDecoder, toServer: [UInt8], toClient: [UInt8] = [], complete: Bool = false) -> ProbeResult {
        var metadata = ApplicationMetadata()
        return probe(decoder, toServer: toServer, toClient: toClient, complete: complete, metadata: &metadata)
    }

    /// Positive flows: identified, with the metadata the decoder extracts; checks both ports were seen.
    static func identify(_ name: String, in capture: String, ports: Set<UInt16>) throws -> [(CapturedFlow, ApplicationMetadata)] {
        let decoder = decoder(name)
        let flows = try flows(capture, labelled: name)
        #expect(Set(flows.map(\.serverPort)) == ports, "\(name): ports seen in \(capture)")
        var out: [(CapturedFlow, ApplicationMetadata)] = []
        for flow in flows {
            var metadata = ApplicationMetadata()
            let result = flow.withPrefix { decoder.probe($0, &metadata) }
            #expect(result == .identified(decoder.application), "\(name) flow to port \(flow.serverPort)")
            // The same answer while the session is still open.
            var open = ApplicationMetadata()
            let openResult = flow.withPrefix(complete: false) { decoder.probe($0, &open) }
            #expect(openResult == .identified(decoder.application), "\(name) open flow to port \(flow.serverPort)")
            out.append((flow, metadata))
        }
        return out
    }

    /// Negative flows: every flow of every capture not labelled `name` is `.notThis` once complete,
    /// and never identified as `name` while open.
    static func rejectOthers(_ name: String) throws {
        let decoder = decoder(name)
        let flows = try allFlows()
        #expect(flows.count > 50)
        for labelled in flows where labelled.label != name {
            var metadata = ApplicationMetadata()
            let complete = labelled.flow.withPrefix { decoder.probe($0, &metadata) }
            #expect(complete == .notThis, "\(name) on \(labelled.capture) port \(labelled.flow.serverPort) (\(labelled.label ?? "-"))")
            let open = labelled.flow.withPrefix(complete: false) { decoder.probe($0, &metadata) }
            #expect(open != .identified(decoder.application), "\(name) open on \(labelled.capture) port \(labelled.flow.serverPort)")
        }
    }

    /// Every truncation of the positive flows (both directions cut at the same length, and each
    /// direction cut alone) never traps; cut at the same length while the session is open, it
    /// is never `.notThis`.
    static func truncations(_ name: String, in capture: String, limit: Int = 400) throws {
        let decoder = decoder(name)
        for flow in try flows(capture, labelled: name) {
            let n = min(max(flow.toServer.count, flow.toClient.count), limit)
            for k in 0...n {
                let s = Array(flow.toServer.prefix(k))
                let c = Array(flow.toClient.prefix(k))
                for complete in [false, true] {
                    let both = probe(decoder, toServer: s, toClient: c, complete: complete)
                    let server = probe(decoder, toServer: flow.toServer, toClient: c, complete: complete)
                    let client = probe(decoder, toServer: s, toClient: flow.toClient, complete: complete)
                    // One side cut alone can show a reply before its request: only "no trap" there.
                    _ = (server, client)
                    if !complete {
                        #expect(both != .notThis, "\(name) port \(flow.serverPort) cut at \(k)")
                    }
                }
            }
        }
    }

    /// Random bytes (and random mutations of a valid prefix) never trap and never identify.
    static func hostile(_ name: String, valid: (toServer: [UInt8], toClient: [UInt8]), seed: UInt64) {
        let decoder = decoder(name)
        var random = SeededRandom(seed: seed)
        for _ in 0..<3000 {
            let s = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let c = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            let complete = Bool.random(using: &random)
            #expect(probe(decoder, toServer: s, toClient: c, complete: complete) != .identified(decoder.application))
        }
        for _ in 0..<3000 {
            var s = valid.toServer
            var c = valid.toClient
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                if !s.isEmpty { s[Int.random(in: 0..<s.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
                if !c.isEmpty { c[Int.random(in: 0..<c.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            }
            s = Array(s.prefix(Int.random(in: 0...s.count, using: &random)))
            c = Array(c.prefix(Int.random(in: 0...c.count, using: &random)))
            _ = probe(decoder, toServer: s, toClient: c, complete: Bool.random(using: &random))
        }
    }
}
