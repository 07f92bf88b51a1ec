import RampartWire

/// Everything Rampart reports about one session when it ends: the EVE `flow` event.
///
/// Built once per session on the cold path (names and tags are resolved to strings here,
/// never on the per-packet path).
///
/// ```swift
/// var line = JSONLine()
/// record.writeEVE(into: &line)   // {"timestamp":...,"event_type":"flow",...}
/// ```
public struct FlowRecord: Sendable, Equatable {
    public var flowID: UInt64
    public var start: Timestamp
    public var end: Timestamp
    /// The side that opened the session (sent the SYN or the first datagram).
    public var clientAddress: IPAddress
    public var clientPort: UInt16
    public var serverAddress: IPAddress
    public var serverPort: UInt16
    public var ipProtocol: IPProtocol
    public var vlanID: UInt16
    public var tunnelVNI: UInt32
    public var packetsToServer: UInt64
    public var packetsToClient: UInt64
    public var bytesToServer: UInt64
    public var bytesToClient: UInt64
    public var tcpFlagsToServer: TCPFlags
    public var tcpFlagsToClient: TCPFlags
    /// `new`, `established` or `closed`, as Suricata names flow states.
    public var state: String
    /// The TCP state machine's last state (`syn_sent`, `established`, `closed`, ...); empty for UDP and ICMP.
    public var tcpState: String
    /// Why the record was written, as EVE says it: `timeout`, `forced` (evicted from a
    /// full table) or `shutdown` (end of capture, or the firewall stopping).
    public var reason: String
    /// Why the session ended, as a firewall log says it: `aged-out`, `tcp-fin`, `tcp-rst`,
    /// `evicted`, `shutdown`.
    public var endReason: String
    /// The application as App-ID named it, or a state (`incomplete`, `unknown-tcp`, ...).
    public var application: String
    /// The rule whose action applied, and that action.
    public var rule: String
    public var action: String
    /// The rule that let the session proceed while its application was unknown, when it
    /// differs from the final one (PAN-OS logs both).
    public var provisionalRule: String?
    public var sourceZone: String
    public var destinationZone: String
    public var sourceTags: [String]
    public var destinationTags: [String]
    /// True when the session was picked up without seeing its TCP handshake.
    public var midstream: Bool
    /// The application and its parents, outermost first (`["http2", "grpc"]`).
    public var applicationChain: [String] = []
    /// What App-ID read from the session's first bytes (HTTP, TLS, DNS, AI, ...).
    public var metadata: ApplicationMetadata?
    /// For a TCP session under a reset rule: the side(s) its packets were answered with a
    /// reset toward (`client`, `server` or `both`); nil otherwise (UDP under a reset rule is
    /// dropped without one). EVE `rampart.reset_to`.
    public var resetTo: String?
    /// How a limit cut App-ID short for this session: `packet-by-packet` (no stream buffer)
    /// or `no-state` (no App-ID state: application unknown); nil when none did. EVE
    /// `rampart.appid_limit`.
    public var appIDLimit: String?
    /// A signature matched in the session (EVE `flow.alerted`).
    public var alerted = false
    /// What the rule's DNS security profile decided for the session's queries (the
    /// strictest): the `dns` record's `rampart.dns`.
    public var dnsSecurity: DNSSecurityRecord?
    /// The session went to a DNS security profile's sinkhole address: its client asked for a
    /// sinkholed name (EVE `rampart.sinkhole`; `src_ip` and `src_tags` name it).
    public var sinkhole = false

    public init(
        flowID: UInt64, start: Timestamp, end: Timestamp,
        clientAddress: IPAddress, clientPort: UInt16, serverAddress: IPAddress, serverPort: UInt16,
        ipProtocol: IPProtocol, vlanID: UInt16 = 0, tunnelVNI: UInt32 = 0,
        packetsToServer: UInt64 = 0, packetsToClient: UInt64 = 0, bytesToServer: UInt64 = 0, bytesToClient: UInt64 = 0,
        tcpFlagsToServer: TCPFlags = [], tcpFlagsToClient: TCPFlags = [],
        state: String = "new", tcpState: String = "", reason: String = "timeout", endReason: String = "aged-out",
        application: String = "incomplete", rule: String = "", action: String = "allow",
        provisionalRule: String? = nil, sourceZone: String = "", destinationZone: String = "",
        sourceTags: [String] = [], destinationTags: [String] = [], midstream: Bool = false
    ) {
        self.flowID = flowID; self.start = start; self.end = end
        self.clientAddress = clientAddress; self.clientPort = clientPort
        self.serverAddress = serverAddress; self.serverPort = serverPort
        self.ipProtocol = ipProtocol; self.vlanID = vlanID; self.tunnelVNI = tunnelVNI
        self.packetsToServer = packetsToServer; self.packetsToClient = packetsToClient
        self.bytesToServer = bytesToServer; self.bytesToClient = bytesToClient
        self.tcpFlagsToServer = tcpFlagsToServer; self.tcpFlagsToClient = tcpFlagsToClient
        self.state = state; self.tcpState = tcpState; self.reason = reason; self.endReason = endReason
        self.application = application; self.rule = rule; self.action = action
        self.provisionalRule = provisionalRule
        self.sourceZone = sourceZone; self.destinationZone = destinationZone
        self.sourceTags = sourceTags; self.destinationTags = destinationTags
        self.midstream = midstream
    }

    /// Appends the EVE `flow` event (one JSON line) to `line`. A session-start log is the
    /// same event with `flow.reason` "start" and the counters as they were then.
    public func writeEVE(into line: inout JSONLine, reason overrideReason: String? = nil) {
        line.begin()
        line.field("timestamp", (overrideReason == nil ? end : start).eveText)
        line.field("flow_id", flowID)
        line.field("event_type", "flow")
        if vlanID != 0 { line.field("vlan", vlanID) }
        // ICMP has no ports; EVE leaves them out (the echo identifier is under `rampart`).
        let isICMP = ipProtocol == .icmp || ipProtocol == .icmpv6
        line.field("src_ip", clientAddress.description)
        if !isICMP { line.field("src_port", clientPort) }
        line.field("dest_ip", serverAddress.description)
        if !isICMP { line.field("dest_port", serverPort) }
        line.field("proto", ipProtocol.description)
        line.field("app_proto", application)
        line.beginObject("flow")
        line.field("pkts_toserver", packetsToServer)
        line.field("pkts_toclient", packetsToClient)
        line.field("bytes_toserver", bytesToServer)
        line.field("bytes_toclient", bytesToClient)
        line.field("start", start.eveText)
        line.field("end", end.eveText)
        line.field("age", max(0, end.seconds - start.seconds))
        line.field("state", state)
        line.field("reason", overrideReason ?? reason)
        line.field("alerted", alerted)
        line.field("action", action)
        line.endObject()
        if ipProtocol == .tcp {
            let all = TCPFlags(rawValue: tcpFlagsToServer.rawValue | tcpFlagsToClient.rawValue)
            line.beginObject("tcp")
            line.field("tcp_flags", all.hex)
            line.field("tcp_flags_ts", tcpFlagsToServer.hex)
            line.field("tcp_flags_tc", tcpFlagsToClient.hex)
            if all.contains(.syn) { line.field("syn", true) }
            if all.contains(.fin) { line.field("fin", true) }
            if all.contains(.rst) { line.field("rst", true) }
            if all.contains(.psh) { line.field("psh", true) }
            if all.contains(.ack) { line.field("ack", true) }
            if !tcpState.isEmpty { line.field("state", tcpState) }
            if midstream { line.field("midstream", true) }
            line.endObject()
        }
        line.beginObject("rampart")
        line.field("rule", rule)
        line.field("action", action)
        if let resetTo { line.field("reset_to", resetTo) }
        if let appIDLimit { line.field("appid_limit", appIDLimit) }
        if let provisionalRule { line.field("provisional_rule", provisionalRule) }
        if sinkhole { line.field("sinkhole", true) }
        if overrideReason == nil { line.field("end_reason", endReason) }
        line.field("app", application)
        line.field("src_zone", sourceZone)
        line.field("dest_zone", destinationZone)
        line.field("src_tags", strings: sourceTags)
        line.field("dest_tags", strings: destinationTags)
        if applicationChain.count > 1 { line.field("app_chain", strings: applicationChain) }
        if let m = metadata { writeSummary(of: m, into: &line) }
        if tunnelVNI != 0 { line.field("vni", tunnelVNI) }
        if isICMP && clientPort != 0 { line.field("icmp_id", clientPort) }
        line.endObject()
        line.end()
    }
}

extension FlowRecord {
    /// The layer-7 facts a firewall log shows on the flow line itself.
    func writeSummary(of m: ApplicationMetadata, into line: inout JSONLine) {
        if let host = m.httpHost { line.field("hostname", host) }
        if let uri = m.httpURI { line.field("url", URLBlockPage.loggable(uri)) }
        if let status = m.httpStatus { line.field("status", status) }
        if let sni = m.tlsSNI { line.field("sni", sni) }
        if !m.tlsALPN.isEmpty { line.field("alpn", strings: m.tlsALPN) }
        if let ja4 = m.tlsJA4 { line.field("ja4", ja4) }
        if let name = m.dnsQueries.first { line.field("rrname", name) }
        if let rcode = m.dnsRcode { line.field("rcode", rcode) }
        if let service = m.grpcService { line.field("grpc_service", service) }
        if let provider = m.aiProvider { line.field("ai_provider", provider) }
        if let model = m.aiModel { line.field("ai_model", model) }
        for key in m.detail.keys.sorted() { line.field(key, m.detail[key] ?? "") }
    }

    /// The EVE event types this session's metadata fills, besides `flow`.
    public var applicationEventTypes: [String] {
        guard let m = metadata else { return [] }
        var types: [String] = []
        if m.httpMethod != nil || m.httpStatus != nil || m.httpURI != nil { types.append("http") }
        if m.tlsSNI != nil || m.tlsVersion != nil || m.tlsJA4 != nil { types.append("tls") }
        if !m.dnsQueries.isEmpty { types.append("dns") }
        if m.aiProvider != nil { types.append("ai") }
        return types
    }

    /// Appends one application event (`http`, `tls`, `dns` or `ai`) in EVE's shape.
    ///
    /// ```swift
    /// for type in record.applicationEventTypes { line.reset(); record.writeApplicationEVE(type, into: &line) }
    /// ```
    public func writeApplicationEVE(_ type: String, into line: inout JSONLine) {
        guard let m = metadata else { return }
        line.begin()
        line.field("timestamp", start.eveText)
        line.field("flow_id", flowID)
        line.field("event_type", type)
        line.field("src_ip", clientAddress.description)
        line.field("src_port", clientPort)
        line.field("dest_ip", serverAddress.description)
        line.field("dest_port", serverPort)
        line.field("proto", ipProtocol.description)
        line.field("app_proto", application)
        line.beginObject(type)
        switch type {
        case "http":
            if let v = m.httpHost { line.field("hostname", v) }
            if let v = m.httpURI { line.field("url", URLBlockPage.loggable(v)) }
            if let v = m.httpUserAgent { line.field("http_user_agent", v) }
            if let v = m.httpContentType { line.field("http_content_type", v) }
            if let v = m.httpMethod { line.field("http_method", v) }
            if let v = m.httpProtocol { line.field("protocol", v) }
            if let v = m.httpStatus { line.field("status", v) }
            if let v = m.httpContentLength { line.field("length", v) }
            if let v = m.grpcService { line.field("grpc_service", v) }
            if let v = m.grpcMethod { line.field("grpc_method", v) }
        case "tls":
            if let v = m.tlsSNI { line.field("sni", v) }
            if let v = m.tlsVersion { line.field("version", v) }
            if let v = m.tlsSubject { line.field("subject", v) }
            if let v = m.tlsJA4 { line.field("ja4", v) }
            if !m.tlsALPN.isEmpty { line.field("alpn", strings: m.tlsALPN) }
        case "dns":
            line.field("version", 2)
            line.field("type", m.dnsRcode == nil ? "query" : "answer")
            if let v = m.dnsQueries.first { line.field("rrname", v) }
            if let v = m.dnsQueryType { line.field("rrtype", v) }
            if let v = m.dnsRcode { line.field("rcode", v) }
            if !m.dnsAnswers.isEmpty { line.field("answers", strings: m.dnsAnswers) }
        case "ai":
            if let v = m.aiProvider { line.field("provider", v) }
            if let v = m.aiModel { line.field("model", v) }
            if let v = m.aiEndpoint { line.field("endpoint", v) }
            if let v = m.httpHost { line.field("hostname", v) }
        default:
            break
        }
        line.endObject()
        if type == "dns", let d = dnsSecurity {
            // What the rule's DNS security profile decided (PAN-OS's DNS security log); the
            // record's src_ip and tags name the client that asked.
            line.beginObject("rampart")
            line.beginObject("dns")
            line.field("verdict", d.verdict)
            line.field("category", d.category)
            line.field("reason", d.reason)
            line.endObject()
            line.endObject()
        }
        if type == "http" || type == "tls", let u = m.urlFiltering {
            // What the rule's URL filtering profile decided (PAN-OS's URL log).
            line.beginObject("url_filtering")
            line.field("category", u.category)
            line.field("action", u.recordedAction)
            if let list = u.list { line.field("list", list) }
            if let entry = u.entry { line.field("entry", entry) }
            if u.continued { line.field("continued", true) }
            line.endObject()
        }
        line.end()
    }
}

/// One decode or stream problem: the EVE `anomaly` event.
///
/// ```swift
/// let a = AnomalyRecord(timestamp: t, event: .ipv4TooShort, packetNumber: 17)
/// a.writeEVE(into: &line)   // {"event_type":"anomaly","anomaly":{"type":"decode","event":"ipv4.pkt_too_small"},...}
/// ```
public struct AnomalyRecord: Sendable, Equatable {
    public var timestamp: Timestamp
    public var event: DecodeEvent
    /// 1-based packet number in the capture (`pcap_cnt` in EVE), 0 when not from a capture.
    public var packetNumber: UInt64
    /// The session the anomaly belongs to, when one was known.
    public var flowID: UInt64?
    public var sourceAddress: IPAddress?
    public var sourcePort: UInt16
    public var destinationAddress: IPAddress?
    public var destinationPort: UInt16
    public var ipProtocol: IPProtocol?
    /// For a summary written by the anomaly rate limit: how many records of this kind were
    /// left out in this second (this record's addresses are the last one's). 0 otherwise.
    public var suppressed: UInt64 = 0

    public init(timestamp: Timestamp, event: DecodeEvent, packetNumber: UInt64, flowID: UInt64? = nil,
                sourceAddress: IPAddress? = nil, sourcePort: UInt16 = 0,
                destinationAddress: IPAddress? = nil, destinationPort: UInt16 = 0, ipProtocol: IPProtocol? = nil) {
        self.timestamp = timestamp; self.event = event; self.packetNumber = packetNumber; self.flowID = flowID
        self.sourceAddress = sourceAddress; self.sourcePort = sourcePort
        self.destinationAddress = destinationAddress; self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol
    }

    /// Suricata's anomaly `type`: `decode` for packet problems, `stream` for TCP
    /// reassembly, `applayer` later for App-ID.
    public var layerType: String {
        let name = event.name
        if name.hasPrefix("stream.") { return "stream" }
        if name.hasPrefix("flow.") { return "flow" }
        return "decode"
    }

    public func writeEVE(into line: inout JSONLine) {
        line.begin()
        line.field("timestamp", timestamp.eveText)
        if let flowID { line.field("flow_id", flowID) }
        if packetNumber != 0 { line.field("pcap_cnt", packetNumber) }
        line.field("event_type", "anomaly")
        if let sourceAddress { line.field("src_ip", sourceAddress.description); line.field("src_port", sourcePort) }
        if let destinationAddress { line.field("dest_ip", destinationAddress.description); line.field("dest_port", destinationPort) }
        if let ipProtocol { line.field("proto", ipProtocol.description) }
        line.beginObject("anomaly")
        line.field("type", layerType)
        line.field("event", event.name)
        if suppressed > 0 { line.field("suppressed", suppressed) }
        line.endObject()
        line.end()
    }
}

/// Where the engine hands its events. Generic, not an existential, so the per-packet path
/// calls it directly; implementations decide whether to write, buffer or count.
///
/// ```swift
/// struct Collect: EventSink {
///     var flows: [FlowRecord] = []
///     mutating func flowEnded(_ record: FlowRecord) { flows.append(record) }
///     mutating func anomaly(_ record: AnomalyRecord) {}
/// }
/// ```
public protocol EventSink {
    mutating func flowStarted(_ record: FlowRecord)
    mutating func flowEnded(_ record: FlowRecord)
    /// Sessions counted together (`RecordBudget`); only when summaries are configured.
    mutating func flowSummary(_ record: FlowSummary)
    mutating func anomaly(_ record: AnomalyRecord)
    /// A signature matched (only when the engine has a rule set).
    mutating func alert(_ record: AlertRecord)
    /// A file ended (only when the engine tracks files).
    mutating func fileInfo(_ record: FileRecord)
    /// An AI exchange with detections (only when the policy has AI security profiles).
    mutating func ai(_ record: AIRecord)
}

extension EventSink {
    /// Session-start logging is optional per rule; sinks that don't care may ignore it.
    public mutating func flowStarted(_ record: FlowRecord) {}
    /// Sinks of engines without rules never receive alerts.
    public mutating func alert(_ record: AlertRecord) {}
    /// Sinks of engines without file tracking never receive files.
    public mutating func fileInfo(_ record: FileRecord) {}
    /// Sinks of engines without AI security profiles never receive AI records.
    public mutating func ai(_ record: AIRecord) {}
}
