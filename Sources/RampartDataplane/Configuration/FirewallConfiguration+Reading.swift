import RampartConfig
import RampartHTTP
import RampartWire

extension FirewallConfiguration {
    static let specKeys = [
        "listen", "admin", "probes", "auth", "tls", "vnis", "workers", "events", "eventsMaxBytes", "eventsKeep", "eventsHoldMaxBytes",
        "syslog", "tagState", "policyState", "sessions", "returnPort", "innerMTU", "rematchOnReload", "udpGRO", "udpGSO", "tunnelSources",
        "tunnelSourceNetworks", "innerSourceCheck", "maxTaggedAddresses", "readyAfterTags", "records", "rules", "lists", "files",
    ]

    /// Reads a `FirewallConfiguration` document through the shared reader: every problem is
    /// recorded in `r` at its position (unknown and misspelt keys with a "did you mean"),
    /// and what could not be read keeps its default.
    static func read(_ document: YAMLNode, reader r: ConfigReader) -> FirewallConfiguration {
        var configuration = FirewallConfiguration()
        // No spec, or an empty one: every default.
        guard let specNode = r.spec(of: document, kind: kind, specRequired: false), !specNode.isNull,
              let spec = r.fields(specNode, "spec", allowed: specKeys)
        else { return configuration }

        /// The scalar's text, nil (with an error naming what was expected) for anything else.
        func text(_ node: YAMLNode, _ expected: String) -> String? {
            if let text = node.text { return text }
            r.error(node.location, "\(expected), found \(r.describe(node))")
            return nil
        }
        /// A whole number within `range`; `expected` is the message without its "found".
        func integer(_ node: YAMLNode, _ range: ClosedRange<Int>, _ expected: String) -> Int? {
            if case .scalar(let text, _, _) = node, let n = Int(text), range.contains(n) { return n }
            r.error(node.location, "\(expected), found \(r.describe(node))")
            return nil
        }
        func address(_ node: YAMLNode, _ expected: String) -> SocketAddress? {
            guard let text = text(node, expected) else { return nil }
            guard let address = SocketAddress(parsing: text) else {
                r.error(node.location, "\(expected), found \(r.describe(node))")
                return nil
            }
            return address
        }
        func flag(_ key: String, _ set: (Bool) -> Void) {
            if let node = spec[key], let value = r.bool(node, "spec.\(key)") { set(value) }
        }

        if let node = spec["listen"], let address = address(node, "spec.listen must be address:port (e.g. 0.0.0.0:6080)") {
            configuration.listen = address
        }
        if let node = spec["admin"] {
            if node.isOff { configuration.admin = nil } else if let address = address(node, "spec.admin must be address:port (e.g. 127.0.0.1:9680) or off") {
                configuration.admin = address
            }
        }
        if let node = spec["probes"] {
            if node.isOff { configuration.probesEnabled = false } else if let address = address(
                node, "spec.probes must be address:port (e.g. 127.0.0.1:9681, or 0.0.0.0:9681 for kubelet probes) or off") {
                configuration.probes = address
            }
        }
        if let node = spec["auth"] {
            let expected = "spec.auth.tokensFile must be the path of a tokens file (lines 'ROLE NAME TOKEN')"
            if case .mapping = node {
                if let path = r.fields(node, "spec.auth", allowed: ["tokensFile"])?["tokensFile"], let text = text(path, expected) {
                    if text.isEmpty { r.error(path.location, "\(expected), found ''") } else { configuration.tokensFile = text }
                }
            } else {
                r.error(node.location, "spec.auth must be a mapping, e.g. {tokensFile: /etc/rampart/tokens}, found \(r.describe(node))")
            }
        }
        if let node = spec["tls"] { configuration.tls = TLSConfiguration.read(node, key: "spec.tls", reader: r) }
        if let node = spec["vnis"], let items = r.list(node, "spec.vnis (the accepted VNIs)", limit: 1 << 16) {
            configuration.allowedVNIs = items.compactMap { item in
                integer(item, 0...0xFF_FFFF, "spec.vnis must be a list of VNIs (0...16777215)").map(UInt32.init)
            }
        }
        if let node = spec["workers"], let n = integer(node, 0...256, "spec.workers must be between 0 (one per core) and 256") {
            configuration.workers = n
        }
        if let node = spec["events"], let path = text(node, "spec.events must be a file path or '-'") {
            if path.isEmpty { r.error(node.location, "spec.events must be a file path or '-', found ''") } else { configuration.events = path }
        }
        if let node = spec["eventsMaxBytes"],
           let n = integer(node, 0...(1 << 40), "spec.eventsMaxBytes must be 0 (never rotate) or a size in bytes from 4096") {
            if n == 0 || n >= 4096 { configuration.eventsMaxBytes = n } else {
                r.error(node.location, "spec.eventsMaxBytes must be 0 (never rotate) or a size in bytes from 4096, found '\(n)'")
            }
        }
        if let node = spec["eventsKeep"], let n = integer(node, 0...1000, "spec.eventsKeep must be between 0 and 1000 rotated files") {
            configuration.eventsKeep = n
        }
        if let node = spec["eventsHoldMaxBytes"], let n = integer(node, 0...(1 << 44),
            "spec.eventsHoldMaxBytes must be a size in bytes from 0 (hold nothing past eventsKeep) to 17592186044416 (16 TiB)") {
            configuration.eventsHoldMaxBytes = n
        }
        if let node = spec["syslog"], !node.isOff {
            let expected = "spec.syslog must be udp://host:port or tcp://host:port (e.g. udp://127.0.0.1:514, tcp://[::1]:6514, tcp://syslog.example:514) or off"
            if let text = text(node, expected) {
                if let target = SyslogTarget(parsing: text) { configuration.syslog = target } else { r.error(node.location, "\(expected), found \(r.describe(node))") }
            }
        }
        if let node = spec["tagState"], !node.isOff, let path = text(node, "spec.tagState must be a file path or off") {
            if path.isEmpty { r.error(node.location, "spec.tagState must be a file path or off, found ''") } else { configuration.tagState = path }
        }
        if let node = spec["policyState"], !node.isOff, let path = text(node, "spec.policyState must be a file path or off") {
            if path.isEmpty { r.error(node.location, "spec.policyState must be a file path or off, found ''") } else { configuration.policyState = path }
        }
        if let node = spec["rules"], !node.isOff {
            let expected = "spec.rules must be the path of a .rules file or a folder of them, or off"
            if let path = text(node, expected) {
                if path.isEmpty { r.error(node.location, "\(expected), found ''") } else { configuration.rules = path }
            }
        }
        if let node = spec["files"], !node.isOff {
            let example = "e.g. {hashes: [bad.sha256], yara: [malware.yar]}"
            var settings = FirewallConfiguration.FileSettings()
            if case .mapping = node {
                let fields = r.fields(node, "spec.files", allowed: ["hashes", "yara", "maxFiles", "scanBytes", "maxFileBytes", "inflaters"]) ?? [:]
                for key in ["hashes", "yara"] {
                    guard let list = fields[key], let items = r.list(list, "spec.files.\(key) (paths)", scalarAllowed: true, limit: 1000) else { continue }
                    for item in items {
                        guard let path = text(item, "spec.files.\(key) holds paths of files"), !path.isEmpty else { continue }
                        if key == "hashes" { settings.hashes.append(path) } else { settings.yara.append(path) }
                    }
                }
                func number(_ key: String, _ range: ClosedRange<Int>, _ set: (Int) -> Void) {
                    guard let node = fields[key] else { return }
                    if let n = integer(node, range, "spec.files.\(key) must be between \(range.lowerBound) and \(range.upperBound)") { set(n) }
                }
                number("maxFiles", 1...(1 << 20)) { settings.limits.maxFiles = $0 }
                number("scanBytes", 512...(64 << 20)) { settings.limits.scanBytes = $0 }
                number("maxFileBytes", 1...(1 << 40)) { settings.limits.maxFileBytes = $0 }
                number("inflaters", 0...(1 << 16)) { settings.limits.inflaters = $0 }
            } else {
                r.error(node.location, "spec.files must be a mapping (\(example)) or off, found \(r.describe(node))")
            }
            configuration.files = settings
        }
        if let node = spec["lists"], !node.isOff { configuration.lists = IndicatorListSource.read(node, reader: r) }
        if let node = spec["sessions"], let n = integer(node, 16...(1 << 26), "spec.sessions must be between 16 and 67108864") {
            configuration.sessions = n
        }
        if let node = spec["returnPort"] {
            if node.text == "source" { configuration.returnPort = nil } else if let n = integer(node, 1...65535, "spec.returnPort must be a port (1...65535) or 'source'") {
                configuration.returnPort = UInt16(n)
            }
        }
        if let node = spec["innerMTU"], let n = integer(node, 576...65_000, "spec.innerMTU must be between 576 and 65000") {
            configuration.innerMTU = n
        }
        flag("rematchOnReload") { configuration.rematchOnReload = $0 }
        flag("readyAfterTags") { configuration.readyAfterTags = $0 }
        flag("udpGRO") { configuration.udpGRO = $0 }
        flag("udpGSO") { configuration.udpGSO = $0 }
        flag("innerSourceCheck") { configuration.innerSourceCheck = $0 }
        if let node = spec["tunnelSources"] {
            switch node.text {
            case "nodes": configuration.tunnelSourcesAny = false
            case "any": configuration.tunnelSourcesAny = true
            default: r.error(node.location, "spec.tunnelSources must be 'nodes' (enrolled nodes and spec.tunnelSourceNetworks) or 'any', found \(r.describe(node))")
            }
        }
        if let node = spec["tunnelSourceNetworks"], let items = r.strings(node, "spec.tunnelSourceNetworks", scalarAllowed: false, limit: 1 << 16) {
            configuration.tunnelSourceNetworks = items.compactMap { text, item in
                if let network = IPNetwork(text) { return network }
                r.error(item.location, "spec.tunnelSourceNetworks must be a list of networks (e.g. [10.0.0.0/24, \"fd00:10::/64\"]), found \(r.describe(item))")
                return nil
            }
        }
        if let node = spec["maxTaggedAddresses"], let n = integer(node, 1...(1 << 24), "spec.maxTaggedAddresses must be between 1 and 16777216 addresses") {
            configuration.maxTaggedAddresses = n
        }
        if let node = spec["records"] {
            var records: [String: YAMLNode] = [:]
            if case .mapping = node {
                records = r.fields(node, "spec.records", allowed: ["summaryInterval", "flowsPerSecond", "anomaliesPerSecond", "maxSummaries"]) ?? [:]
            } else {
                r.error(node.location, "spec.records must be a mapping, e.g. {summaryInterval: 60, flowsPerSecond: 5000}, found \(r.describe(node))")
            }
            func number(_ key: String, _ range: ClosedRange<Int>, _ meaning: String, _ set: (Int) -> Void) {
                guard let node = records[key] else { return }
                if let n = integer(node, range, "spec.records.\(key) must be \(meaning) (\(range.lowerBound)...\(range.upperBound))") { set(n) }
            }
            number("summaryInterval", 0...3600, "seconds per summary interval, 0 for no summaries") { configuration.records.summaryIntervalSeconds = $0 }
            number("flowsPerSecond", 0...10_000_000, "flow records per second, 0 for no limit") { configuration.records.flowsPerSecond = $0 }
            number("anomaliesPerSecond", 0...1_000_000, "anomaly records per kind per second, 0 for no limit") { configuration.anomaliesPerSecond = $0 }
            number("maxSummaries", 16...(1 << 20), "the number of keys summarised at once") { configuration.records.maxSummaries = $0 }
        }
        return configuration
    }
}
