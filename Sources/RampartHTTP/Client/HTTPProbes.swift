import CCurl
import FoundationEssentials

/// Many small GETs in flight at once on one thread (libcurl's multi interface: non-blocking
/// sockets under one `poll`), for health checks: a probe that hangs until its timeout does
/// not hold up the answers of the others, each of which is reported as soon as it is in.
/// Only the status line counts; bodies are read and discarded.
///
/// Not thread-safe: one thread owns the set and calls `start` and `poll`.
///
/// ```swift
/// let probes = try HTTPProbes()
/// probes.start(1, url: "http://10.0.0.50:9681/readyz", timeout: 0.5)
/// probes.start(2, url: "http://10.0.0.51:9681/readyz", timeout: 0.5)
/// while !probes.inFlight.isEmpty {
///     for done in probes.poll(wait: 0.1) { print(done.id, done.outcome) }   // 200, 503, or why none
/// }
/// ```
public final class HTTPProbes {
    /// One finished probe: the status it answered, or why there was none.
    public struct Completion: Sendable {
        public var id: Int
        public var url: String
        public var outcome: Result<Int, HTTPClientError>
    }

    private struct Probe {
        var id: Int
        var url: String
        var errorBuffer: UnsafeMutablePointer<CChar>
    }

    private let multi: UnsafeMutableRawPointer
    /// Easy handles in flight, by their address.
    private var probes: [UnsafeMutableRawPointer: Probe] = [:]

    public init() throws(HTTPClientError) {
        guard HTTPConnection.libraryReady, let multi = curl_multi_init() else {
            throw .configuration("libcurl could not be initialised")
        }
        self.multi = multi
    }

    deinit {
        for handle in Array(probes.keys) { finish(handle) }
        curl_multi_cleanup(multi)
    }

    /// The ids of the probes still waiting for an answer.
    public var inFlight: [Int] { probes.values.map(\.id) }

    /// Starts `GET url`; `timeout` bounds the whole exchange, connecting included. A probe
    /// that cannot even start completes at the next `poll` with the reason.
    public func start(_ id: Int, url: String, timeout: Double) {
        guard let handle = curl_easy_init() else {
            failed.append(Completion(id: id, url: url, outcome: .failure(.configuration("libcurl could not start a probe"))))
            return
        }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        let milliseconds = max(1, Int(timeout * 1000))
        _ = ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        _ = ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, milliseconds)
        _ = ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, milliseconds)
        _ = ccurl_setopt_long(handle, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1)
        _ = ccurl_setopt_string(handle, CURLOPT_USERAGENT, "rampart/0.1")
        _ = ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        // Without a write function libcurl would print the body on standard output.
        _ = ccurl_setopt_write(handle, discardBody, nil)
        _ = ccurl_setopt_string(handle, CURLOPT_URL, url)
        probes[handle] = Probe(id: id, url: url, errorBuffer: errorBuffer)
        if curl_multi_add_handle(multi, handle) != CURLM_OK {
            finish(handle)
            failed.append(Completion(id: id, url: url, outcome: .failure(.configuration("libcurl refused a probe of \(url)"))))
        }
    }

    /// Probes that failed before they were in flight, reported by the next `poll`.
    private var failed: [Completion] = []

    /// Drives every probe in flight, waiting up to `wait` seconds for sockets to become
    /// ready (less when one finishes), and returns those that finished.
    public func poll(wait: Double) -> [Completion] {
        var done = failed
        failed = []
        guard !probes.isEmpty else { return done }
        var running: Int32 = 0
        _ = curl_multi_perform(multi, &running)
        if collect(into: &done) == 0 {
            var ready: Int32 = 0
            _ = curl_multi_poll(multi, nil, 0, Int32(max(0, min(wait, 60)) * 1000), &ready)
            _ = curl_multi_perform(multi, &running)
            collect(into: &done)
        }
        return done
    }

    /// Reads libcurl's finished transfers into `done`; returns how many.
    @discardableResult
    private func collect(into done: inout [Completion]) -> Int {
        var count = 0
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let handle = message.pointee.easy_handle,
                  let probe = probes[handle] else { continue }
            let code = message.pointee.data.result
            let outcome: Result<Int, HTTPClientError>
            if code == CURLE_OK {
                outcome = .success(ccurl_response_code(handle))
            } else {
                let detail = probe.errorBuffer[0] != 0 ? String(cString: probe.errorBuffer) : String(cString: curl_easy_strerror(code))
                outcome = .failure(.transport(url: probe.url, detail: detail))
            }
            done.append(Completion(id: probe.id, url: probe.url, outcome: outcome))
            finish(handle)
            count += 1
        }
        return count
    }

    private func finish(_ handle: UnsafeMutableRawPointer) {
        _ = curl_multi_remove_handle(multi, handle)
        curl_easy_cleanup(handle)
        probes.removeValue(forKey: handle)?.errorBuffer.deallocate()
    }
}

private let discardBody: ccurl_write_callback = { _, size, count, _ in size * count }
