import RampartWire

/// A signature that matched: the EVE `alert` event in Suricata's shape, plus the tags of both
/// ends as the flow records carry them.
///
/// Built on the cold path, once per alert (strings are fine here).
///
/// ```swift
/// var line = JSONLine()
/// alert.writeEVE(into: &line)   // {"timestamp":...,"event_type":"alert","alert":{"signature_id":2000001,...}}
/// ```
public struct AlertRecord: Sendable, Equatable {
    public var timestamp: Timestamp
    public var flowID: UInt64
    /// 1-based packet number in the capture (`pcap_cnt`), 0 when not from a capture.
    public var packetNumber: UInt64
    /// The packet's addresses (as Suricata writes them: the packet that completed the match).
    public var sourceAddress: IPAddress
    public var sourcePort: UInt16
    public var destinationAddress: IPAddress
    public var destinationPort: UInt16
    public var ipProtocol: IPProtocol
    public var application: String
    /// `to_server` or `to_client`.
    public var direction: String
    /// `allowed`, or `blocked` when an inline drop or reject rule stopped the session.
    public var action: String
    public var gid: UInt32
    public var signatureID: UInt32
    public var revision: UInt32
    public var signature: String
    /// The classtype's description (classification.config), empty without one.
    public var category: String
    /// The rule's priority (Suricata's `severity`).
    public var severity: Int
    /// `metadata` as Suricata writes it: each key with its values, in first-seen order.
    public var metadata: [(key: String, values: [String])]
    /// The rule's own action keyword (`alert`, `drop`, `reject` ...).
    public var ruleAction: String
    /// Where the rule was read (`file:line`).
    public var ruleLocation: String
    /// The threat profile that decided the action (inline, when the session's rule has one).
    public var threatProfile: String?
    /// The signature's severity as threat profiles grade it (`critical` ... `informational`).
    public var threatSeverity: String
    /// Tags of the packet's source and destination (the identity the session was decided with).
    public var sourceTags: [String]
    public var destinationTags: [String]
    public var packetsToServer: UInt64
    public var packetsToClient: UInt64
    public var bytesToServer: UInt64
    public var bytesToClient: UInt64
    public var flowStart: Timestamp

    public init(timestamp: Timestamp, flowID: UInt64, packetNumber: UInt64, sourceAddress: IPAddress, sourcePort: UInt16,
                destinationAddress: IPAddress, destinationPort: UInt16, ipProtocol: IPProtocol, application: String,
                direction: String, action: String, gid: UInt32, signatureID: UInt32, revision: UInt32,
                signature: String, category: String, severity: Int, metadata: [(key: String, values: [String])],
                ruleAction: String, ruleLocation: String, threatProfile: String? = nil, threatSeverity: String = "",
                sourceTags: [String], destinationTags: [String],
                packetsToServer: UInt64 = 0, packetsToClient: UInt64 = 0, bytesToServer: UInt64 = 0,
                bytesToClient: UInt64 = 0, flowStart: Timestamp = .zero) {
        self.timestamp = timestamp; self.flowID = flowID; self.packetNumber = packetNumber
        self.sourceAddress = sourceAddress; self.sourcePort = sourcePort
        self.destinationAddress = destinationAddress; self.destinationPort = destinationPort
        self.ipProtocol = ipProtocol; self.application = application; self.direction = direction
        self.action = action; self.gid = gid; self.signatureID = signatureID; self.revision = revision
        self.signature = signature; self.category = category; self.severity = severity; self.metadata = metadata
        self.ruleAction = ruleAction; self.ruleLocation = ruleLocation
        self.threatProfile = threatProfile; self.threatSeverity = threatSeverity
        self.sourceTags = sourceTags; self.destinationTags = destinationTags
        self.packetsToServer = packetsToServer; self.packetsToClient = packetsToClient
        self.bytesToServer = bytesToServer; self.bytesToClient = bytesToClient; self.flowStart = flowStart
    }

    public static func == (a: AlertRecord, b: AlertRecord) -> Bool {
        a.flowID == b.flowID && a.timestamp == b.timestamp && a.signatureID == b.signatureID && a.gid == b.gid
            && a.packetNumber == b.packetNumber && a.action == b.action && a.sourceAddress == b.sourceAddress
            && a.sourcePort == b.sourcePort && a.destinationAddress == b.destinationAddress
            && a.destinationPort == b.destinationPort
    }

    public func writeEVE(into line: inout JSONLine) {
        line.begin()
        line.field("timestamp", timestamp.eveText)
        line.field("flow_id", flowID)
        if packetNumber != 0 { line.field("pcap_cnt", packetNumber) }
        line.field("event_type", "alert")
        let isICMP = ipProtocol == .icmp || ipProtocol == .icmpv6
        line.field("src_ip", sourceAddress.description)
        if !isICMP { line.field("src_port", sourcePort) }
        line.field("dest_ip", destinationAddress.description)
        if !isICMP { line.field("dest_port", destinationPort) }
        line.field("proto", ipProtocol.description)
        line.field("direction", direction)
        line.field("app_proto", application)
        line.beginObject("alert")
        line.field("action", action)
        line.field("gid", gid)
        line.field("signature_id", signatureID)
        line.field("rev", revision)
        line.field("signature", signature)
        line.field("category", category)
        line.field("severity", severity)
        if !metadata.isEmpty {
            line.beginObject("metadata")
            for (key, values) in metadata { line.field(key, strings: values) }
            line.endObject()
        }
        line.endObject()
        line.beginObject("flow")
        line.field("pkts_toserver", packetsToServer)
        line.field("pkts_toclient", packetsToClient)
        line.field("bytes_toserver", bytesToServer)
        line.field("bytes_toclient", bytesToClient)
        line.field("start", flowStart.eveText)
        line.endObject()
        line.beginObject("rampart")
        line.field("rule_action", ruleAction)
        line.field("rule_location", ruleLocation)
        if !threatSeverity.isEmpty { line.field("threat_severity", threatSeverity) }
        if let threatProfile { line.field("threat_profile", threatProfile) }
        line.field("src_tags", strings: sourceTags)
        line.field("dest_tags", strings: destinationTags)
        line.endObject()
        line.end()
    }
}
