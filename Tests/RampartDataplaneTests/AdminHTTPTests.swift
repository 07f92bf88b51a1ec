import RampartDataplane
import RampartTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Admin API over HTTP")
struct AdminHTTPTests {
    /// One HTTP/1.1 request over a real TCP connection; returns the raw response.
    func request(_ port: UInt16, _ text: String) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        let bytes = Array(closingRequest(text).utf8)
        _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += buffer[0 ..< n]
        }
        return String(decoding: response, as: UTF8.self)
    }

    @Test func servesRequestsWithBodies() throws {
        let board = MetricsBoard()
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        server.start()
        let port = server.local.port
        #expect(request(port, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200 OK"))
        let metrics = request(port, "GET /metrics HTTP/1.1\r\n\r\n")
        #expect(metrics.contains("rampart_drops_total{reason=\"wrong_vni\"} 0"))
        let body = #"{"sequence": 1, "address": "10.1.2.3", "tags": ["ns:a"]}"#
        let posted = request(port, "POST /tags HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(posted.hasPrefix("HTTP/1.1 202"))
        #expect(board.tagUpdates(after: 0).updates.count == 1)
    }
}
