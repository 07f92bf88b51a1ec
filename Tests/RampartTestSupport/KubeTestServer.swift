import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The local Kubernetes API test server (Tests/KubeAPIServer) started for one test: its
/// own certificates, token and ports in a temporary folder, stopped with `stop()`.
///
/// ```swift
/// let server = try KubeTestServer.start(packageRoot: root)
/// defer { server.stop() }
/// try server.control("POST", "/objects", #"{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"shop"}}"#)
/// ```
public final class KubeTestServer: @unchecked Sendable {
    public let folder: URL
    public let apiPort: Int
    public let controlPort: Int
    public let token: String
    public let pid: Int32
    public var server: String { "https://127.0.0.1:\(apiPort)" }
    public var kubeconfig: String { folder.appendingPathComponent("kubeconfig").path }
    public var caPath: String { folder.appendingPathComponent("certs/ca.crt").path }

    private init(folder: URL, apiPort: Int, controlPort: Int, token: String, pid: Int32) {
        self.folder = folder
        self.apiPort = apiPort
        self.controlPort = controlPort
        self.token = token
        self.pid = pid
    }

    /// Starts the server; `arguments` are added to its command line (e.g. `--bookmark-interval 1`).
    public static func start(packageRoot: URL, arguments: String = "") throws -> KubeTestServer {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-kube-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let token = "token-\(UUID().uuidString.prefix(12))"
        let script = packageRoot.appendingPathComponent("Tests/KubeAPIServer")
        let (status, output) = try TestShell.run("""
            set -euo pipefail
            '\(script.path)/make-certs.sh' '\(folder.path)/certs' >/dev/null
            python3 '\(script.path)/kube_api_server.py' --certs '\(folder.path)/certs' --port 0 --control-port 0 \
                --token '\(token)' --write-ports '\(folder.path)/ports.json' --write-kubeconfig '\(folder.path)/kubeconfig' \
                \(arguments) >'\(folder.path)/server.log' 2>&1 </dev/null &
            echo $!
            """, in: packageRoot)
        guard status == 0, let pid = Int32(output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").last ?? "") else {
            throw KubeTestServerError("could not start the test API server: \(output)")
        }
        let portsFile = folder.appendingPathComponent("ports.json")
        for _ in 0..<200 {
            if let data = FileManager.default.contents(atPath: portsFile.path),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Int],
               let api = object["api"], let control = object["control"] {
                return KubeTestServer(folder: folder, apiPort: api, controlPort: control, token: token, pid: pid)
            }
            usleep(50_000)
        }
        kill(pid, SIGKILL)
        let log = (try? String(contentsOf: folder.appendingPathComponent("server.log"), encoding: .utf8)) ?? ""
        throw KubeTestServerError("the test API server did not start in 10 s: \(log.suffix(2000))")
    }

    /// Calls the control API; returns the body. Throws unless the status is 2xx.
    @discardableResult
    public func control(_ method: String, _ path: String, _ body: String? = nil) throws -> String {
        var request = URLRequestLite(method: method, url: "http://127.0.0.1:\(controlPort)\(path)", body: body)
        return try request.send()
    }

    public func stop() {
        kill(pid, SIGTERM)
        for _ in 0..<100 {
            if kill(pid, 0) != 0 { break }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        try? FileManager.default.removeItem(at: folder)
    }
}

extension KubeTestServer {
    /// A Pod as the API returns it (with kind and apiVersion, for the control API):
    /// Running with `ip`, or Pending without one, on node worker-1.
    ///
    /// ```swift
    /// try server.control("POST", "/objects", KubeTestServer.pod("shop", "web-1", ip: "10.244.1.1", labels: ["app": "web"]))
    /// ```
    public static func pod(
        _ namespace: String, _ name: String, ip: String?, labels: [String: String] = [:], annotations: [String: String] = [:],
        serviceAccount: String? = nil
    ) -> String {
        func object(_ map: [String: String]) -> String {
            "{" + map.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
        }
        let status = ip.map { #""status":{"phase":"Running","podIP":"\#($0)","podIPs":[{"ip":"\#($0)"}]}"# } ?? #""status":{"phase":"Pending"}"#
        let account = serviceAccount.map { #""serviceAccountName":"\#($0)","# } ?? ""
        return #"{"kind":"Pod","apiVersion":"v1","metadata":{"name":"\#(name)","namespace":"\#(namespace)","labels":\#(object(labels)),"annotations":\#(object(annotations))},"spec":{"nodeName":"worker-1",\#(account)"containers":[{"name":"c","image":"nginx:1.25"}]},\#(status)}"#
    }
}

public struct KubeTestServerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A blocking plain-HTTP request over a TCP socket (the control port is loopback HTTP/1.1).
struct URLRequestLite {
    var method: String
    var url: String
    var body: String?

    mutating func send() throws -> String {
        guard let rest = url.split(separator: "//").last, let slash = rest.firstIndex(of: "/") else {
            throw KubeTestServerError("bad url \(url)")
        }
        let hostPort = rest[..<slash]
        let path = String(rest[slash...])
        guard let port = UInt16(hostPort.split(separator: ":").last ?? "") else { throw KubeTestServerError("bad url \(url)") }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw KubeTestServerError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw KubeTestServerError("cannot connect to \(url)") }
        let payload = Array((body ?? "").utf8)
        let head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(payload.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + payload
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw KubeTestServerError("send failed") }
            sent += n
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response.append(contentsOf: chunk[0..<n])
        }
        let text = String(decoding: response, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw KubeTestServerError("no HTTP response from \(url)") }
        let statusLine = text[..<split.lowerBound].split(separator: "\r\n").first ?? ""
        let code = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        var bodyText = String(text[split.upperBound...])
        if text[..<split.lowerBound].lowercased().contains("transfer-encoding: chunked") { bodyText = URLRequestLite.dechunk(bodyText) }
        guard (200..<300).contains(code) else { throw KubeTestServerError("\(method) \(path) → \(code): \(bodyText.prefix(300))") }
        return bodyText
    }

    static func dechunk(_ text: String) -> String {
        var bytes = Array(text.utf8)[...]
        var out: [UInt8] = []
        while let lineEnd = bytes.firstIndex(of: 13) {
            let size = Int(String(decoding: bytes[bytes.startIndex..<lineEnd], as: UTF8.self), radix: 16) ?? 0
            if size == 0 { break }
            let start = lineEnd + 2
            guard start + size <= bytes.endIndex else { break }
            out += bytes[start..<(start + size)]
            bytes = bytes[(start + size + 2)...]
        }
        return String(decoding: out, as: UTF8.self)
    }
}
