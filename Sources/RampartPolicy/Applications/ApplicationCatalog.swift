/// The applications App-ID can name, with their category and default ports.
///
/// Naming an application in a rule also matches its children (`http2` matches `grpc`).
/// `incomplete`, `insufficient-data`, `unknown-tcp` and `unknown-udp` are states, not
/// protocols: App-ID reports them when it could not (yet) tell. They have no default ports,
/// so `application-default` never matches them.
///
/// ```swift
/// ApplicationCatalog.id(named: "dns")                      // an ApplicationID
/// ApplicationCatalog.ids(inCategory: "database").count     // 5
/// ApplicationCatalog.entry(ApplicationCatalog.id(named: "ssh")!).defaultPorts  // tcp/22
/// ```
public enum ApplicationCatalog {
    private static func tcp(_ p: UInt16...) -> ApplicationPorts { ApplicationPorts(.tcp, p.map { $0...$0 }) }
    private static func udp(_ p: UInt16...) -> ApplicationPorts { ApplicationPorts(.udp, p.map { $0...$0 }) }

    /// Every application, in `ApplicationID` order.
    public static let entries: [ApplicationEntry] = [
        ApplicationEntry(name: "http", parent: nil, category: "web", defaultPorts: [tcp(80, 8080)], summary: "HTTP/1.x"),
        ApplicationEntry(name: "http2", parent: nil, category: "web", defaultPorts: [tcp(80, 443)], summary: "HTTP/2 (h2 and h2c)"),
        ApplicationEntry(name: "grpc", parent: "http2", category: "web", defaultPorts: [tcp(443, 50051)], summary: "gRPC over HTTP/2"),
        ApplicationEntry(name: "ssl", parent: nil, category: "web", defaultPorts: [tcp(443)], summary: "TLS whose content App-ID could not name"),
        ApplicationEntry(name: "dns", parent: nil, category: "infrastructure", defaultPorts: [udp(53), tcp(53)], summary: "Domain Name System"),
        ApplicationEntry(name: "ssh", parent: nil, category: "remote-access", defaultPorts: [tcp(22)], summary: "Secure Shell"),
        ApplicationEntry(name: "postgresql", parent: nil, category: "database", defaultPorts: [tcp(5432)], summary: "PostgreSQL wire protocol"),
        ApplicationEntry(name: "mysql", parent: nil, category: "database", defaultPorts: [tcp(3306)], summary: "MySQL / MariaDB protocol"),
        ApplicationEntry(name: "redis", parent: nil, category: "database", defaultPorts: [tcp(6379)], summary: "Redis RESP"),
        ApplicationEntry(name: "mongodb", parent: nil, category: "database", defaultPorts: [tcp(27017)], summary: "MongoDB wire protocol"),
        ApplicationEntry(name: "memcached", parent: nil, category: "database", defaultPorts: [tcp(11211), udp(11211)], summary: "memcached"),
        ApplicationEntry(name: "kafka", parent: nil, category: "messaging", defaultPorts: [tcp(9092)], summary: "Apache Kafka"),
        ApplicationEntry(name: "mqtt", parent: nil, category: "messaging", defaultPorts: [tcp(1883, 8883)], summary: "MQTT"),
        ApplicationEntry(name: "amqp", parent: nil, category: "messaging", defaultPorts: [tcp(5672, 5671)], summary: "AMQP (RabbitMQ)"),
        ApplicationEntry(name: "smtp", parent: nil, category: "mail", defaultPorts: [tcp(25, 465, 587)], summary: "SMTP"),
        ApplicationEntry(name: "imap", parent: nil, category: "mail", defaultPorts: [tcp(143, 993)], summary: "IMAP"),
        ApplicationEntry(name: "pop3", parent: nil, category: "mail", defaultPorts: [tcp(110, 995)], summary: "POP3"),
        ApplicationEntry(name: "ldap", parent: nil, category: "infrastructure", defaultPorts: [tcp(389, 636), udp(389)], summary: "LDAP"),
        ApplicationEntry(name: "ntp", parent: nil, category: "infrastructure", defaultPorts: [udp(123)], summary: "Network Time Protocol"),
        ApplicationEntry(name: "kubernetes-api", parent: nil, category: "infrastructure", defaultPorts: [tcp(443, 6443)], summary: "Kubernetes API server"),
        ApplicationEntry(name: "openai-api", parent: nil, category: "ai", defaultPorts: [tcp(443)], summary: "OpenAI-compatible HTTP API"),
        ApplicationEntry(name: "anthropic-api", parent: nil, category: "ai", defaultPorts: [tcp(443)], summary: "Anthropic Messages API"),
        ApplicationEntry(name: "ollama", parent: nil, category: "ai", defaultPorts: [tcp(11434)], summary: "Ollama model server"),
        ApplicationEntry(name: "mcp", parent: nil, category: "ai", defaultPorts: [tcp(80, 443, 8000)], summary: "Model Context Protocol over HTTP"),
        ApplicationEntry(name: "ping", parent: nil, category: "infrastructure", defaultPorts: [ApplicationPorts(.icmp, [])], summary: "ICMP / ICMPv6 echo"),
        ApplicationEntry(name: "incomplete", parent: nil, category: "unknown", defaultPorts: [], summary: "handshake not completed"),
        ApplicationEntry(name: "insufficient-data", parent: nil, category: "unknown", defaultPorts: [], summary: "too little payload to identify"),
        ApplicationEntry(name: "unknown-tcp", parent: nil, category: "unknown", defaultPorts: [], summary: "TCP payload App-ID does not know"),
        ApplicationEntry(name: "unknown-udp", parent: nil, category: "unknown", defaultPorts: [], summary: "UDP payload App-ID does not know"),
        ApplicationEntry(name: "icmp", parent: nil, category: "infrastructure", defaultPorts: [ApplicationPorts(.icmp, [])], summary: "ICMP / ICMPv6 other than echo"),
    ]

    /// Every category name used in `entries`.
    public static let categories: [String] = {
        var seen: [String] = []
        for e in entries where !seen.contains(e.category) { seen.append(e.category) }
        return seen
    }()

    private static let byName: [String: ApplicationID] = {
        var d: [String: ApplicationID] = [:]
        for (i, e) in entries.enumerated() { d[e.name] = ApplicationID(rawValue: UInt16(i)) }
        return d
    }()

    public static var count: Int { entries.count }

    public static func id(named name: String) -> ApplicationID? { byName[name] }

    /// The name, or `app#N` for an id outside the catalog.
    public static func name(of id: ApplicationID) -> String {
        Int(id.rawValue) < entries.count ? entries[Int(id.rawValue)].name : "app#\(id.rawValue)"
    }

    /// The entry; ids outside the catalog read as `unknown-tcp`.
    public static func entry(_ id: ApplicationID) -> ApplicationEntry {
        Int(id.rawValue) < entries.count ? entries[Int(id.rawValue)] : entries[entries.count - 2]
    }

    public static func defaultPorts(of id: ApplicationID) -> [ApplicationPorts] { entry(id).defaultPorts }

    public static func ids(inCategory category: String) -> [ApplicationID] {
        entries.indices.filter { entries[$0].category == category }.map { ApplicationID(rawValue: UInt16($0)) }
    }

    /// The application and every descendant (naming `http2` in a rule matches `grpc` too).
    public static func selfAndDescendants(_ id: ApplicationID) -> [ApplicationID] {
        let name = self.name(of: id)
        var out = [id]
        for (i, e) in entries.enumerated() {
            var p = e.parent
            var hops = 0
            while let q = p, hops < 8 {
                if q == name { out.append(ApplicationID(rawValue: UInt16(i))); break }
                p = byName[q].map { entries[Int($0.rawValue)].parent } ?? nil
                hops += 1
            }
        }
        return out
    }

    public static let incomplete = ApplicationID(rawValue: UInt16(entries.firstIndex { $0.name == "incomplete" } ?? 0))
    public static let insufficientData = ApplicationID(rawValue: UInt16(entries.firstIndex { $0.name == "insufficient-data" } ?? 0))
    public static let unknownTCP = ApplicationID(rawValue: UInt16(entries.firstIndex { $0.name == "unknown-tcp" } ?? 0))
    public static let unknownUDP = ApplicationID(rawValue: UInt16(entries.firstIndex { $0.name == "unknown-udp" } ?? 0))
}
