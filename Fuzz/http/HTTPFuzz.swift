// libFuzzer target for what RampartHTTP reads from outside: request heads (the parser the
// poll loop calls), bearer-token files (read from a real file by `BearerTokens.load`), listen
// addresses, and whole requests sent over loopback to a running `HTTPServer` with tokens
// (one closing every connection, one keeping them for up to 4 requests, pipelined or not).
// The first byte picks the case. Built by Fuzz/http/build.sh as one module with
// Sources/RampartPOSIX and Sources/RampartHTTP.
#if canImport(Glibc)
import Glibc
#endif

let tokenText = """
    tag-writer manager 2b4c0f3e9d8a7c6b5a4f3e2d1c0b9a8f
    read-only grafana a1b2c3d4e5f60718293a4b5c6d7e8f90
    tag-writer,policy-writer ops 0f1e2d3c4b5a69788796a5b4c3d2e1f0
    """

/// One server for the whole run, with tokens, small limits and an echoing handler; with
/// `keepAlive`, connections carry up to 4 requests (pipelined ones too).
func makeServer(keepAlive: Bool) -> HTTPServer {
    var limits = HTTPServer.Limits()
    if keepAlive {
        limits.requestsPerConnection = 4
        limits.idleTimeout = 1
    }
    limits.maximumHead = 4096
    limits.maximumBody = 8192
    limits.maximumBufferedBody = 16384
    limits.headerTimeout = 2
    limits.requestTimeout = 2
    limits.workers = 1
    let tokens = try! BearerTokens.parse(tokenText, path: "fuzz-tokens")
    let server = try! HTTPServer(name: "fuzz", listen: "127.0.0.1:0", access: .tokens(tokens), limits: limits) { request in
        HTTPReply(200, "\(request.method) \(request.path) \(request.query.count) \(request.body.count) \(request.principal?.name ?? "-")\n",
                  contentType: "text/plain")
    }
    server.log = { _ in }
    server.start()
    return server
}

let server = makeServer(keepAlive: false)
let keptServer = makeServer(keepAlive: true)

/// A file the tokens case writes and `BearerTokens.load` reads.
let tokenPath: String = {
    var template = Array("/tmp/rampart-http-fuzz-XXXXXX".utf8CString)
    let fd = mkstemp(&template)
    precondition(fd >= 0, "mkstemp failed")
    fchmod(fd, 0o600)
    close(fd)
    return String(cString: template)
}()

func checkHead(_ bytes: [UInt8], maximumBody: Int) {
    let end = headEnd(bytes, from: 0)
    if let end { precondition(end >= 0 && end + 4 <= bytes.count && bytes[end ..< end + 4].elementsEqual([13, 10, 13, 10])) }
    let head = bytes[..<(end ?? bytes.count)]
    let result = HTTPRequestHead.parse(head, maximumBody: maximumBody)
    precondition(result == HTTPRequestHead.parse(head, maximumBody: maximumBody), "parsing is not deterministic")
    switch result {
    case .success(let h):
        precondition(!h.method.isEmpty && h.method.utf8.allSatisfy { $0 >= 65 && $0 <= 90 }, "method \(h.method)")
        precondition(h.path.hasPrefix("/") && !h.path.contains("?"), "path \(h.path)")
        precondition(h.contentLength >= 0 && h.contentLength <= maximumBody, "length \(h.contentLength) over \(maximumBody)")
        for (name, _) in h.headers { precondition(name == name.lowercased() && !name.isEmpty, "header name \(name)") }
        if let te = h.headers["transfer-encoding"] { precondition(te.lowercased() == "identity", "accepted Transfer-Encoding \(te)") }
        if let cl = h.headers["content-length"] { precondition(Int(cl) == h.contentLength, "Content-Length \(cl) vs \(h.contentLength)") }
        _ = h.expectsContinue
    case .failure(let refusal):
        precondition([400, 411, 413, 505].contains(refusal.status), "status \(refusal.status)")
        precondition(!refusal.message.isEmpty, "refusal without a message")
    }
    _ = HTTPRequestHead.percentDecoded(String(decoding: head, as: UTF8.self))
}

func checkTokens(_ bytes: [UInt8]) {
    guard let file = fopen(tokenPath, "w") else { fatalError("cannot write \(tokenPath)") }
    _ = bytes.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    fclose(file)
    let text = String(decoding: bytes, as: UTF8.self)
    let loaded = Result { () throws(HTTPConfigurationError) in try BearerTokens.load(path: tokenPath) }
    let parsed = Result { () throws(HTTPConfigurationError) in try BearerTokens.parse(text, path: tokenPath) }
    switch (loaded, parsed) {
    case (.success(let tokens), .success(let same)):
        precondition(tokens.count == same.count && tokens.count >= 1)
        var names = Set<String>()
        for entry in tokens.entries {
            precondition(names.insert(entry.principal.name).inserted, "name \(entry.principal.name) twice")
            precondition(entry.token.count >= BearerTokens.minimumLength)
            precondition(tokens.principal(presenting: entry.token) == entry.principal, "a listed token is not recognised")
            precondition(tokens.principal(presenting: entry.token + [0x41]) == nil, "a longer token is recognised")
            precondition(tokens.principal(presenting: entry.token.dropLast()) == nil, "a shorter token is recognised")
        }
        precondition(tokens.principal(presenting: []) == nil)
        _ = tokens.principal(presenting: bytes)
    case (.failure(let a), .failure(let b)):
        precondition(a.description == b.description, "load and parse refuse differently")
        for line in a.description.split(separator: "\n", omittingEmptySubsequences: false) {
            precondition(line.hasPrefix(tokenPath + ":"), "a problem that does not say where: \(line)")
        }
    default:
        fatalError("load and parse disagree: \(loaded) vs \(parsed)")
    }
}

func checkListenAddress(_ text: String) {
    guard let address = ListenAddress(text) else { return }
    precondition(ListenAddress(address.description) == address, "\(address) does not parse back")
    precondition(address.host.utf8.allSatisfy { b in
        (b >= 48 && b <= 57) || (b >= 65 && b <= 70) || (b >= 97 && b <= 102) || b == 46 || b == 58
    }, "accepted host \(address.host.debugDescription)")
    _ = address.isLoopback
}

/// Sends `bytes` to the server, half-closes, and reads the answer until the server closes.
func exchange(_ bytes: [UInt8], to server: HTTPServer) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    precondition(fd >= 0)
    defer { close(fd) }
    var timeout = timeval(tv_sec: 5, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = server.port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    precondition(connected == 0, "cannot connect to the server: \(String(cString: strerror(errno)))")
    var sent = 0
    while sent < bytes.count {
        let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { break }   // the server answered and closed early
        sent += n
    }
    shutdown(fd, Int32(SHUT_WR))
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16384)
    while true {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n < 0 && errno == EINTR { continue }
        if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) { fatalError("the server did not answer or close within 5 s") }
        if n <= 0 { break }
        answer += buffer[0 ..< n]
    }
    // Either no answer (the request never completed before the half-close) or a whole status line.
    if !answer.isEmpty {
        let text = String(decoding: answer.prefix(13), as: UTF8.self)
        precondition(text.hasPrefix("HTTP/1.1 ") && text.count >= 12 && text.dropFirst(9).prefix(3).allSatisfy(\.isNumber),
                     "answer does not start with a status line: \(text.debugDescription)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch data[0] % 8 {
    case 0, 1, 2:
        // The second byte scales the body limit: 0, small, or the firewall's 16 MiB.
        let limit = bytes.first.map { [0, Int($0), 1 << 24][Int($0) % 3] } ?? 0
        checkHead(Array(bytes.dropFirst()), maximumBody: limit)
    case 3, 4:
        checkTokens(bytes)
    case 5:
        checkListenAddress(String(decoding: bytes, as: UTF8.self))
    case 6:
        guard bytes.count <= 16384 else { return 0 }
        exchange(bytes, to: server)
    default:
        guard bytes.count <= 16384 else { return 0 }
        exchange(bytes, to: keptServer)
    }
    return 0
}
