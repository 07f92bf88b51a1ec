import RampartPolicy
import RampartWire

/// What App-ID has seen of a session so far: the first bytes of each direction of the
/// reassembled TCP stream (or, for UDP, the datagram being probed), and the ports.
///
/// Decoders read only this: no sockets, no clocks, no state of their own between calls.
/// The bytes are borrowed for the duration of the call.
///
/// ```swift
/// let prefix = StreamPrefix(toServer: clientBytes, toClient: serverBytes,
///                           clientPort: 40512, serverPort: 80, ipProtocol: .tcp)
/// switch HTTP1.probe(prefix, into: &metadata) { ... }
/// ```
public struct StreamPrefix {
    /// Bytes the client sent, from the start of the stream (TCP) or this datagram (UDP).
    public var toServer: UnsafeRawBufferPointer
    /// Bytes the server sent, from the start of the stream (TCP) or this datagram (UDP).
    public var toClient: UnsafeRawBufferPointer
    public var clientPort: UInt16
    public var serverPort: UInt16
    public var ipProtocol: IPProtocol
    /// True when no more bytes will come in that direction (FIN, RST, depth reached):
    /// a decoder still waiting should then answer `.notThis`.
    public var toServerComplete: Bool
    public var toClientComplete: Bool

    public init(
        toServer: UnsafeRawBufferPointer, toClient: UnsafeRawBufferPointer, clientPort: UInt16, serverPort: UInt16,
        ipProtocol: IPProtocol, toServerComplete: Bool = false, toClientComplete: Bool = false
    ) {
        self.toServer = toServer
        self.toClient = toClient
        self.clientPort = clientPort
        self.serverPort = serverPort
        self.ipProtocol = ipProtocol
        self.toServerComplete = toServerComplete
        self.toClientComplete = toClientComplete
    }
}

/// A decoder's answer about one session.
public enum ProbeResult: Equatable, Sendable {
    /// The bytes cannot be this protocol: never ask again for this session.
    case notThis
    /// The bytes so far fit this protocol but do not prove it yet: ask again with more.
    case needMore
    /// The bytes prove this application. Decoders may refine later (http → openai-api)
    /// through `ApplicationMetadata`, but the identification is final.
    case identified(ApplicationID)
}

/// Layer-7 facts App-ID learned about a session, for the EVE `http`, `tls` and `dns`
/// records and the flow record. Filled once per session (cold path: strings are fine).
public struct ApplicationMetadata: Sendable, Equatable {
    // HTTP/1.x and HTTP/2
    public var httpMethod: String?
    public var httpHost: String?
    public var httpURI: String?
    public var httpUserAgent: String?
    public var httpStatus: Int?
    public var httpContentType: String?
    public var httpContentLength: Int?
    public var httpProtocol: String?
    /// gRPC service and method (`/pkg.Service/Method`).
    public var grpcService: String?
    public var grpcMethod: String?
    // TLS
    public var tlsSNI: String?
    public var tlsALPN: [String] = []
    public var tlsVersion: String?
    public var tlsJA4: String?
    /// JA3 and its MD5 (for `ja3.string` / `ja3.hash` rules; not written to the records).
    /// Computed only when `wantsJA3`: the engine's rules read it (it costs allocations).
    public var tlsJA3: String?
    public var tlsJA3Hash: String?
    public var wantsJA3 = false
    public var tlsSubject: String?
    // DNS
    public var dnsQueries: [String] = []
    public var dnsQueryType: String?
    public var dnsAnswers: [String] = []
    public var dnsRcode: String?
    // Other protocols: a short, protocol-specific description (SSH banner, SQL user,
    // Redis command, Kafka client id, MongoDB command, MQTT client id, SMTP greeting, ...).
    public var detail: [String: String] = [:]
    // AI applications
    public var aiProvider: String?
    public var aiModel: String?
    public var aiEndpoint: String?
    // Profiles
    /// What the rule's URL filtering profile decided (set by the engine, once per session).
    public var urlFiltering: URLFilteringVerdict?

    public init() {}
}
