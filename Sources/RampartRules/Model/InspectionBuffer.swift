/// A buffer a rule's match steps run over: the packet payload or reassembled stream, or a
/// field an App-ID decoder extracted (Suricata's sticky buffers and legacy content modifiers).
///
/// The raw value is Suricata 7's keyword for the buffer; `BufferKeyword` maps every
/// spelling (dotted names, legacy underscore names, aliases, content modifiers) to one case.
public enum InspectionBuffer: String, Hashable, Sendable, CaseIterable {
    /// The packet's payload or the reassembled stream (no sticky buffer, or `pkt_data`).
    case payload = "pkt_data"
    case httpURI = "http.uri"
    case httpURIRaw = "http.uri.raw"
    case httpMethod = "http.method"
    case httpRequestLine = "http.request_line"
    case httpRequestBody = "http.request_body"
    case httpResponseBody = "http.response_body"
    case httpHeader = "http.header"
    case httpHeaderRaw = "http.header.raw"
    case httpCookie = "http.cookie"
    case httpUserAgent = "http.user_agent"
    case httpHost = "http.host"
    case httpHostRaw = "http.host.raw"
    case httpAccept = "http.accept"
    case httpAcceptEncoding = "http.accept_enc"
    case httpAcceptLanguage = "http.accept_lang"
    case httpConnection = "http.connection"
    case httpContentType = "http.content_type"
    case httpContentLength = "http.content_len"
    case httpHeaderNames = "http.header_names"
    case httpLocation = "http.location"
    case httpProtocol = "http.protocol"
    case httpReferer = "http.referer"
    case httpRequestHeader = "http.request_header"
    case httpResponseHeader = "http.response_header"
    case httpResponseLine = "http.response_line"
    case httpServer = "http.server"
    case httpStart = "http.start"
    case httpStatCode = "http.stat_code"
    case httpStatMessage = "http.stat_msg"
    /// File contents: HTTP bodies (request and response, de-chunked and decompressed),
    /// SMTP attachments, and other protocols' files.
    case fileData = "file.data"
    case fileName = "file.name"
    case tlsSNI = "tls.sni"
    case tlsCertSubject = "tls.cert_subject"
    case tlsCertIssuer = "tls.cert_issuer"
    case tlsCertSerial = "tls.cert_serial"
    case tlsCertFingerprint = "tls.cert_fingerprint"
    /// Each certificate of the chain, in turn (multi-instance).
    case tlsCerts = "tls.certs"
    case ja3Hash = "ja3.hash"
    case ja3String = "ja3.string"
    case ja3sHash = "ja3s.hash"
    case ja3sString = "ja3s.string"
    case ja4Hash = "ja4.hash"
    case dnsQuery = "dns.query"
    case sshProto = "ssh.proto"
    case sshSoftware = "ssh.software"
    case sshHassh = "ssh.hassh"
    case sshHasshString = "ssh.hassh.string"
    case sshHasshServer = "ssh.hassh.server"
    case sshHasshServerString = "ssh.hassh.server.string"
    case smbNamedPipe = "smb.named_pipe"
    case smbShare = "smb.share"
    case krb5CName = "krb5.cname"
    case krb5SName = "krb5.sname"
    case dcerpcStubData = "dcerpc.stub_data"
    case snmpCommunity = "snmp.community"
    case quicSNI = "quic.sni"
    case quicUA = "quic.ua"
    case quicVersion = "quic.version"
    case sipMethod = "sip.method"
    case sipURI = "sip.uri"
    /// The output of the last `base64_decode` of the rule.
    case base64Data = "base64_data"

    /// Which side's data the buffer holds.
    public enum Side: Hashable, Sendable { case toServer, toClient, both }

    /// The application protocol the buffer belongs to; nil for the payload, `file.data`
    /// and `base64_data`, which several protocols feed.
    public var application: AppLayerProtocol? {
        switch self {
        case .payload, .fileData, .fileName, .base64Data: nil
        case .tlsSNI, .tlsCertSubject, .tlsCertIssuer, .tlsCertSerial, .tlsCertFingerprint, .tlsCerts,
             .ja3Hash, .ja3String, .ja3sHash, .ja3sString, .ja4Hash: .tls
        case .dnsQuery: .dns
        case .sshProto, .sshSoftware, .sshHassh, .sshHasshString, .sshHasshServer, .sshHasshServerString: .ssh
        case .smbNamedPipe, .smbShare: .smb
        case .krb5CName, .krb5SName: .krb5
        case .dcerpcStubData: .dcerpc
        case .snmpCommunity: .snmp
        case .quicSNI, .quicUA, .quicVersion: .quic
        case .sipMethod, .sipURI: .sip
        case .httpStart, .httpRequestLine, .httpResponseLine, .httpHeaderRaw: .http1
        default: .http
        }
    }

    /// The direction of the data; Suricata refuses a rule whose buffers need both.
    public var side: Side {
        switch self {
        case .httpURI, .httpURIRaw, .httpMethod, .httpRequestLine, .httpRequestBody,
             .httpUserAgent, .httpHost, .httpHostRaw, .httpAccept, .httpAcceptEncoding,
             .httpAcceptLanguage, .httpReferer, .httpRequestHeader, .tlsSNI, .ja3Hash, .ja3String,
             .ja4Hash, .sshHassh, .sshHasshString, .krb5SName, .quicSNI, .quicUA, .sipMethod, .sipURI:
            .toServer
        case .httpResponseBody, .httpLocation, .httpResponseHeader, .httpResponseLine, .httpServer,
             .httpStatCode, .httpStatMessage, .tlsCertSubject, .tlsCertIssuer, .tlsCertSerial,
             .tlsCertFingerprint, .tlsCerts, .ja3sHash, .ja3sString, .sshHasshServer, .sshHasshServerString:
            .toClient
        default: .both
        }
    }

    /// Suricata's multi-pattern-matcher priority for the buffer: when a rule names no
    /// `fast_pattern`, its pattern is taken from the buffers with the lowest value
    /// (`DetectAppLayerMpmRegister` priorities; the payload is 3).
    public var fastPatternPriority: Int {
        switch self {
        case .payload, .httpStatMessage: 3
        case .httpMethod, .httpStatCode: 4
        case .base64Data: 99  // no multi-pattern matching on decoded data
        default: 2
        }
    }

    /// Suricata 7 keeps `http.response_body` in the `file.data` list (to-client HTTP only).
    var list: InspectionBuffer { self == .httpResponseBody ? .fileData : self }

    /// Whether a multi-pattern prefilter can run on the buffer.
    public var supportsFastPattern: Bool { self != .base64Data && self != .fileName }

    /// Buffers that hold several values in turn (each inspected on its own).
    public var isMultiInstance: Bool { self == .tlsCerts || self == .httpRequestHeader || self == .httpResponseHeader }

    /// The decoder lower-cases this buffer (Suricata refuses patterns with capitals or `nocase`).
    public var isLowercased: Bool { self == .httpHost }
}

/// How a keyword names a buffer: a sticky buffer (every later match keyword applies to it,
/// until the next sticky buffer or `pkt_data`), or a legacy content modifier (moves the
/// content just before it into the buffer).
public enum BufferKeyword: Sendable {
    case sticky(InspectionBuffer)
    case contentModifier(InspectionBuffer)

    /// Every spelling Suricata 7 accepts, and what it means.
    public static let table: [String: BufferKeyword] = {
        var t: [String: BufferKeyword] = [:]
        for b in InspectionBuffer.allCases { t[b.rawValue] = .sticky(b) }
        let stickyAliases: [String: InspectionBuffer] = [
            "http.uri.normalized": .httpURI, "file_data": .fileData, "dns_query": .dnsQuery,
            "tls_sni": .tlsSNI, "tls_cert_subject": .tlsCertSubject, "tls_cert_issuer": .tlsCertIssuer,
            "tls_cert_serial": .tlsCertSerial, "tls_cert_fingerprint": .tlsCertFingerprint,
            "ja3_hash": .ja3Hash, "ja3_string": .ja3String, "ja4_hash": .ja4Hash,
            "http_request_line": .httpRequestLine, "http_response_line": .httpResponseLine,
            "http_accept": .httpAccept, "http_accept_enc": .httpAcceptEncoding,
            "http_accept_lang": .httpAcceptLanguage, "http_connection": .httpConnection,
            "http_content_type": .httpContentType, "http_content_len": .httpContentLength,
            "http_header_names": .httpHeaderNames, "http_protocol": .httpProtocol,
            "http_referer": .httpReferer, "http_start": .httpStart,
            "ssh_proto": .sshProto, "ssh_software": .sshSoftware, "ssh-hassh": .sshHassh,
            "ssh-hassh-string": .sshHasshString, "ssh-hassh-server": .sshHasshServer,
            "ssh-hassh-server-string": .sshHasshServerString, "smb_named_pipe": .smbNamedPipe,
            "smb_share": .smbShare, "krb5_cname": .krb5CName, "krb5_sname": .krb5SName,
            "dce_stub_data": .dcerpcStubData,
        ]
        for (k, b) in stickyAliases { t[k] = .sticky(b) }
        let modifiers: [String: InspectionBuffer] = [
            "http_uri": .httpURI, "http_raw_uri": .httpURIRaw, "http_method": .httpMethod,
            "http_client_body": .httpRequestBody, "http_server_body": .httpResponseBody,
            "http_header": .httpHeader, "http_raw_header": .httpHeaderRaw, "http_cookie": .httpCookie,
            "http_user_agent": .httpUserAgent, "http_host": .httpHost, "http_raw_host": .httpHostRaw,
            "http_stat_code": .httpStatCode, "http_stat_msg": .httpStatMessage,
        ]
        for (k, b) in modifiers { t[k] = .contentModifier(b) }
        return t
    }()
}

/// A transform applied to a sticky buffer before its match steps (Suricata 7 transforms).
public enum BufferTransform: Hashable, Sendable, CustomStringConvertible {
    case dotPrefix
    case stripWhitespace
    case compressWhitespace
    case toLowercase
    case toUppercase
    case toMD5
    case toSHA1
    case toSHA256
    case urlDecode
    case headerLowercase
    case stripPseudoHeaders
    /// XOR with the key, repeated.
    case xor(key: [UInt8])
    /// Replace the buffer with the first capture of the expression.
    case pcreTransform(expression: String)

    static let keywords: [String: BufferTransform] = [
        "dotprefix": .dotPrefix, "strip_whitespace": .stripWhitespace,
        "compress_whitespace": .compressWhitespace, "to_lowercase": .toLowercase,
        "to_uppercase": .toUppercase, "to_md5": .toMD5, "to_sha1": .toSHA1, "to_sha256": .toSHA256,
        "url_decode": .urlDecode, "header_lowercase": .headerLowercase,
        "strip_pseudo_headers": .stripPseudoHeaders,
    ]

    public var description: String {
        switch self {
        case .dotPrefix: "dotprefix"
        case .stripWhitespace: "strip_whitespace"
        case .compressWhitespace: "compress_whitespace"
        case .toLowercase: "to_lowercase"
        case .toUppercase: "to_uppercase"
        case .toMD5: "to_md5"
        case .toSHA1: "to_sha1"
        case .toSHA256: "to_sha256"
        case .urlDecode: "url_decode"
        case .headerLowercase: "header_lowercase"
        case .stripPseudoHeaders: "strip_pseudo_headers"
        case .xor: "xor"
        case .pcreTransform: "pcrexform"
        }
    }

    /// Why a (non-negated) content can never match after this transform, or nil
    /// (Suricata's `TransformValidate` callbacks).
    func refusal(for content: [UInt8]) -> String? {
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        switch self {
        case .stripWhitespace where content.contains(where: isSpace):
            return "content has whitespace, which strip_whitespace removes"
        case .compressWhitespace:
            for i in content.indices.dropLast() where isSpace(content[i]) && isSpace(content[i + 1]) {
                return "content has consecutive whitespace, which compress_whitespace collapses"
            }
            return nil
        case .toLowercase where content.contains(where: { (0x41...0x5A).contains($0) }):
            return "content has capitals, which to_lowercase removes"
        case .toUppercase where content.contains(where: { (0x61...0x7A).contains($0) }):
            return "content has lowercase letters, which to_uppercase removes"
        default:
            return nil
        }
    }
}
