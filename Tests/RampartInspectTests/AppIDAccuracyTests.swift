import Foundation
import RampartInspect
import RampartWire
import Testing

/// App-ID's accuracy over the labelled captures of real software (Tests/Captures/appid,
/// recorded by scripts/appid/*.sh: every server on its standard port and on another one).
/// The labels name each server port's application, as the script that ran it knows it.
@Suite("App-ID accuracy on real traffic")
struct AppIDAccuracyTests {
    struct Score {
        var labelled = 0
        var correct = 0
        var wrong: [String] = []
        var mislabelled: [String] = []
    }

    /// The states App-ID may answer when it cannot name a session; anything else that
    /// differs from the label is a mislabel.
    static let unnamed: Set<String> = ["unknown-tcp", "unknown-udp", "incomplete", "insufficient-data"]

    static func labels(_ path: URL) throws -> [String: String] {
        var labels: [String: String] = [:]
        for line in try String(contentsOf: path, encoding: .utf8).split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 3 else { continue }
            labels["\(parts[0].uppercased()) \(parts[1])"] = String(parts[2])
        }
        return labels
    }

    static func score(capture: String, labels: [String: String], into score: inout Score) throws {
        let run = try EngineRun(capture)
        for flow in run.flows where flow.ipProtocol == .tcp || flow.ipProtocol == .udp {
            guard let expected = labels["\(flow.ipProtocol) \(flow.serverPort)"] else { continue }
            score.labelled += 1
            if flow.application == expected {
                score.correct += 1
            } else {
                let what = "\(capture): \(flow.ipProtocol) \(flow.clientAddress):\(flow.clientPort) -> :\(flow.serverPort) expected \(expected), got \(flow.application)"
                score.wrong.append(what)
                if !unnamed.contains(flow.application) { score.mislabelled.append(what) }
            }
        }
    }

    @Test("at least 99% of labelled flows are named correctly, and none as a different application")
    func accuracy() throws {
        let directory = CapturedFlows.packageRoot.appendingPathComponent("Tests/Captures/appid")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".labels") }.sorted()
        #expect(files.count >= 8)
        var total = Score()
        for file in files {
            let name = String(file.dropLast(".labels".count))
            try Self.score(
                capture: "Tests/Captures/appid/\(name).pcap",
                labels: Self.labels(directory.appendingPathComponent(file)), into: &total)
        }
        let accuracy = Double(total.correct) / Double(max(1, total.labelled))
        #expect(total.labelled >= 60)
        #expect(accuracy >= 0.99, "accuracy \(accuracy) over \(total.labelled) flows; wrong: \(total.wrong)")
        #expect(total.mislabelled.isEmpty, "mislabelled: \(total.mislabelled)")
    }

    @Test("every application of the catalog that App-ID decodes is covered by a labelled capture")
    func coverage() throws {
        let directory = CapturedFlows.packageRoot.appendingPathComponent("Tests/Captures/appid")
        var seen: Set<String> = []
        for file in try FileManager.default.contentsOfDirectory(atPath: directory.path) where file.hasSuffix(".labels") {
            seen.formUnion(try Self.labels(directory.appendingPathComponent(file)).values)
        }
        let decoded: Set<String> = [
            "http", "http2", "grpc", "ssl", "dns", "ssh", "postgresql", "mysql", "redis", "mongodb", "kafka",
            "mqtt", "amqp", "smtp", "imap", "pop3", "ldap", "ntp", "memcached", "kubernetes-api",
            "openai-api", "anthropic-api", "ollama", "mcp",
        ]
        #expect(decoded.subtracting(seen).isEmpty, "no labelled traffic for \(decoded.subtracting(seen).sorted())")
    }
}
