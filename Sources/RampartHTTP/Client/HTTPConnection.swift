import CCurl
import FoundationEssentials
import RampartPOSIX
import Synchronization

/// What an HTTP request came back with.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var body: [UInt8]
    /// Header names in lower case.
    public var headers: [String: String]
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// One reusable HTTP/1.1 client connection (libcurl's easy handle: keep-alive, TLS with
/// in-memory PEM credentials), the one HTTP client of every daemon: the Kubernetes watches,
/// the manager's pushes, the firewall's list feeds. Blocking: each thread owns its own.
///
/// ```swift
/// let connection = try HTTPConnection(tls: TLSSettings(certificateAuthority: ca))
/// let response = try connection.request(url: "https://10.0.0.1:6443/version",
///                                       headers: ["Authorization: Bearer \(token)"])
/// ```
public final class HTTPConnection {
    private let handle: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    public let connectTimeout: Double
    /// How long an idle connection may wait and still be reused.
    public static let reuseSeconds = 20.0

    private static let initialized: Bool = { ccurl_global_init() == CURLE_OK }()
    /// libcurl's one-time global set-up has run (it is not thread-safe, so it runs once, here).
    static var libraryReady: Bool { initialized }

    public init(tls: TLSSettings? = nil, connectTimeout: Double = 5) throws(HTTPClientError) {
        guard HTTPConnection.initialized, let handle = curl_easy_init() else {
            throw .configuration("libcurl could not be initialised")
        }
        self.handle = handle
        self.connectTimeout = connectTimeout
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
        _ = ccurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        // A connection idle longer is not reused: Rampart's servers close idle kept
        // connections after 30 s, and a request sent as one closes would fail.
        _ = ccurl_setopt_long(handle, CURLOPT_MAXAGE_CONN, Int(HTTPConnection.reuseSeconds))
        _ = ccurl_setopt_string(handle, CURLOPT_USERAGENT, "rampart/0.1")
        // The API server speaks HTTP/2 too, but one watch per connection keeps a stalled
        // stream from holding up the others.
        _ = ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        // TLS 1.2 at least, as Rampart's own listeners demand (API servers do too).
        _ = ccurl_setopt_long(handle, CURLOPT_SSLVERSION, Int(CURL_SSLVERSION_TLSv1_2))
        if let tls {
            if let ca = tls.certificateAuthority {
                try check(ca.withUnsafeBytes { ccurl_setopt_blob(handle, CURLOPT_CAINFO_BLOB, $0.baseAddress, $0.count) }, "CA bundle")
            }
            if let certificate = tls.clientCertificate {
                try check(certificate.withUnsafeBytes { ccurl_setopt_blob(handle, CURLOPT_SSLCERT_BLOB, $0.baseAddress, $0.count) }, "client certificate")
                _ = ccurl_setopt_string(handle, CURLOPT_SSLCERTTYPE, "PEM")
            }
            if let key = tls.clientKey {
                try check(key.withUnsafeBytes { ccurl_setopt_blob(handle, CURLOPT_SSLKEY_BLOB, $0.baseAddress, $0.count) }, "client key")
                _ = ccurl_setopt_string(handle, CURLOPT_SSLKEYTYPE, "PEM")
            }
            if tls.insecureSkipVerify {
                _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0)
                _ = ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0)
            }
        }
    }

    deinit {
        curl_easy_cleanup(handle)
        errorBuffer.deallocate()
    }

    private func check(_ code: CURLcode, _ what: String) throws(HTTPClientError) {
        guard code == CURLE_OK else {
            throw .configuration("libcurl refused the \(what): \(String(cString: curl_easy_strerror(code)))")
        }
    }

    /// Sends one request and reads the whole response; `timeout` bounds the whole exchange.
    ///
    /// A body over `maxBodyBytes` ends the transfer with a transport error rather than
    /// growing without bound (an API answer is small; a list feed sets its own limit).
    public func request(
        method: String = "GET", url: String, headers: [String] = [], body: [UInt8]? = nil, timeout: Double = 30,
        maxBodyBytes: Int = 1 << 20
    ) throws(HTTPClientError) -> HTTPResponse {
        let state = Transfer(lines: nil)
        state.maxBody = maxBodyBytes
        try perform(method: method, url: url, headers: headers, body: body, state: state) {
            _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Int(timeout * 1000))
            _ = ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 0)
        }
        return HTTPResponse(status: ccurl_response_code(handle), body: state.body, headers: state.headers)
    }

    /// Opens a streaming GET and hands every complete line of a 2xx body to `onLine` until
    /// the server ends the stream, `onLine` returns false, `stop` is set, or nothing at all
    /// arrives for `stallTimeout` seconds. A non-2xx answer is returned with its body.
    public func stream(
        url: String, headers: [String] = [], stallTimeout: Double, stop: StopSignal? = nil,
        onLine: @escaping ([UInt8]) -> Bool
    ) throws(HTTPClientError) -> HTTPResponse {
        let state = Transfer(lines: onLine)
        state.stop = stop
        try perform(method: "GET", url: url, headers: headers, body: nil, state: state) {
            _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, 0)
            // libcurl aborts when fewer than 1 byte/s arrive for `stallTimeout` seconds. A
            // watch may be silent until its timeoutSeconds: the caller sets it above that.
            _ = ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_LIMIT, 1)
            _ = ccurl_setopt_long(handle, CURLOPT_LOW_SPEED_TIME, max(1, Int(stallTimeout.rounded(.up))))
        }
        return HTTPResponse(status: ccurl_response_code(handle), body: state.body, headers: state.headers)
    }

    private func perform(
        method: String, url: String, headers: [String], body: [UInt8]?, state: Transfer, configure: () -> Void
    ) throws(HTTPClientError) {
        errorBuffer[0] = 0
        _ = ccurl_setopt_string(handle, CURLOPT_URL, url)
        configure()
        var list: UnsafeMutablePointer<curl_slist>?
        for header in headers { list = curl_slist_append(list, header) }
        if body != nil { list = curl_slist_append(list, "Content-Type: application/json") }
        list = curl_slist_append(list, "Accept: application/json")
        defer { curl_slist_free_all(list) }
        _ = ccurl_setopt_pointer(handle, CURLOPT_HTTPHEADER, list)
        _ = ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
        let payload = body ?? []
        let code: CURLcode = payload.withUnsafeBytes { bytes in
            if body != nil {
                _ = ccurl_setopt_long(handle, CURLOPT_POST, 1)
                _ = ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, bytes.count)
                _ = ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress))
            } else {
                _ = ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
            }
            let context = Unmanaged.passUnretained(state).toOpaque()
            _ = ccurl_setopt_write(handle, transferWrite, context)
            _ = ccurl_setopt_header(handle, transferHeader, context)
            _ = ccurl_setopt_progress(handle, transferProgress, context)
            let result = curl_easy_perform(handle)
            _ = ccurl_setopt_pointer(handle, CURLOPT_POSTFIELDS, nil)
            return result
        }
        if code == CURLE_OK || (code == CURLE_WRITE_ERROR && state.endedByReader) { return }
        if code == CURLE_WRITE_ERROR && state.overflowed {
            throw .transport(url: url, detail: "the answer is over \(state.maxBody) bytes")
        }
        if code == CURLE_ABORTED_BY_CALLBACK, state.stop?.isStopped == true { return }
        let detail = errorBuffer[0] != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(code))
        throw .transport(url: url, detail: code == CURLE_OPERATION_TIMEDOUT && state.received > 0
                         ? "the stream stalled (\(detail))" : detail)
    }
}

/// Per-request state the C callbacks reach through their context pointer.
private final class Transfer {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
    var pending: [UInt8] = []
    var received = 0
    var endedByReader = false
    /// The most a plain request's body may hold; 2xx bodies past it end the transfer.
    var maxBody = 1 << 20
    var overflowed = false
    var statusHint = 0
    let lines: (([UInt8]) -> Bool)?
    var stop: StopSignal?

    init(lines: (([UInt8]) -> Bool)?) { self.lines = lines }

    func receive(_ bytes: UnsafeRawBufferPointer, status: Int) -> Bool {
        received += bytes.count
        guard let lines else {
            if body.count + bytes.count > maxBody {
                // Error bodies are small Status objects: keep their start and read on. A 2xx body
                // over the limit ends the transfer.
                guard (200..<300).contains(status) else { return true }
                overflowed = true
                return false
            }
            body.append(contentsOf: bytes)
            return true
        }
        guard (200..<300).contains(status) else {
            if body.count < 1 << 20 { body.append(contentsOf: bytes) }
            return true
        }
        pending.append(contentsOf: bytes)
        var start = 0
        while let newline = pending[start...].firstIndex(of: 0x0A) {
            let line = Array(pending[start..<newline])
            start = newline + 1
            if !line.isEmpty && !lines(line) {
                endedByReader = true
                return false
            }
        }
        pending.removeFirst(start)
        if pending.count > 64 << 20 { return false }  // one object over 64 MiB: not the API
        return true
    }
}

private let transferWrite: ccurl_write_callback = { data, size, count, context in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard let data else { return length }
    // The response code is known once the headers are in, before the first body byte.
    let ok = transfer.receive(UnsafeRawBufferPointer(start: data, count: length), status: transfer.statusHint)
    return ok ? length : 0
}

private let transferHeader: ccurl_write_callback = { data, size, count, context in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    let length = size * count
    guard let data else { return length }
    let line = String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    if line.hasPrefix("HTTP/") {
        transfer.headers = [:]
        let parts = line.split(separator: " ")
        transfer.statusHint = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
    } else if let colon = line.firstIndex(of: ":") {
        let name = line[..<colon].lowercased()
        let value = line[line.index(after: colon)...].trimming(.whitespacesAndNewlines)
        transfer.headers[name] = value
    }
    return length
}

private let transferProgress: ccurl_progress_callback = { context, _, _, _, _ in
    let transfer = Unmanaged<Transfer>.fromOpaque(context!).takeUnretainedValue()
    return transfer.stop?.isStopped == true ? 1 : 0
}

