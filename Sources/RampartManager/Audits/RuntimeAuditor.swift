import RampartHTTP
import RampartJSON
import RampartPOSIX

/// Runtime audits (issue 17): from the flow and DNS records the log store receives, a
/// profile per workload (cluster, namespace, workload of the records' ends), learned during
/// `learningSeconds` from the workload's first record; after it, an audit each time the
/// workload does something its profile never had:
///
/// | what | when |
/// |---|---|
/// | `new-destination` | it opened a session to a peer (workload or address) never seen |
/// | `new-source` | a peer never seen opened a session to it |
/// | `new-application` | an application never seen, either way |
/// | `new-port` | a destination port never seen (its own, inbound; the peer's, outbound) |
/// | `scan` | `scan.peers` distinct peers or `scan.ports` distinct ports within `scan.windowSeconds` (at any time) |
/// | `blocked-name` | a DNS security profile sinkholed or blocked a name it asked for (at any time) |
/// | `sinkhole-connection` | it connected to the sinkhole address (at any time) |
/// | `profile-full` | its profile reached `maxEntriesPerProfile` (once): new connections are no longer learned |
///
/// Audits are EVE records (`event_type: audit`, with `audit.what`, the workload and the
/// evidence) that the log store keeps beside the firewalls' records: `GET /audits`.
///
/// ```swift
/// let auditor = RuntimeAuditor(settings: AuditSettings(), log: { print($0) })
/// let audits = auditor.observe(records)   // LogRecords of event_type "audit"
/// ```
public final class RuntimeAuditor: @unchecked Sendable {
    public let settings: AuditSettings
    private let lock = Lock()
    private var profiles: [WorkloadProfile.Identity: WorkloadProfile] = [:]
    private let log: @Sendable (String) -> Void
    /// An address's tags at a time (the manager's tag history), for ends a record arrived
    /// without tags for (the pod is gone, or the map had not caught up).
    private let history: (@Sendable (_ address: String, _ milliseconds: Int64) -> [String]?)?
    private var counts: [String: Int] = [:]
    private var refusedProfiles = 0
    private var droppedEntries = 0
    private var reportedFull = false

    public init(settings: AuditSettings, history: (@Sendable (String, Int64) -> [String]?)? = nil, log: @escaping @Sendable (String) -> Void) {
        self.settings = settings
        self.history = history
        self.log = log
    }

    /// Learns from `records` (in order) and returns the audits they raise.
    public func observe(_ records: [LogRecord]) -> [LogRecord] {
        guard settings.enabled else { return [] }
        var audits: [LogRecord] = []
        lock.withLock {
            for record in records {
                switch record.eventType {
                case "flow": flow(record, into: &audits)
                case "dns": dns(record, into: &audits)
                default: break
                }
            }
        }
        return audits
    }

    // MARK: reading records

    private func named(_ end: LogRecord.End, at time: Int64) -> LogRecord.End {
        guard end.tags.isEmpty, let ip = end.ip, let history, let tags = history(ip, time), !tags.isEmpty else { return end }
        var named = end
        named.name(from: tags)
        return named
    }

    static func identity(of end: LogRecord.End) -> WorkloadProfile.Identity? {
        guard let cluster = end.cluster, let namespace = end.namespace, let workload = end.workload,
              workload.hasPrefix(namespace + "/")
        else { return nil }
        return WorkloadProfile.Identity(cluster: cluster, namespace: namespace, name: String(workload.dropFirst(namespace.count + 1)))
    }

    static func peer(of end: LogRecord.End) -> WorkloadProfile.Peer {
        if let identity = identity(of: end) { return WorkloadProfile.Peer(workload: identity, address: nil) }
        return WorkloadProfile.Peer(workload: nil, address: end.ip ?? "unknown")
    }

    private func flow(_ record: LogRecord, into audits: inout [LogRecord]) {
        let source = named(record.source, at: record.time)
        let destination = named(record.destination, at: record.time)
        let application = record.app ?? "unknown"
        let proto = (record.proto ?? "ip").lowercased()
        let port = proto == "tcp" || proto == "udp" || proto == "sctp" ? destination.port ?? 0 : 0
        let allowed = record.action.map { $0 == "allow" || $0 == "allowed" } ?? true
        if let identity = RuntimeAuditor.identity(of: source) {
            let peer = RuntimeAuditor.peer(of: destination)
            let connection = WorkloadProfile.Connection(direction: .outbound, peer: peer, application: application, proto: proto, port: port)
            learn(identity, connection, allowed: allowed, record: record, workload: source, other: destination, into: &audits)
            if profiles[identity]?.fanOut(peer: peer, service: connection.service, at: record.time, settings: settings) == true,
               let profile = profiles[identity] {
                audits.append(audit("scan", record: record, workload: source, other: destination, identity: identity, evidence: [
                    ("window_seconds", .integer(Int(settings.scanWindowSeconds))),
                    ("distinct_peers", .integer(profile.windowPeers.count)), ("distinct_ports", .integer(profile.windowPorts.count)),
                    ("peers_threshold", .integer(settings.scanPeers)), ("ports_threshold", .integer(settings.scanPorts)),
                    ("sample_peers", .array(profile.windowPeers.sorted().prefix(10).map { .string($0.description) })),
                ]))
            }
            if RuntimeAuditor.has(record.json, "\"sinkhole\":true") {
                audits.append(audit("sinkhole-connection", record: record, workload: source, other: destination, identity: identity,
                                    evidence: [("flow_action", .string(record.action ?? ""))]))
            }
        }
        if let identity = RuntimeAuditor.identity(of: destination) {
            let connection = WorkloadProfile.Connection(direction: .inbound, peer: RuntimeAuditor.peer(of: source), application: application,
                                                        proto: proto, port: port)
            learn(identity, connection, allowed: allowed, record: record, workload: destination, other: source, into: &audits)
        }
    }

    /// A DNS record whose DNS security verdict was `sinkhole` or `block` (`rampart.dns`).
    private func dns(_ record: LogRecord, into audits: inout [LogRecord]) {
        guard RuntimeAuditor.has(record.json, "\"verdict\""), RuntimeAuditor.has(record.json, "sinkhole") || RuntimeAuditor.has(record.json, "block"),
              let eve = try? JSONValue.parse(record.json), let verdict = eve["rampart"]?["dns"]?["verdict"]?.stringValue,
              verdict == "sinkhole" || verdict == "block"
        else { return }
        let source = named(record.source, at: record.time)
        guard let identity = RuntimeAuditor.identity(of: source) else { return }
        let name = eve["dns"]?["rrname"]?.stringValue ?? eve["rampart"]?["rrname"]?.stringValue ?? ""
        audits.append(audit("blocked-name", record: record, workload: source, other: named(record.destination, at: record.time), identity: identity, evidence: [
            ("name", .string(name)), ("verdict", .string(verdict)),
            ("category", .string(eve["rampart"]?["dns"]?["category"]?.stringValue ?? "")),
            ("reason", .string(eve["rampart"]?["dns"]?["reason"]?.stringValue ?? "")),
        ]))
    }

    // MARK: learning and judging

    private func learn(_ identity: WorkloadProfile.Identity, _ connection: WorkloadProfile.Connection, allowed: Bool, record: LogRecord,
                       workload: LogRecord.End, other: LogRecord.End, into audits: inout [LogRecord]) {
        var profile: WorkloadProfile
        if let existing = profiles.removeValue(forKey: identity) {
            profile = existing
        } else {
            guard profiles.count < settings.maxProfiles else {
                refusedProfiles += 1
                if !reportedFull {
                    reportedFull = true
                    log(ManagerLog.line("warning", event: "audit-profiles-full", fields: [
                        "limit": .integer(settings.maxProfiles), "workload": .string(identity.description),
                        "hint": .string("new workloads are not profiled or audited; raise spec.audits.maxProfiles"),
                    ]))
                }
                return
            }
            profile = WorkloadProfile(identity: identity, firstSeen: record.time)
        }
        defer { profiles[identity] = profile }
        let learning = record.time < profile.firstSeen + Int64(settings.learningSeconds * 1000)
        let novelty = profile.note(connection, at: record.time, limit: settings.maxEntriesPerProfile, allowed: allowed)
        if novelty.dropped {
            droppedEntries += 1
            if !profile.reportedFull {
                profile.reportedFull = true
                log(ManagerLog.line("warning", event: "audit-profile-full", fields: [
                    "workload": .string(identity.description), "limit": .integer(settings.maxEntriesPerProfile),
                    "hint": .string("new connections of this workload are no longer learned; raise spec.audits.maxEntriesPerProfile"),
                ]))
                audits.append(audit("profile-full", record: record, workload: workload, other: other, identity: identity, evidence: [
                    ("limit", .integer(settings.maxEntriesPerProfile)), ("connections", .integer(profile.connections.count)),
                ]))
            }
            return
        }
        guard !learning else { return }
        let learnedUntil = JSONValue.string(RFC3339.string(Double(profile.firstSeen) / 1000 + settings.learningSeconds))
        let common: [(String, JSONValue)] = [("direction", .string(connection.direction.rawValue)), ("peer", .string(connection.peer.description)),
                                             ("application", .string(connection.application)), ("service", .string(connection.service)),
                                             ("learned_until", learnedUntil)]
        if novelty.peer {
            let what = connection.direction == .outbound ? "new-destination" : "new-source"
            let known = profile.peers[connection.direction]?.count ?? 1
            audits.append(audit(what, record: record, workload: workload, other: other, identity: identity,
                                evidence: common + [("known_peers", .integer(known - 1))]))
        }
        if novelty.application && !["incomplete", "insufficient-data"].contains(connection.application) {
            audits.append(audit("new-application", record: record, workload: workload, other: other, identity: identity,
                                evidence: common + [("known_applications", .array(profile.applications.keys.sorted().filter { $0 != connection.application }.prefix(20).map { .string($0) }))]))
        }
        if novelty.port {
            audits.append(audit("new-port", record: record, workload: workload, other: other, identity: identity,
                                evidence: common + [("known_ports", .array((profile.ports[connection.direction] ?? [:]).keys.sorted().filter { $0 != connection.service }.prefix(20).map { .string($0) }))]))
        }
    }

    /// An audit as the log store keeps it: the workload as its source end, the peer as its
    /// destination, `rule` = what (so `GET /audits?what=` is the store's rule criterion).
    private func audit(_ what: String, record: LogRecord, workload: LogRecord.End, other: LogRecord.End,
                       identity: WorkloadProfile.Identity, evidence: [(String, JSONValue)]) -> LogRecord {
        counts[what, default: 0] += 1
        var fields: [(String, JSONValue)] = [("timestamp", .string(RFC3339.string(Double(record.time) / 1000))), ("event_type", .string("audit"))]
        if let ip = workload.ip { fields.append(("src_ip", .string(ip))) }
        if let ip = other.ip { fields.append(("dest_ip", .string(ip))) }
        if let proto = record.proto { fields.append(("proto", .string(proto))) }
        if let app = record.app { fields.append(("app_proto", .string(app))) }
        var evidence = evidence
        evidence.append(("record_event_type", .string(record.eventType)))
        if let flowID = RuntimeAuditor.flowID(record.json) { evidence.append(("flow_id", .number(flowID))) }
        fields.append(("audit", .object([
            ("what", .string(what)), ("cluster", .string(identity.cluster)), ("namespace", .string(identity.namespace)),
            ("workload", .string(identity.name)), ("firewall", .string(record.firewall)), ("evidence", .object(evidence)),
        ])))
        var stored = LogRecord(time: record.time, firewall: record.firewall, eventType: "audit", json: JSONValue.object(fields).serialized())
        stored.proto = record.proto
        stored.app = record.app
        stored.rule = what
        stored.action = "audit"
        stored.source = workload
        stored.destination = other
        return stored
    }

    /// Whether `text` holds `needle`, byte for byte: String's own search compares Unicode
    /// characters, several times slower over every 1 KB record of the ingest thread.
    static func has(_ text: String, _ needle: StaticString) -> Bool {
        var text = text
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard let first = pattern.first else { return true }
        return text.withUTF8 { bytes in
            guard bytes.count >= pattern.count else { return false }
            var index = 0
            let last = bytes.count - pattern.count
            while index <= last {
                if bytes[index] == first && UnsafeBufferPointer(rebasing: bytes[index ..< index + pattern.count]).elementsEqual(pattern) { return true }
                index += 1
            }
            return false
        }
    }

    /// The `flow_id` of an EVE line, as written (digits), without parsing the line.
    static func flowID(_ json: String) -> String? {
        let key = Array("\"flow_id\":".utf8)
        let bytes = Array(json.utf8.prefix(200))  // the firewall writes flow_id second
        guard bytes.count > key.count else { return nil }
        for start in 0 ... (bytes.count - key.count) where bytes[start ..< start + key.count].elementsEqual(key) {
            let digits = bytes[(start + key.count)...].prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
            return digits.isEmpty ? nil : String(decoding: digits, as: UTF8.self)
        }
        return nil
    }

    // MARK: reading the profiles

    /// One workload's profile (a copy), nil when it has none.
    public func profile(_ identity: WorkloadProfile.Identity) -> WorkloadProfile? { lock.withLock { profiles[identity] } }

    /// The workloads profiled, sorted.
    public func identities() -> [WorkloadProfile.Identity] { lock.withLock { profiles.keys.sorted() } }

    public func metrics() -> String {
        let (count, audits, refused, dropped) = lock.withLock { (profiles.count, counts, refusedProfiles, droppedEntries) }
        var page = PrometheusText()
        page.single("rampart_manager_audit_profiles", .gauge, "Workloads with a runtime profile.", count)
        page.single("rampart_manager_audit_profiles_limit", .gauge, "spec.audits.maxProfiles.", settings.maxProfiles)
        page.single("rampart_manager_audit_profiles_refused_total", .counter,
                    "Records of workloads not profiled because the profile table was full.", refused)
        page.single("rampart_manager_audit_entries_limit", .gauge, "spec.audits.maxEntriesPerProfile.", settings.maxEntriesPerProfile)
        page.single("rampart_manager_audit_entries_dropped_total", .counter,
                    "New connections not learned because their workload's profile was full.", dropped)
        let kinds = ["new-destination", "new-source", "new-application", "new-port", "scan", "blocked-name", "sinkhole-connection", "profile-full"]
        page.family("rampart_manager_audits_total", .counter, "Runtime audits raised, by what.",
                    kinds.map { (labels: [("what", $0)], value: audits[$0] ?? 0) })
        return page.text
    }
}
