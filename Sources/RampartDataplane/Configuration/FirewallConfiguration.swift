import RampartHTTP
import RampartInspect
import RampartPolicy
import RampartWire

/// The firewall section of the configuration file: a document of kind
/// `FirewallConfiguration` beside the `SecurityPolicy` (and `AddressTags`) documents.
///
/// ```yaml
/// apiVersion: rampart.io/v1
/// kind: FirewallConfiguration
/// metadata: {name: edge}
/// spec:
///   listen: 0.0.0.0:6080       # the tunnel endpoint (VXLAN or Geneve)
///   admin: 127.0.0.1:9680      # the admin API: /tags /reload /metrics /healthz /readyz
///   probes: 127.0.0.1:9681     # unauthenticated, read-only: /healthz /readyz /metrics; or off
///                              # (absent: the admin address, next port)
///   auth:
///     tokensFile: /etc/rampart/tokens   # lines "ROLE NAME TOKEN", mode 0600; needed off loopback
///                              # unless tls requires client certificates
///   tls:                       # the admin API over TLS (absent: plain HTTP)
///     certificate: /etc/rampart/tls/tls.crt   # PEM, leaf first; reloaded when it changes
///     key: /etc/rampart/tls/tls.key           # PEM, not readable by every user
///     clientCA: /etc/rampart/tls/ca.crt       # ask clients for certificates it signed
///     clientCertificates: required            # or optional (then a token will do)
///     clientRoles: {rampart-manager: tag-writer, grafana: read-only}
///   vnis: [7]                  # accepted VNIs (cluster ids); empty or absent: all
///   workers: 0                 # worker threads; 0: one per core
///   events: /var/log/rampart/eve.json   # or "-" for standard output
///   eventsMaxBytes: 104857600  # rotate the event file before this size; 0: never
///   eventsKeep: 5              # rotated files kept: eve.json.1 ... eve.json.5
///   eventsHoldMaxBytes: 1073741824   # unsent files kept past eventsKeep (TCP syslog)
///   syslog: udp://127.0.0.1:514   # RFC 5424 copy of every record; tcp://host:port (sent
///                                 # from the event files, at least once); or off
///   tagState: /var/lib/rampart/tags.json   # admin tags kept across restarts; absent: not kept
///   policyState: /var/lib/rampart/policy.json   # the policy the manager pushed (PUT /policy), kept
///                                               # across restarts; absent: kept in memory only
///   sessions: 262144
///   innerMTU: 1500             # longer inner TCP packets (TSO over a veth) are segmented
///   returnPort: 6080           # the nodes' tunnel port; "source" answers to the sender's port
///   rematchOnReload: false     # true: a reload decides existing sessions again
///   udpGRO: false              # receive coalesced datagrams (UDP_GRO); needs GRO on the interface
///   udpGSO: true               # send runs of datagrams as one (UDP_SEGMENT)
///   maxTaggedAddresses: 262144 # the admin tag map's bound; a batch past it is refused (507)
///   readyAfterTags: false      # true: /readyz 503 until the manager's first whole tag map
///   tunnelSources: nodes       # who may send tunnel datagrams: enrolled nodes (kind:node tags)
///                              # and tunnelSourceNetworks; or any
///   tunnelSourceNetworks: [10.0.0.0/24]   # senders admitted without being enrolled
///   innerSourceCheck: true     # an enrolled node sends only its own pods' traffic
///   records:                   # how many records a flood can cause (docs/firewall.md, Events)
///     summaryInterval: 60      # seconds; unanswered denied sessions summarised per source, port, rule
///     flowsPerSecond: 5000     # flow records per second; the rest summarised; 0: no limit
///     anomaliesPerSecond: 20   # anomaly records per kind per second; the rest counted
///     maxSummaries: 4096       # keys summarised at once; then one overflow summary per rule
/// ```
public struct FirewallConfiguration: Sendable, Equatable {
    public var listen = SocketAddress(address: IPAddress(ipv4: 0), port: 6080)
    public var admin: SocketAddress? = SocketAddress(address: IPAddress(ipv4: 0x7F00_0001), port: 9680)
    /// The probe listener (`/healthz`, `/readyz`, `/metrics`, no credentials) as configured;
    /// nil: derived from `admin` (see `probeAddress`).
    public var probes: SocketAddress?
    /// False: no probe listener (`probes: off`).
    public var probesEnabled = true
    /// Where the probe listener binds: `probes`, else the admin API's address with the next
    /// port (127.0.0.1:9681 by default: as reachable as the admin API), else 127.0.0.1:9681.
    public var probeAddress: SocketAddress? {
        guard probesEnabled else { return nil }
        if let probes { return probes }
        guard let admin else { return SocketAddress(address: IPAddress(ipv4: 0x7F00_0001), port: 9681) }
        return SocketAddress(address: admin.address, port: admin.port == 0 || admin.port == 65535 ? 0 : admin.port + 1)
    }
    /// The admin API's bearer tokens (`ROLE NAME TOKEN` lines); nil: none, allowed only when
    /// `admin` is a loopback address or `tls` requires client certificates.
    public var tokensFile: String?
    /// The admin API's TLS (certificate, key, client CA and the roles of client identities);
    /// nil: plain HTTP.
    public var tls: TLSConfiguration?
    public var allowedVNIs: [UInt32] = []
    /// Worker threads; 0: one per online core.
    public var workers = 0
    public var events = "-"
    /// Rotate the event file before it would pass this size; 0: never.
    public var eventsMaxBytes = 100 << 20
    /// Rotated event files kept (eve.json.1 ... eve.json.<n>); 0: none.
    public var eventsKeep = 5
    /// With TCP syslog: bytes of rotated files the collector has not received that rotation
    /// keeps beyond `eventsKeep`; when they would pass it, new records are not written
    /// (counted) rather than unsent history deleted (docs/security.md).
    public var eventsHoldMaxBytes = 1 << 30
    /// Where every record also goes as an RFC 5424 message (UDP or TCP); nil: nowhere.
    public var syslog: SyslogTarget?
    /// Where the admin API's tag state (address→tags and sequence) is saved across
    /// restarts; nil: not saved.
    public var tagState: String?
    /// Where the policy a manager pushed (`PUT /policy`) is kept across restarts; nil: in
    /// memory only (a restart runs the file's policy until the manager pushes again).
    public var policyState: String?
    public var sessions = 1 << 18
    /// The node-side tunnel port frames go back to; nil: the sender's source port.
    public var returnPort: UInt16? = 6080
    /// IP MTU of the way back to the pods; longer TCP packets are segmented.
    public var innerMTU = 1500
    /// On a policy reload, decide every existing session again; otherwise sessions keep
    /// their verdict while their rule still exists (found by name).
    public var rematchOnReload = false
    /// UDP generic receive offload on the tunnel socket: the kernel may hand over several
    /// datagrams of one flow in one receive (when the interface does GRO). Off by default:
    /// no measured gain (docs/firewall-bench.md); with several workers, inner flows whose
    /// outer source ports collide may share a buffer and so a worker.
    public var udpGRO = false
    /// UDP segmentation offload: runs of datagrams to one node with one length leave in
    /// one send each; refused sends fall back to one datagram at a time. On by default:
    /// 2.3–4× the TCP throughput (docs/firewall-bench.md).
    public var udpGSO = true
    /// How many flow records a flood can cause, split evenly over the workers.
    public var records = RecordBudget(summaryIntervalSeconds: 60, flowsPerSecond: 5000, maxSummaries: 4096)
    /// Anomaly records per kind per second (per worker); the rest are counted and summarised.
    public var anomaliesPerSecond = 20
    /// Addresses the admin API's tag map may hold; a batch that would pass it is refused
    /// whole (`507`). About 1.5 KB per address with two workers (docs/PERFORMANCE.md).
    public var maxTaggedAddresses = 262_144
    /// `/readyz` answers 503 until the manager's first whole tag map arrived in this run
    /// (several firewalls behind nodes that probe `/readyz`: docs/node-agent.md).
    public var readyAfterTags = false
    /// Who may send tunnel datagrams: by default enrolled nodes (addresses the manager tags
    /// `kind:node`) and `tunnelSourceNetworks`; `any` admits every sender.
    public var tunnelSourcesAny = false
    public var tunnelSourceNetworks: [IPNetwork] = []
    /// A new session from an enrolled node must have a pod of that node at one end.
    public var innerSourceCheck = true
    /// Suricata rules applied inline to every allowed session (a `.rules` file or a folder
    /// of them; relative to the configuration file's folder): drop and reject rules block
    /// the session, every match is an EVE `alert`. nil: no signatures.
    public var rules: String?
    /// `spec.files`: files of HTTP and SMTP sessions are tracked (typed, hashed, checked
    /// against these hash lists and YARA rules, paths relative to the configuration file's
    /// folder) and written as EVE `fileinfo`. nil: files are not tracked.
    public var files: FileSettings?
    /// `spec.files`, as written.
    public struct FileSettings: Sendable, Equatable {
        public var hashes: [String] = []
        public var yara: [String] = []
        public var limits = FileConfiguration()
        public init() {}
    }

    /// The indicator lists (files and UT1 folders) the policy's DNS security and URL
    /// filtering profiles look names up in; read with the policy, and again on each reload.
    public var lists: [IndicatorListSource] = []
    /// Who may send, for logs: `any sender`, or the enrolled nodes and the networks.
    public var tunnelSourcesDescription: String {
        if tunnelSourcesAny { return "any sender" }
        let networks = tunnelSourceNetworks.map(\.description).joined(separator: ", ")
        return "enrolled nodes (kind:node tags)" + (networks.isEmpty ? "" : " and \(networks)")
    }

    /// `tunnelSources` and `tunnelSourceNetworks` as the workers apply them.
    public var tunnelAdmission: TunnelAdmission {
        tunnelSourcesAny ? .any : .nodes(networks: tunnelSourceNetworks.map(AddressRange.init))
    }

    public init() {}

    public static let kind = "FirewallConfiguration"
}

extension FirewallConfiguration {
    /// The settings a reload does not apply (only the policy and its tags are swapped in)
    /// that differ in `newer`, as `spec.FIELD: OLD -> NEW` for the log: a changed `listen:`
    /// was once ignored without a word (issue 19).
    public func changesNeedingRestart(in newer: FirewallConfiguration) -> [String] {
        var changes: [String] = []
        func compare<T: Equatable>(_ field: String, _ old: T, _ new: T, _ show: (T) -> String) {
            if old != new { changes.append("spec.\(field): \(show(old)) -> \(show(new))") }
        }
        let address: (SocketAddress?) -> String = { $0?.description ?? "off" }
        compare("listen", listen, newer.listen) { $0.description }
        compare("admin", admin, newer.admin, address)
        compare("probes", probeAddress, newer.probeAddress, address)
        compare("auth.tokensFile", tokensFile, newer.tokensFile) { $0 ?? "none" }
        // The files themselves are read again when they change; the block needs a restart.
        compare("tls", tls, newer.tls) { $0.map { "\($0.certificate) (\($0.summary))" } ?? "off" }
        compare("vnis", allowedVNIs, newer.allowedVNIs) { $0.isEmpty ? "all" : $0.map(String.init).joined(separator: ",") }
        compare("workers", workers, newer.workers) { String($0) }
        compare("events", events, newer.events) { $0 }
        compare("eventsMaxBytes", eventsMaxBytes, newer.eventsMaxBytes) { String($0) }
        compare("eventsKeep", eventsKeep, newer.eventsKeep) { String($0) }
        compare("eventsHoldMaxBytes", eventsHoldMaxBytes, newer.eventsHoldMaxBytes) { String($0) }
        compare("tagState", tagState, newer.tagState) { $0 ?? "off" }
        compare("policyState", policyState, newer.policyState) { $0 ?? "off" }
        compare("sessions", sessions, newer.sessions) { String($0) }
        compare("returnPort", returnPort, newer.returnPort) { $0.map(String.init) ?? "source" }
        compare("innerMTU", innerMTU, newer.innerMTU) { String($0) }
        compare("maxTaggedAddresses", maxTaggedAddresses, newer.maxTaggedAddresses) { String($0) }
        compare("readyAfterTags", readyAfterTags, newer.readyAfterTags) { String($0) }
        compare("tunnelSources", tunnelSourcesAny, newer.tunnelSourcesAny) { $0 ? "any" : "nodes" }
        compare("tunnelSourceNetworks", tunnelSourceNetworks, newer.tunnelSourceNetworks) { $0.map(\.description).joined(separator: ",") }
        compare("innerSourceCheck", innerSourceCheck, newer.innerSourceCheck) { String($0) }
        compare("records.summaryInterval", records.summaryIntervalSeconds, newer.records.summaryIntervalSeconds) { String($0) }
        compare("records.flowsPerSecond", records.flowsPerSecond, newer.records.flowsPerSecond) { String($0) }
        compare("records.maxSummaries", records.maxSummaries, newer.records.maxSummaries) { String($0) }
        compare("records.anomaliesPerSecond", anomaliesPerSecond, newer.anomaliesPerSecond) { String($0) }
        return changes
    }
}
