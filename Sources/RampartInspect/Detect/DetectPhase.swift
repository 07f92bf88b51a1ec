import RampartRules

/// When application buffers are inspected: each point of a session where a set of sticky
/// buffers is complete. A rule runs at the first phase of its direction that holds every
/// buffer it reads (Suricata's transaction progress, reduced to the points Rampart's
/// decoders reach): request headers, then the request with its body; likewise for the
/// response; a TLS ClientHello; a DNS query.
@usableFromInline
enum DetectPhase: Int, Sendable, CaseIterable {
    case httpRequest = 0
    case httpRequestBody
    case httpResponse
    case httpResponseBody
    case tlsClientHello
    case dnsQuery
    /// The server's leaf certificate (TLS 1.2 and earlier: 1.3 encrypts it).
    case tlsServerCertificate
    /// Each certificate of the server's chain in turn (`tls.certs`, a multi-instance buffer).
    case tlsCertificateChain

    var side: FlowCondition.Side {
        switch self {
        case .httpRequest, .httpRequestBody, .tlsClientHello, .dnsQuery: .toServer
        case .httpResponse, .httpResponseBody, .tlsServerCertificate, .tlsCertificateChain: .toClient
        }
    }

    var application: DetectApplication {
        switch self {
        case .httpRequest, .httpRequestBody, .httpResponse, .httpResponseBody: .http1
        case .tlsClientHello, .tlsServerCertificate, .tlsCertificateChain: .tls
        case .dnsQuery: .dns
        }
    }

    /// The buffers a phase holds. The payload is there too (the stream data that completed
    /// the phase), for rules that mix it with application buffers.
    func holds(_ buffer: InspectionBuffer) -> Bool {
        switch buffer {
        case .payload, .base64Data: return true  // base64_data: what the rule's base64_decode wrote
        case .httpURI, .httpURIRaw, .httpMethod, .httpRequestLine, .httpUserAgent, .httpHost, .httpHostRaw,
             .httpAccept, .httpAcceptEncoding, .httpAcceptLanguage, .httpReferer:
            return self == .httpRequest || self == .httpRequestBody
        case .httpHeader, .httpHeaderRaw, .httpCookie, .httpContentType, .httpContentLength, .httpHeaderNames,
             .httpProtocol, .httpStart, .httpConnection:
            return application == .http1
        case .httpRequestBody: return self == .httpRequestBody
        case .httpStatCode, .httpStatMessage, .httpResponseLine, .httpServer, .httpLocation:
            return self == .httpResponse || self == .httpResponseBody
        case .httpResponseBody: return self == .httpResponseBody
        case .fileData: return self == .httpRequestBody || self == .httpResponseBody
        case .tlsSNI, .ja4Hash, .ja3Hash, .ja3String: return self == .tlsClientHello
        case .tlsCertSubject, .tlsCertIssuer, .tlsCertSerial: return self == .tlsServerCertificate
        case .tlsCerts: return self == .tlsCertificateChain
        case .dnsQuery: return self == .dnsQuery
        default: return false
        }
    }

    /// Whether a phase has been reached that needs the message's body.
    var isBody: Bool { self == .httpRequestBody || self == .httpResponseBody }

    /// Whether Rampart feeds `buffer` in any phase (a rule reading another is refused).
    static func isFed(_ buffer: InspectionBuffer) -> Bool {
        buffer == .payload || buffer == .base64Data || allCases.contains { $0.holds(buffer) }
    }
}
