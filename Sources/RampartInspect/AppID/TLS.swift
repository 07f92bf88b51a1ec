import RampartPolicy
import RampartWire

/// TLS: recognised by a handshake record (content type 22, record version 0x0301–0x0304,
/// a sane length) carrying a ClientHello whose fields all agree with its declared lengths;
/// the ClientHello may span several records, up to the 4096-byte budget. When only the
/// server's side was seen, a ServerHello proves TLS as well. SSLv2-compatible hellos are
/// not TLS here.
///
/// Extracts SNI (`tlsSNI`), ALPN (`tlsALPN`), the version (`tlsVersion`: the client's
/// highest offered, replaced by the server's choice when the ServerHello is there), the
/// JA4 fingerprint (`tlsJA4`), and for TLS ≤ 1.2 the leaf certificate's subject CN
/// (`tlsSubject`); `detail["tls.cipher"]` holds the chosen suite (hex).
///
/// The application is `ssl`, refined by SNI: `kubernetes-api` for the in-cluster names of
/// the API server (`kubernetes`, `kubernetes.default`, `kubernetes.default.svc`,
/// `kubernetes.default.svc.<cluster domain>`) and for managed control planes
/// (`*.eks.amazonaws.com`, `*.azmk8s.io`), or with no SNI when the server's certificate CN
/// is `kube-apiserver` (kubeadm's name, visible in TLS ≤ 1.2 only); `openai-api` for
/// `api.openai.com`; `anthropic-api` for `api.anthropic.com`. ALPN `h2` alone does not make
/// `http2`: the content stays invisible.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if case .identified(let app) = TLS.probe(prefix, into: &metadata) {
///     print(ApplicationCatalog.name(of: app), metadata.tlsSNI ?? "-", metadata.tlsJA4 ?? "-")
/// }
/// ```
enum TLS {
    static let application = ApplicationCatalog.id(named: "ssl")!
    static let kubernetesAPI = ApplicationCatalog.id(named: "kubernetes-api")!
    static let openAIAPI = ApplicationCatalog.id(named: "openai-api")!
    static let anthropicAPI = ApplicationCatalog.id(named: "anthropic-api")!

    /// Bytes of each direction examined before answering for good.
    static let budget = 4096
    /// The largest record a peer may send (2^14 plus the TLS 1.2 expansion allowance).
    static let maximumRecordLength = 16384 + 2048

    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let client = prefix.toServer
        if client.isEmpty {
            // Only the server's side (a capture that began late): a ServerHello proves TLS.
            return serverOnly(prefix, into: &metadata)
        }
        switch recordHeaderCheck(client, handshakeType: 1) {
        case .invalid: return .notThis
        case .short: return prefix.toServerComplete ? .notThis : .needMore
        case .plausible: break
        }
        let handshake = handshakeBytes(client)
        guard handshake.valid else { return .notThis }
        return handshake.bytes.withUnsafeBytes { bytes -> ProbeResult in
            var c = ProbeCursor(bytes)
            guard let type = c.u8(), let length = c.u24() else {
                return exhausted(client, prefix.toServerComplete) ? .notThis : .needMore
            }
            guard type == 1, length >= 38, length <= 0xFFFF else { return .notThis }
            let body = UnsafeRawBufferPointer(rebasing: bytes[c.offset..<min(bytes.count, c.offset + length)])
            guard let hello = TLSClientHello.parse(body, declaredLength: length) else { return .notThis }
            if !hello.isComplete {
                guard exhausted(client, prefix.toServerComplete) else { return .needMore }
                // Cut by the budget: the record layer and the fixed fields agree, so it is TLS.
                guard !hello.cipherSuites.isEmpty else { return .notThis }
            }
            describe(hello, into: &metadata)
            observeServer(prefix.toClient, into: &metadata)
            return .identified(application(for: hello.serverName, subject: metadata.tlsSubject))
        }
    }

    /// Fills server-side facts (chosen version and cipher, ALPN, TLS ≤ 1.2 leaf subject) from
    /// the server's first bytes. Cold path: the engine may call it again when more server
    /// bytes arrive after the session was identified.
    ///
    /// ```swift
    /// TLS.observeServer(prefix.toClient, into: &metadata)   // metadata.tlsSubject == "kube-apiserver"
    /// ```
    static func observeServer(_ server: UnsafeRawBufferPointer, into metadata: inout ApplicationMetadata) {
        guard recordHeaderCheck(server, handshakeType: 2) == .plausible else { return }
        let handshake = handshakeBytes(server, budget: maximumRecordLength)
        guard handshake.valid else { return }
        handshake.bytes.withUnsafeBytes { bytes in
            var c = ProbeCursor(bytes)
            var version: UInt16 = 0
            var messages = 0
            while messages < 8, let type = c.u8(), let length = c.u24() {
                messages += 1
                if type == 2 {   // ServerHello: needs the whole message
                    guard let body = c.take(length), let hello = TLSServerHello.parse(body) else { return }
                    version = hello.version
                    metadata.tlsVersion = versionName(version)
                    metadata.detail["tls.cipher"] = ProbeText.hex4(hello.cipherSuite)
                    if metadata.tlsALPN.isEmpty, let alpn = hello.alpn { metadata.tlsALPN = [alpn] }
                    if version >= 0x0304 { return }   // the rest is encrypted
                } else if type == 11 {   // Certificate (TLS ≤ 1.2): only the leaf is needed
                    var m = ProbeCursor(UnsafeRawBufferPointer(rebasing: bytes[c.offset...]))
                    guard let listLength = m.u24(), listLength <= length, let leafLength = m.u24(),
                          leafLength <= listLength, let leaf = m.take(leafLength) else { return }
                    if let cn = TLSCertificate.subjectCommonName(leaf) { metadata.tlsSubject = cn }
                    return
                } else {
                    guard c.skip(length) else { return }
                }
            }
        }
    }

    /// The application an SNI (or, without SNI, a certificate subject) names.
    static func application(for serverName: String?, subject: String?) -> ApplicationID {
        guard let serverName else {
            return subject == "kube-apiserver" ? kubernetesAPI : application
        }
        var name = serverName.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        switch name {
        case "kubernetes", "kubernetes.default", "kubernetes.default.svc": return kubernetesAPI
        case "api.openai.com": return openAIAPI
        case "api.anthropic.com": return anthropicAPI
        default: break
        }
        if name.hasPrefix("kubernetes.default.svc.") || name.hasSuffix(".eks.amazonaws.com")
            || name.hasSuffix(".azmk8s.io") {
            return kubernetesAPI
        }
        return application
    }

    /// The EVE-style name of a protocol version ("TLS 1.3"), or hex for unknown values.
    static func versionName(_ version: UInt16) -> String {
        switch version {
        case 0x0300: return "SSL 3.0"
        case 0x0301: return "TLS 1.0"
        case 0x0302: return "TLS 1.1"
        case 0x0303: return "TLS 1.2"
        case 0x0304: return "TLS 1.3"
        default: return "0x" + ProbeText.hex4(version)
        }
    }

    // MARK: - Records

    enum HeaderCheck { case invalid, short, plausible }

    /// The first record must be a handshake record with a TLS version and a sane length,
    /// and (when present) its first handshake message of `handshakeType`. A few byte
    /// comparisons: this is what rejects every other protocol.
    static func recordHeaderCheck(_ bytes: UnsafeRawBufferPointer, handshakeType: UInt8) -> HeaderCheck {
        guard bytes.count >= 1 else { return .short }
        guard bytes[0] == 22 else { return .invalid }
        if bytes.count >= 2, bytes[1] != 3 { return .invalid }
        if bytes.count >= 3, bytes[2] < 1 || bytes[2] > 4 { return .invalid }
        guard bytes.count >= 5 else { return .short }
        let length = Int(bytes[3]) << 8 | Int(bytes[4])
        guard length >= 4, length <= maximumRecordLength else { return .invalid }
        guard bytes.count >= 6 else { return .short }
        return bytes[5] == handshakeType ? .plausible : .invalid
    }

    /// The concatenated payloads of the leading handshake records within `budget` bytes.
    /// `valid` is false when a record header is not TLS; a final partial record contributes
    /// what it has (the handshake parser then sees a truncated message).
    static func handshakeBytes(_ stream: UnsafeRawBufferPointer, budget: Int = budget) -> (bytes: [UInt8], valid: Bool) {
        var out: [UInt8] = []
        var c = ProbeCursor(UnsafeRawBufferPointer(rebasing: stream.prefix(budget)))
        var records = 0
        while c.remaining >= 5, records < 64 {
            records += 1
            let type = c.peek(0)!, major = c.peek(1)!, minor = c.peek(2)!
            guard major == 3, minor >= 1, minor <= 4 else { return (out, false) }
            guard type == 22 else {
                // ChangeCipherSpec, alert, application data: the handshake prefix ends here.
                return (out, type >= 20 && type <= 24)
            }
            _ = c.skip(3)
            let length = Int(c.u16()!)
            guard length >= 1, length <= maximumRecordLength else { return (out, false) }
            let available = min(length, c.remaining)
            out.append(contentsOf: c.take(available)!)
        }
        return (out, true)
    }

    /// True when no more client bytes will help: the direction ended or the budget is spent.
    private static func exhausted(_ bytes: UnsafeRawBufferPointer, _ complete: Bool) -> Bool {
        complete || bytes.count >= budget
    }

    /// TLS seen from the server's side only.
    private static func serverOnly(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        let server = prefix.toClient
        switch recordHeaderCheck(server, handshakeType: 2) {
        case .invalid: return .notThis
        case .short:
            return prefix.toClientComplete || (server.isEmpty && prefix.toServerComplete) ? .notThis : .needMore
        case .plausible: break
        }
        let handshake = handshakeBytes(server)
        guard handshake.valid else { return .notThis }
        let parsed: TLSServerHello?? = handshake.bytes.withUnsafeBytes { bytes in
            var c = ProbeCursor(bytes)
            guard c.u8() != nil, let length = c.u24() else { return nil }   // need more
            guard length >= 38, length <= 0xFFFF else { return .some(nil) }
            guard let body = c.take(length) else { return nil }   // need more
            return .some(TLSServerHello.parse(body))
        }
        switch parsed {
        case .none: return exhausted(server, prefix.toClientComplete) ? .notThis : .needMore
        case .some(.none): return .notThis
        case .some(.some): break
        }
        observeServer(server, into: &metadata)
        return .identified(application(for: nil, subject: metadata.tlsSubject))
    }

    /// Client-side metadata from a ClientHello.
    private static func describe(_ hello: TLSClientHello, into metadata: inout ApplicationMetadata) {
        metadata.tlsSNI = hello.serverName
        metadata.tlsALPN = hello.alpn
        metadata.tlsVersion = versionName(hello.offeredVersion)
        if hello.isComplete {
            metadata.tlsJA4 = JA4.fingerprint(hello)
            if metadata.wantsJA3 {
                let ja3 = JA3.string(hello)
                metadata.tlsJA3 = ja3
                metadata.tlsJA3Hash = JA3.hash(ja3)
            }
        }
    }
}
