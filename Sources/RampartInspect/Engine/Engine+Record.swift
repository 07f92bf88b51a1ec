import RampartPolicy
import RampartWire

extension Engine {
    /// Builds the flow record of a session: the cold path, once per session, where names,
    /// zones and tags become strings.
    @usableFromInline
    func record(of session: Session) -> FlowRecord {
        let client = session.client
        let server = session.server
        let rules = policy.rules
        func ruleName(_ index: Int32) -> String {
            let i = Int(index)
            return i >= 0 && i < rules.count ? rules[i].name : ""
        }
        let action = RuleAction(rawValue: session.action) ?? .drop
        let bothSides = session.toServer.packets > 0 && session.toClient.packets > 0
        let closed = session.closeReason == .fin || session.closeReason == .rst
            || session.tcpState == .closed || session.tcpState == .timeWait
        let state = closed ? "closed" : (bothSides ? "established" : "new")
        let application = session.application.map(ApplicationCatalog.name(of:)) ?? "incomplete"
        let node: IPAddress? = session.key.tunnelSource == .zero ? nil : session.key.tunnelSource
        var record = FlowRecord(
            flowID: Engine.flowID(of: session),
            start: session.firstSeen, end: session.lastSeen,
            clientAddress: client.address, clientPort: client.port,
            serverAddress: server.address, serverPort: server.port,
            ipProtocol: session.key.ipProtocol, vlanID: session.key.vlanID, tunnelVNI: session.key.tunnelVNI,
            packetsToServer: session.toServer.packets, packetsToClient: session.toClient.packets,
            bytesToServer: session.toServer.bytes, bytesToClient: session.toClient.bytes,
            tcpFlagsToServer: session.toServer.tcpFlagsSeen, tcpFlagsToClient: session.toClient.tcpFlagsSeen,
            state: state,
            tcpState: session.key.ipProtocol == .tcp ? session.tcpState.eveName : "",
            reason: session.closeReason.eveReason, endReason: session.closeReason.endReason,
            application: application,
            rule: ruleName(session.ruleIndex), action: action.name,
            provisionalRule: session.provisionalRuleIndex >= 0 ? ruleName(session.provisionalRuleIndex) : nil,
            sourceZone: policy.zoneName(session.clientZone != Session.zoneNotTaken ? ZoneID(rawValue: session.clientZone)
                : policy.zone(of: client.address, tunnelVNI: session.key.tunnelVNI, tunnelSource: node)),
            destinationZone: policy.zoneName(session.serverZone != Session.zoneNotTaken ? ZoneID(rawValue: session.serverZone)
                : policy.zone(of: server.address, tunnelVNI: session.key.tunnelVNI, tunnelSource: node)),
            // The identity the verdict was made with (taken at the decision), not the tags
            // the addresses hold now.
            sourceTags: policy.tags(inSet: session.clientTagSet).map(\.description),
            destinationTags: policy.tags(inSet: session.serverTagSet).map(\.description),
            midstream: session.flags.contains(.midstream))
        if session.key.ipProtocol == .tcp {
            switch action {
            case .resetClient: record.resetTo = "client"
            case .resetServer: record.resetTo = "server"
            case .resetBoth: record.resetTo = "both"
            default: break
            }
        }
        if let id = session.application { record.applicationChain = Engine.chain(of: id) }
        record.alerted = session.flags.contains(.alerted)
        if session.flags.contains(.appIDRefused) {
            record.appIDLimit = "no-state"
        } else if session.flags.contains(.appIDUnbuffered) {
            record.appIDLimit = "packet-by-packet"
        }
        if var metadata = appID.metadata(session.applicationState) {
            metadata.wantsJA3 = false  // a request to App-ID, not something it learned
            if metadata != ApplicationMetadata() { record.metadata = metadata }
        }
        let dnsDecision = dnsSecurity.sessions.decision(session.applicationState)
        if let action = dnsDecision.action {
            let category = Int(dnsDecision.category)
            let name = indicatorStore.flatMap { store in
                category < store.categories.count ? store.name(of: IndicatorCategory(rawValue: UInt16(category))) : nil
            }
            record.dnsSecurity = DNSSecurityRecord(
                verdict: action.rawValue, category: name ?? "", reason: dnsDecision.reason.label)
        }
        if !dnsSecurity.profiles.sinkholes.isEmpty && isSinkhole(server.address) { record.sinkhole = true }
        return record
    }

    /// An application's parents, outermost first, ending with the application.
    static func chain(of id: ApplicationID) -> [String] {
        var names = [ApplicationCatalog.name(of: id)]
        var parent = ApplicationCatalog.entry(id).parent
        while let name = parent, names.count < 8 {
            names.insert(name, at: 0)
            parent = ApplicationCatalog.id(named: name).flatMap { ApplicationCatalog.entry($0).parent }
        }
        return names
    }

    /// A stable id for a session's records: its flow hash mixed with its start time, kept
    /// within 2^53 so every JSON reader holds it exactly.
    public static func flowID(of session: Session) -> UInt64 {
        var h = session.key.flowHash ^ UInt64(bitPattern: session.firstSeen.nanosecondsSinceEpoch)
        h = (h ^ (h >> 29)) &* 0xBF58_476D_1CE4_E5B9
        h ^= h >> 32
        return h & ((1 << 53) - 1)
    }
}

extension Session {
    /// The application App-ID named, or nil while unknown. Stored as the id plus one, so
    /// that zero, the value of a fresh session, means "not yet known".
    @inlinable
    public var application: ApplicationID? {
        get { applicationID == 0 ? nil : ApplicationID(rawValue: applicationID &- 1) }
        set { applicationID = newValue.map { $0.rawValue &+ 1 } ?? 0 }
    }
}

extension TCPState {
    /// The state's name as Suricata's EVE prints it.
    public var eveName: String {
        switch self {
        case .none: return "none"
        case .synSent: return "syn_sent"
        case .synReceived: return "syn_recv"
        case .established: return "established"
        case .finWait: return "fin_wait1"
        case .closing: return "closing"
        case .timeWait: return "time_wait"
        case .closed: return "closed"
        }
    }
}

extension SessionCloseReason {
    /// EVE's `flow.reason`.
    public var eveReason: String {
        switch self {
        case .none, .timeout, .fin, .rst: return "timeout"
        case .evicted, .policyChange: return "forced"
        case .shutdown: return "shutdown"
        }
    }

    /// The firewall-log end reason.
    public var endReason: String {
        switch self {
        case .none, .timeout: return "aged-out"
        case .fin: return "tcp-fin"
        case .rst: return "tcp-rst"
        case .evicted: return "evicted"
        case .shutdown: return "shutdown"
        case .policyChange: return "policy-change"
        }
    }
}

/// The application "states" a session gets when App-ID has not named it, resolved once
/// from the catalog.
@usableFromInline
struct ApplicationStates: Sendable {
    @usableFromInline let incomplete: ApplicationID
    @usableFromInline let insufficientData: ApplicationID
    @usableFromInline let unknownTCP: ApplicationID
    @usableFromInline let unknownUDP: ApplicationID
    @usableFromInline let ping: ApplicationID
    @usableFromInline let icmp: ApplicationID

    @usableFromInline
    init() {
        func id(_ name: String) -> ApplicationID {
            guard let id = ApplicationCatalog.id(named: name) else {
                preconditionFailure("application catalog lacks the state \(name)")
            }
            return id
        }
        incomplete = id("incomplete")
        insufficientData = id("insufficient-data")
        unknownTCP = id("unknown-tcp")
        unknownUDP = id("unknown-udp")
        ping = id("ping")
        icmp = id("icmp")
    }

    /// As PAN-OS names them: `incomplete` when the TCP handshake never completed or no
    /// data followed it; `unknown-tcp`/`unknown-udp` when data crossed but nothing named it.
    @usableFromInline
    func classify(_ session: Session, streamBytes: Int, pending: Bool) -> ApplicationID {
        switch session.key.ipProtocol {
        case .tcp:
            // App-ID was still reading when the session ended: too little data to say.
            if pending { return insufficientData }
            return streamBytes > 0 ? unknownTCP : incomplete
        case .udp:
            return unknownUDP
        case .icmp, .icmpv6:
            // Echo sessions carry the identifier as their "port".
            return session.key.lowerPort != 0 || session.key.upperPort != 0 ? ping : icmp
        default:
            return incomplete
        }
    }
}
