
/// One EVE record as the log store keeps it: the fields it is searched by, the tags of both
/// ends, and the record itself.
///
/// The ends' Kubernetes names come from their tags (`cluster:`, `ns:`, `pod:NS/NAME`,
/// `workload:NAME`, docs/manager.md "Tags"): the manager's map when the record arrives (the
/// address's tags at the time of the record, give or take the shipping delay), else the tags
/// the firewall wrote in the record (`rampart.src_tags`, `rampart.dest_tags`).
///
/// ```swift
/// let record = LogRecord(eve: line, firewall: "fw-1") { manager.tags(of: $0)?.tags }
/// ```
public struct LogRecord: Sendable, Equatable {
    public struct End: Sendable, Equatable {
        public var ip: String?
        public var port: Int?
        public var cluster: String?
        public var namespace: String?
        /// `NS/NAME`
        public var pod: String?
        /// `NS/NAME`
        public var workload: String?
        public var tags: [String] = []

        mutating func name(from tags: [String]) {
            self.tags = tags
            var workloadName: String?
            for tag in tags {
                // Only four prefixes name an end: look at the first byte before comparing.
                switch tag.utf8.first {
                case UInt8(ascii: "c"): if tag.hasPrefix("cluster:") { cluster = String(tag.dropFirst(8)) }
                case UInt8(ascii: "n"): if tag.hasPrefix("ns:") { namespace = String(tag.dropFirst(3)) }
                case UInt8(ascii: "p"): if tag.hasPrefix("pod:") { pod = String(tag.dropFirst(4)) }
                case UInt8(ascii: "w"): if tag.hasPrefix("workload:") { workloadName = String(tag.dropFirst(9)) }
                default: break
                }
            }
            if let workloadName, let namespace { workload = "\(namespace)/\(workloadName)" }
        }
    }

    /// Milliseconds since 1970 (the record's `timestamp`).
    public var time: Int64
    public var firewall: String
    public var eventType: String
    public var proto: String?
    public var app: String?
    public var action: String?
    public var rule: String?
    public var source = End()
    public var destination = End()
    /// The EVE line as the firewall wrote it.
    public var json: String

    /// Reads an EVE line; nil when it is not a JSON object with a `timestamp` and `event_type`.
    public init?(eve line: String, firewall: String, tags: (String) -> [String]?) {
        guard let fields = EVEFieldScanner.scan(line), let stamp = fields[.timestamp], let seconds = RFC3339.seconds(stamp),
              let type = fields[.eventType]
        else { return nil }
        time = Int64((seconds * 1000).rounded())
        self.firewall = firewall
        eventType = type
        json = line
        proto = fields[.proto]
        app = fields[.rampartApp] ?? fields[.appProto]
        rule = fields[.rampartRule] ?? fields[.alertSignature]
        action = fields[.rampartAction] ?? fields[.alertAction] ?? fields[.flowAction]
        source.ip = fields[.srcIP]
        source.port = fields[.srcPort].flatMap { Int($0) }
        destination.ip = fields[.destIP]
        destination.port = fields[.destPort].flatMap { Int($0) }
        source.name(from: source.ip.flatMap(tags) ?? fields.list(.rampartSourceTags) ?? [])
        destination.name(from: destination.ip.flatMap(tags) ?? fields.list(.rampartDestinationTags) ?? [])
    }

    public init(time: Int64, firewall: String, eventType: String, json: String) {
        self.time = time
        self.firewall = firewall
        self.eventType = eventType
        self.json = json
    }
}
