import Foundation
import RampartKube
import RampartNetlink
import RampartNode
import RampartWire
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Records the steering calls the agent makes instead of touching the kernel.
final class SteeringRecorder: Sendable {
    private let calls = Mutex<[(pod: String, steer: Bool)]>([])
    var action: SteeringAction { { attachment, steer in self.calls.withLock { $0.append((attachment.podKey, steer)) } } }
    var all: [(pod: String, steer: Bool)] { calls.withLock { $0 } }
}

/// A temporary folder and an agent configuration that touches nothing outside it: no
/// tunnel, no plugin installation, HTTP on a free loopback port.
struct AgentSandbox {
    let folder: String

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-node-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    func configuration(node: String = "node-a", firewalls: [FirewallEndpoint]? = nil) -> NodeConfiguration {
        var configuration = NodeConfiguration(
            nodeName: node, clusterID: ClusterID(7)!, firewalls: firewalls ?? [FirewallEndpoint(address: NetlinkAddress("10.0.0.50")!)])
        configuration.manageTunnel = false
        configuration.cni.install = false
        configuration.socketPath = "\(folder)/node.sock"
        configuration.statePath = "\(folder)/attachments.json"
        configuration.events = "\(folder)/events.json"
        configuration.metricsListen = "127.0.0.1:0"
        configuration.healthInterval = 0.2
        configuration.resyncInterval = 1
        return configuration
    }

    var events: String { (try? String(contentsOfFile: "\(folder)/events.json", encoding: .utf8)) ?? "" }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }
}

/// One blocking HTTP GET to a loopback `host:port`; returns status and body.
func httpGet(_ hostPort: String, _ path: String) -> (status: Int, body: String)? {
    guard let port = UInt16(hostPort.split(separator: ":").last ?? "") else { return nil }
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { return nil }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
    _ = request.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response += chunk[0..<n]
    }
    let text = String(decoding: response, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { return nil }
    let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
    return (status, String(text[split.upperBound...]))
}

/// A raw request line on a unix socket, for what the typed client never sends.
func unixExchange(_ path: String, _ line: String) -> String? {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (i, byte) in path.utf8.enumerated() { raw[i] = byte }
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else { return nil }
    let bytes = Array(line.utf8)
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    var response: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        response += chunk[0..<n]
    }
    return String(decoding: response, as: UTF8.self)
}
