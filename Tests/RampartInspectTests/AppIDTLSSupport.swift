import Foundation
import RampartPolicy
import RampartWire
@testable import RampartInspect


/// Labels files (`tcp|udp PORT APP` per line) and every capture, for App-ID decoder tests.
enum AppIDCaptures {
    static func labels(_ relativePath: String) throws -> [String: String] {
        let url = CapturedFlows.packageRoot.appendingPathComponent(relativePath)
        var labels: [String: String] = [:]
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 3 { labels["\(parts[0]) \(parts[1])"] = String(parts[2]) }
        }
        return labels
    }

    static func key(_ flow: CapturedFlow) -> String { "\(flow.ipProtocol == .udp ? "udp" : "tcp") \(flow.serverPort)" }

    /// Every `.pcap` under Tests/Captures and Tests/Captures/appid (relative paths).
    static func allCaptures() -> [String] {
        var paths: [String] = []
        for dir in ["Tests/Captures", "Tests/Captures/appid"] {
            let url = CapturedFlows.packageRoot.appendingPathComponent(dir)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            for name in names.sorted() where name.hasSuffix(".pcap") { paths.append(dir + "/" + name) }
        }
        return paths
    }

    /// Calls `probe` with the prefix over `bytes` (client side) and `reply` (server side).
    static func probe(
        _ bytes: [UInt8], reply: [UInt8] = [], proto: IPProtocol = .tcp, port: UInt16 = 443, complete: Bool = false,
        _ decoder: (StreamPrefix, inout ApplicationMetadata) -> ProbeResult
    ) -> (ProbeResult, ApplicationMetadata) {
        var metadata = ApplicationMetadata()
        let result = bytes.withUnsafeBytes { s in
            reply.withUnsafeBytes { c in
                decoder(StreamPrefix(toServer: s, toClient: c, clientPort: 40000, serverPort: port, ipProtocol: proto,
                                     toServerComplete: complete, toClientComplete: complete), &metadata)
            }
        }
        return (result, metadata)
    }
}
