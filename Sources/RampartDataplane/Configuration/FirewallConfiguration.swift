import FoundationEssentials
import RampartInspect
import RampartConfig
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
///   vnis: [7]                  # accepted VNIs (cluster ids); empty or absent: all
///   workers: 0                 # worker threads; 0: one per core
///   events: /var/log/rampart/eve.json   # or "-" for standard output
///   eventsMaxBytes: 104857600  # rotate the event file before this size; 0: never
///   eventsKeep: 5              # rotated files kept: eve.json.1 ... eve.json.5
///   eventsHoldMaxBytes: 1073741824   # unsent files kept past eventsKeep (TCP syslog)
///   syslog: udp://127.0.0.1:514   # RFC 5424 copy of every record; tcp://host:port (sent
///                                 # from the event files, at least once); or off
///   tagState: /var/lib/rampart/tags.json   # admin tags kept across restarts; absent: not kept
///   sessions: 262144
///   innerMTU: 1500             # longer inner TCP packets (TSO over a veth) are segmented
///   returnPort: 6080           # the nodes' tunnel port; "source" answers to the sender's port
///   rematchOnReload: false     # true: a reload decides existing sessions again
///   udpGRO: false              # receive coalesced datagrams (UDP_GRO); needs GRO on the interface
///   udpGSO: true               # send runs of datagrams as one (UDP_SEGMENT)
///   maxTaggedAddresses: 262144 # the admin tag map's bound; a batch past it is refused (507)
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
    /// `admin` is a loopback address.
    public var tokensFile: String?
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

/// One configuration file read and checked: the firewall section and the compiled policy.
///
/// ```swift
/// let bundle = try ConfigurationFile.load(path: "/etc/rampart/firewall.yaml")
/// var engine = Engine(policy: bundle.matcher)
/// ```
public struct ConfigurationFile {
    public var firewall: FirewallConfiguration
    public var document: PolicyDocument
    public var matcher: PolicyMatcher
    /// The compiled `spec.rules` (read by `load(path:)`; `parse` leaves it nil), and what
    /// loading them said.
    public var rules: DetectionRuleSet?
    public var rulesSummary: String?

    /// Reads `path`; every problem comes back as `PolicyErrors` with file:line:column.
    public static func load(path: String) throws(PolicyErrors) -> ConfigurationFile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PolicyErrors([PolicyError(file: path, line: 0, column: 0, message: "cannot read: \(error)")])
        }
        var file = try parse(text, file: path)
        if let rules = file.firewall.rules {
            let folder = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
            let resolved = rules.hasPrefix("/") ? rules : folder + "/" + rules
            let loaded = try SignatureRules.load(path: resolved)
            file.rules = loaded.rules
            file.rulesSummary = loaded.summary
        }
        return file
    }

    /// Parses the text of a configuration file.
    public static func parse(_ text: String, file: String) throws(PolicyErrors) -> ConfigurationFile {
        let (firewallText, policyText, firewallLine) = split(text)
        var firewall = FirewallConfiguration()
        var errors: [PolicyError] = []
        if let firewallText {
            do { firewall = try readFirewall(firewallText, file: file, firstLine: firewallLine) } catch { errors += error.errors }
        }
        // The policy is checked even when the firewall section is wrong: every error at once.
        let document: PolicyDocument
        do {
            document = try PolicyLoader.load(yaml: policyText, file: file)
        } catch {
            // The firewall starts only with a policy: say so in the firewall's words.
            let policyErrors = error.errors.map { e in
                guard e.message.hasPrefix(PolicyLoader.missingPolicyPrefix) else { return e }
                return PolicyError(
                    file: e.file, line: e.line, column: e.column,
                    message: "\(PolicyLoader.missingPolicyPrefix) rampart-firewall starts only with a policy, and this file has"
                        + " no SecurityPolicy document\(firewallText == nil ? "" : " beside its FirewallConfiguration"). Add one after"
                        + " a line '---': 'apiVersion: rampart.io/v1', 'kind: SecurityPolicy', 'metadata: {name: NAME}',"
                        + " 'spec: {zones: [...], rules: [...]}' (with no rules, traffic within a zone is allowed and"
                        + " between zones denied; see docs/firewall.md and docs/policy.md)")
            }
            throw PolicyErrors(errors + policyErrors)
        }
        if !errors.isEmpty { throw PolicyErrors(errors) }
        let matcher = try PolicyMatcher(document, tags: document.addressTags)
        return ConfigurationFile(firewall: firewall, document: document, matcher: matcher)
    }

    /// Separates the `FirewallConfiguration` document from the rest. The policy text keeps
    /// its line numbers (the firewall document's lines become empty), so the policy
    /// loader's file:line:column stay true.
    static func split(_ text: String) -> (firewall: String?, policy: String, firewallLine: Int) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var documents: [Range<Int>] = []
        var start = 0
        for (i, line) in lines.enumerated() where line.hasPrefix("---") {
            documents.append(start ..< i)
            start = i + 1
        }
        documents.append(start ..< lines.count)
        var firewall: Range<Int>?
        for range in documents where range.contains(where: { isFirewallKind(lines[$0]) }) {
            firewall = range
            break
        }
        guard let firewall else { return (nil, text, 0) }
        let firewallText = lines[firewall].joined(separator: "\n")
        var policyLines = lines.map(String.init)
        for i in firewall { policyLines[i] = "" }
        return (firewallText, policyLines.joined(separator: "\n"), firewall.lowerBound)
    }

    static func isFirewallKind(_ line: Substring) -> Bool {
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        guard trimmed.hasPrefix("kind:") else { return false }
        let quotesAndSpaces: Set<Character> = [" ", "\t", "\"", "'"]
        let value = String(trimmed.dropFirst(5).drop(while: { quotesAndSpaces.contains($0) }).reversed().drop(while: { quotesAndSpaces.contains($0) }).reversed())
        return value == FirewallConfiguration.kind && !line.hasPrefix(" ")
    }

    static func readFirewall(_ text: String, file: String, firstLine: Int) throws(PolicyErrors) -> FirewallConfiguration {
        var errors: [PolicyError] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // The line naming `spec.<field>` (first mention), else the document's first line.
        func fail(_ message: String) {
            var line = 0
            if let range = message.firstRange(of: "spec."), let field = message[range.upperBound...].split(whereSeparator: { !$0.isLetter }).first,
               let at = lines.firstIndex(where: { $0.contains("\(field):") }) {
                line = at
            }
            errors.append(PolicyError(file: file, line: firstLine + line + 1, column: 1, message: message))
        }
        let root: Any?
        do throws(PolicyErrors) {
            root = try PlainYAML.load(text, file: file)
        } catch {
            // The document's lines count from its own start; the file's from the file's.
            throw PolicyErrors(error.errors.map { PolicyError(file: $0.file, line: $0.line + firstLine, column: $0.column, message: "FirewallConfiguration: \($0.message)") })
        }
        guard let document = root as? [String: Any] else {
            throw PolicyErrors([PolicyError(file: file, line: firstLine + 1, column: 1, message: "FirewallConfiguration must be a mapping")])
        }
        if let version = document["apiVersion"] as? String, version != PolicyLoader.apiVersion {
            fail("apiVersion must be '\(PolicyLoader.apiVersion)', found '\(version)'")
        }
        var configuration = FirewallConfiguration()
        let spec = document["spec"] as? [String: Any] ?? [:]
        let known: Set<String> = ["listen", "admin", "probes", "auth", "vnis", "workers", "events", "eventsMaxBytes", "eventsKeep", "eventsHoldMaxBytes", "syslog", "sessions", "returnPort", "innerMTU", "rematchOnReload", "tagState", "udpGRO", "udpGSO", "records", "maxTaggedAddresses", "tunnelSources", "tunnelSourceNetworks", "innerSourceCheck", "rules"]
        for key in spec.keys.sorted() where !known.contains(key) {
            fail("FirewallConfiguration: unknown field 'spec.\(key)'; expected one of \(known.sorted().joined(separator: ", "))")
        }
        if let value = spec["listen"] {
            if let text = value as? String, let address = SocketAddress(parsing: text) {
                configuration.listen = address
            } else { fail("spec.listen must be address:port (e.g. 0.0.0.0:6080), found '\(value)'") }
        }
        if let value = spec["admin"] {
            // YAML 1.1 reads a bare `off` as false.
            if (value as? String) == "off" || (value as? Bool) == false {
                configuration.admin = nil
            } else if let text = value as? String, let address = SocketAddress(parsing: text) {
                configuration.admin = address
            } else { fail("spec.admin must be address:port (e.g. 127.0.0.1:9680) or off, found '\(value)'") }
        }
        if let value = spec["probes"] {
            if (value as? String) == "off" || (value as? Bool) == false {
                configuration.probesEnabled = false
            } else if let text = value as? String, let address = SocketAddress(parsing: text) {
                configuration.probes = address
            } else { fail("spec.probes must be address:port (e.g. 127.0.0.1:9681, or 0.0.0.0:9681 for kubelet probes) or off, found '\(value)'") }
        }
        if let value = spec["auth"] {
            if let auth = value as? [String: Any] {
                for key in auth.keys.sorted() where key != "tokensFile" {
                    fail("FirewallConfiguration: unknown field 'spec.auth.\(key)'; expected tokensFile")
                }
                if let path = auth["tokensFile"] {
                    if let path = path as? String, !path.isEmpty { configuration.tokensFile = path } else {
                        fail("spec.auth.tokensFile must be the path of a tokens file (lines 'ROLE NAME TOKEN'), found '\(path)'")
                    }
                }
            } else { fail("spec.auth must be a mapping, e.g. {tokensFile: /etc/rampart/tokens}") }
        }
        if let value = spec["vnis"] {
            if let list = value as? [Int], list.allSatisfy({ $0 >= 0 && $0 <= 0xFF_FFFF }) {
                configuration.allowedVNIs = list.map { UInt32($0) }
            } else { fail("spec.vnis must be a list of VNIs (0...16777215)") }
        }
        if let value = spec["workers"] {
            if let n = value as? Int, n >= 0, n <= 256 {
                configuration.workers = n
            } else { fail("spec.workers must be between 0 (one per core) and 256") }
        }
        if let value = spec["events"] {
            if let path = value as? String, !path.isEmpty {
                configuration.events = path
            } else { fail("spec.events must be a file path or '-'") }
        }
        if let value = spec["eventsMaxBytes"] {
            if let n = value as? Int, n == 0 || (n >= 4096 && n <= 1 << 40) {
                configuration.eventsMaxBytes = n
            } else { fail("spec.eventsMaxBytes must be 0 (never rotate) or a size in bytes from 4096, found '\(value)'") }
        }
        if let value = spec["eventsKeep"] {
            if let n = value as? Int, n >= 0, n <= 1000 {
                configuration.eventsKeep = n
            } else { fail("spec.eventsKeep must be between 0 and 1000 rotated files, found '\(value)'") }
        }
        if let value = spec["eventsHoldMaxBytes"] {
            if let n = value as? Int, n >= 0, n <= 1 << 44 {
                configuration.eventsHoldMaxBytes = n
            } else { fail("spec.eventsHoldMaxBytes must be a size in bytes from 0 (hold nothing past eventsKeep) to 17592186044416 (16 TiB), found '\(value)'") }
        }
        if let value = spec["syslog"] {
            // YAML 1.1 reads a bare `off` as false.
            if (value as? String) == "off" || (value as? Bool) == false {
                configuration.syslog = nil
            } else if let text = value as? String, let target = SyslogTarget(parsing: text) {
                configuration.syslog = target
            } else { fail("spec.syslog must be udp://host:port or tcp://host:port (e.g. udp://127.0.0.1:514, tcp://[::1]:6514, tcp://syslog.example:514) or off, found '\(value)'") }
        }
        if let value = spec["rules"] {
            if (value as? String) == "off" || (value as? Bool) == false {
                configuration.rules = nil
            } else if let path = value as? String, !path.isEmpty {
                configuration.rules = path
            } else { fail("spec.rules must be the path of a .rules file or a folder of them, or off, found '\(value)'") }
        }
        if let value = spec["tagState"] {
            if (value as? String) == "off" || (value as? Bool) == false {
                configuration.tagState = nil
            } else if let path = value as? String, !path.isEmpty {
                configuration.tagState = path
            } else { fail("spec.tagState must be a file path or off, found '\(value)'") }
        }
        if let value = spec["sessions"] {
            if let n = value as? Int, n >= 16, n <= 1 << 26 {
                configuration.sessions = n
            } else { fail("spec.sessions must be between 16 and 67108864") }
        }
        if let value = spec["returnPort"] {
            if let text = value as? String, text == "source" {
                configuration.returnPort = nil
            } else if let n = value as? Int, n >= 1, n <= 65535 {
                configuration.returnPort = UInt16(n)
            } else { fail("spec.returnPort must be a port (1...65535) or 'source'") }
        }
        if let value = spec["innerMTU"] {
            if let n = value as? Int, n >= 576, n <= 65_000 {
                configuration.innerMTU = n
            } else { fail("spec.innerMTU must be between 576 and 65000") }
        }
        if let value = spec["rematchOnReload"] {
            if let flag = value as? Bool {
                configuration.rematchOnReload = flag
            } else { fail("spec.rematchOnReload must be true or false, found '\(value)'") }
        }
        if let value = spec["udpGRO"] {
            if let flag = value as? Bool {
                configuration.udpGRO = flag
            } else { fail("spec.udpGRO must be true or false, found '\(value)'") }
        }
        if let value = spec["udpGSO"] {
            if let flag = value as? Bool {
                configuration.udpGSO = flag
            } else { fail("spec.udpGSO must be true or false, found '\(value)'") }
        }
        if let value = spec["tunnelSources"] {
            switch value as? String {
            case "nodes": configuration.tunnelSourcesAny = false
            case "any": configuration.tunnelSourcesAny = true
            default: fail("spec.tunnelSources must be 'nodes' (enrolled nodes and spec.tunnelSourceNetworks) or 'any', found '\(value)'")
            }
        }
        if let value = spec["tunnelSourceNetworks"] {
            if let list = value as? [String], case let networks = list.compactMap({ IPNetwork($0) }), networks.count == list.count {
                configuration.tunnelSourceNetworks = networks
            } else { fail("spec.tunnelSourceNetworks must be a list of networks (e.g. [10.0.0.0/24, \"fd00:10::/64\"]), found '\(value)'") }
        }
        if let value = spec["innerSourceCheck"] {
            if let flag = value as? Bool {
                configuration.innerSourceCheck = flag
            } else { fail("spec.innerSourceCheck must be true or false, found '\(value)'") }
        }
        if let value = spec["maxTaggedAddresses"] {
            if let n = value as? Int, n >= 1, n <= 1 << 24 {
                configuration.maxTaggedAddresses = n
            } else { fail("spec.maxTaggedAddresses must be between 1 and 16777216 addresses, found '\(value)'") }
        }
        if let value = spec["records"] {
            if let records = value as? [String: Any] {
                let fields = ["summaryInterval", "flowsPerSecond", "anomaliesPerSecond", "maxSummaries"]
                for key in records.keys.sorted() where !fields.contains(key) {
                    fail("FirewallConfiguration: unknown field 'spec.records.\(key)'; expected one of \(fields.joined(separator: ", "))")
                }
                func number(_ key: String, _ range: ClosedRange<Int>, _ meaning: String, _ set: (Int) -> Void) {
                    guard let value = records[key] else { return }
                    if let n = value as? Int, range.contains(n) { set(n) } else {
                        fail("spec.records.\(key) must be \(meaning) (\(range.lowerBound)...\(range.upperBound)), found '\(value)'")
                    }
                }
                number("summaryInterval", 0 ... 3600, "seconds per summary interval, 0 for no summaries") { configuration.records.summaryIntervalSeconds = $0 }
                number("flowsPerSecond", 0 ... 10_000_000, "flow records per second, 0 for no limit") { configuration.records.flowsPerSecond = $0 }
                number("anomaliesPerSecond", 0 ... 1_000_000, "anomaly records per kind per second, 0 for no limit") { configuration.anomaliesPerSecond = $0 }
                number("maxSummaries", 16 ... 1 << 20, "the number of keys summarised at once") { configuration.records.maxSummaries = $0 }
            } else { fail("spec.records must be a mapping, e.g. {summaryInterval: 60, flowsPerSecond: 5000}") }
        }
        if !errors.isEmpty { throw PolicyErrors(errors) }
        return configuration
    }
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
        compare("vnis", allowedVNIs, newer.allowedVNIs) { $0.isEmpty ? "all" : $0.map(String.init).joined(separator: ",") }
        compare("workers", workers, newer.workers) { String($0) }
        compare("events", events, newer.events) { $0 }
        compare("eventsMaxBytes", eventsMaxBytes, newer.eventsMaxBytes) { String($0) }
        compare("eventsKeep", eventsKeep, newer.eventsKeep) { String($0) }
        compare("eventsHoldMaxBytes", eventsHoldMaxBytes, newer.eventsHoldMaxBytes) { String($0) }
        compare("tagState", tagState, newer.tagState) { $0 ?? "off" }
        compare("sessions", sessions, newer.sessions) { String($0) }
        compare("returnPort", returnPort, newer.returnPort) { $0.map(String.init) ?? "source" }
        compare("innerMTU", innerMTU, newer.innerMTU) { String($0) }
        compare("maxTaggedAddresses", maxTaggedAddresses, newer.maxTaggedAddresses) { String($0) }
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
