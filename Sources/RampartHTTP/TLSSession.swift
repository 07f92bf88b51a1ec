import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// One accepted connection's TLS, driven by the server's poll loop: every call returns at
/// once, saying what it did or what the socket must become ready for before it can go on
/// (OpenSSL's WANT_READ / WANT_WRITE), so a client that stalls mid-handshake costs a
/// descriptor and a little memory, never a thread, and the loop's deadlines bound it.
///
/// Only the poll loop's thread uses a session (OpenSSL's error queue is per thread).
final class TLSSession {
    private let ssl: OpaquePointer
    /// The handshake completed.
    private(set) var established = false
    /// The verified client certificate's identity (subject CN, else first DNS name; "" for a
    /// certificate that names neither); nil when the client sent none.
    private(set) var peerIdentity: String?

    init?(context: OpaquePointer, fd: Int32) {
        guard let ssl = SSL_new(context) else { return nil }
        self.ssl = ssl
        SSL_set_fd(ssl, fd)
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    /// What an operation needs before it can go on, or how it ended.
    enum Progress: Equatable {
        case done(Int)
        case wantRead
        case wantWrite
        /// The peer closed (cleanly or not).
        case closed
        /// A protocol error; `plaintextHTTP`: the client spoke HTTP without TLS.
        case failed(reason: String, plaintextHTTP: Bool)
    }

    /// Advances the handshake; `.done(0)` once it completed (the identity is then known).
    func handshake() -> Progress {
        ERR_clear_error()
        let result = SSL_do_handshake(ssl)
        if result == 1 {
            established = true
            peerIdentity = verifiedPeerIdentity()
            return .done(0)
        }
        return progress(result)
    }

    /// Up to `buffer.count` decrypted bytes.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Progress {
        ERR_clear_error()
        let n = SSL_read(ssl, buffer.baseAddress, Int32(min(buffer.count, Int(Int32.max))))
        return n > 0 ? .done(Int(n)) : progress(n)
    }

    /// Encrypts and sends some of `bytes` (partial writes are on); a retry after
    /// `.wantWrite`/`.wantRead` must offer the same bytes again (it may be from a moved buffer).
    func write(_ bytes: UnsafeRawBufferPointer) -> Progress {
        guard bytes.count > 0 else { return .done(0) }
        ERR_clear_error()
        let n = SSL_write(ssl, bytes.baseAddress, Int32(min(bytes.count, Int(Int32.max))))
        return n > 0 ? .done(Int(n)) : progress(n)
    }

    /// Sends close_notify once (best effort, non-blocking) so the client sees a clean end of
    /// the answer rather than a truncation.
    func shutdown() {
        guard established else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    private func progress(_ result: Int32) -> Progress {
        let code = SSL_get_error(ssl, result)
        switch code {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .closed
        case SSL_ERROR_SYSCALL:
            let saved = errno
            ERR_clear_error()
            // EOF or a reset: the peer went away.
            if saved == EAGAIN || saved == EINTR { return .wantRead }
            return .closed
        default:
            let first = ERR_peek_error()
            let plaintext = rampart_err_is_http_request(first) != 0
            return .failed(reason: openSSLErrors(), plaintextHTTP: plaintext)
        }
    }

    /// The identity of the client's certificate when OpenSSL verified it against the client CA.
    private func verifiedPeerIdentity() -> String? {
        guard let certificate = rampart_ssl_peer_certificate(ssl) else { return nil }
        defer { X509_free(certificate) }
        guard SSL_get_verify_result(ssl) == X509_V_OK else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        if rampart_x509_common_name(certificate, &buffer, Int32(buffer.count)) > 0 {
            return String(cString: buffer)
        }
        if rampart_x509_first_dns_name(certificate, &buffer, Int32(buffer.count)) > 0 {
            return String(cString: buffer)
        }
        return ""
    }
}
