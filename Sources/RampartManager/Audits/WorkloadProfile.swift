/// What one workload was seen doing: each connection it took part in (direction, peer,
/// application, protocol and port) with first and last seen, and the same folded by peer,
/// application and port. Bounded by `AuditSettings.maxEntriesPerProfile` connections (the
/// folded sets are never larger).
///
/// ```swift
/// var profile = WorkloadProfile(identity: identity, firstSeen: now)
/// let novelty = profile.note(connection, at: now, limit: 2000)   // novelty.peer: never seen before
/// ```
public struct WorkloadProfile: Sendable {
    /// The workload: cluster, namespace and name (`NS/NAME` in `workload`).
    public struct Identity: Hashable, Sendable, Comparable {
        public var cluster: String
        public var namespace: String
        /// `NAME` (without the namespace).
        public var name: String
        public var description: String { "\(cluster)/\(namespace)/\(name)" }
        public static func < (a: Identity, b: Identity) -> Bool { a.description < b.description }
        public init(cluster: String, namespace: String, name: String) {
            self.cluster = cluster
            self.namespace = namespace
            self.name = name
        }
    }

    /// The other end: a workload (named by its tags, so a rule can select it whatever its
    /// addresses), or an address the manager knows no workload for.
    public struct Peer: Hashable, Sendable, Comparable, CustomStringConvertible {
        public var workload: Identity?
        public var address: String?
        public var description: String { workload.map { "workload:\($0.description)" } ?? "address:\(address ?? "?")" }
        public static func < (a: Peer, b: Peer) -> Bool { a.description < b.description }
    }

    public enum Direction: String, Sendable, Hashable, Comparable {
        /// The workload opened the session (it is the record's source).
        case outbound
        /// The workload was the session's destination.
        case inbound
        public static func < (a: Direction, b: Direction) -> Bool { a.rawValue < b.rawValue }
    }

    public struct Connection: Hashable, Sendable {
        public var direction: Direction
        public var peer: Peer
        public var application: String
        public var proto: String
        /// The destination port (the server's); 0 for ICMP.
        public var port: Int
        public var service: String { port == 0 ? proto : "\(proto)/\(port)" }
    }

    /// First and last seen (milliseconds since 1970, the records' own times) and how many records.
    public struct Seen: Sendable, Equatable {
        public var first: Int64
        public var last: Int64
        public var count: Int
        /// Of `count`, the records whose session the firewall allowed.
        public var allowed: Int
    }

    /// What a record added to the profile.
    public struct Novelty: Sendable, Equatable {
        public var peer = false
        public var application = false
        public var port = false
        /// The connection was new but the profile was full: not kept.
        public var dropped = false
    }

    public let identity: Identity
    /// The first record's time; learning ends `learningSeconds` after it.
    public let firstSeen: Int64
    public private(set) var lastSeen: Int64
    public private(set) var connections: [Connection: Seen] = [:]
    public private(set) var peers: [Direction: [Peer: Seen]] = [:]
    public private(set) var applications: [String: Seen] = [:]
    /// `tcp/443` by direction (inbound: the ports the workload serves).
    public private(set) var ports: [Direction: [String: Seen]] = [:]
    /// Connections not kept because the profile was full.
    public private(set) var dropped = 0
    /// A `profile-full` audit was given already.
    var reportedFull = false
    /// The current fan-out window: its start, and the distinct peers and ports opened in it
    /// (kept up to the thresholds, so bounded by them).
    var windowStart: Int64 = .min
    var windowPeers: Set<Peer> = []
    var windowPorts: Set<String> = []
    var windowReported = false

    public init(identity: Identity, firstSeen: Int64) {
        self.identity = identity
        self.firstSeen = firstSeen
        lastSeen = firstSeen
    }

    /// Records `connection` at `time`; says what was new. A new connection on a full
    /// profile (`limit` connections) is not kept, and its peer, application and port are
    /// not learned (they are still reported new).
    public mutating func note(_ connection: Connection, at time: Int64, limit: Int, allowed: Bool = true) -> Novelty {
        lastSeen = max(lastSeen, time)
        func touch<K: Hashable>(_ table: inout [K: Seen], _ key: K) {
            if var seen = table[key] {
                seen.first = min(seen.first, time)
                seen.last = max(seen.last, time)
                seen.count += 1
                seen.allowed += allowed ? 1 : 0
                table[key] = seen
            } else {
                table[key] = Seen(first: time, last: time, count: 1, allowed: allowed ? 1 : 0)
            }
        }
        var novelty = Novelty()
        novelty.peer = peers[connection.direction]?[connection.peer] == nil
        novelty.application = applications[connection.application] == nil
        novelty.port = ports[connection.direction]?[connection.service] == nil
        if connections[connection] == nil && connections.count >= limit {
            dropped += 1
            novelty.dropped = true
            return novelty
        }
        touch(&connections, connection)
        touch(&peers[connection.direction, default: [:]], connection.peer)
        touch(&applications, connection.application)
        touch(&ports[connection.direction, default: [:]], connection.service)
        return novelty
    }

    /// Adds an opened session to the fan-out window; true once per window when the peers
    /// or ports reach a threshold.
    mutating func fanOut(peer: Peer, service: String, at time: Int64, settings: AuditSettings) -> Bool {
        let window = Int64(settings.scanWindowSeconds * 1000)
        if windowStart == .min || time - windowStart >= window || time < windowStart {
            windowStart = time
            windowPeers.removeAll(keepingCapacity: true)
            windowPorts.removeAll(keepingCapacity: true)
            windowReported = false
        }
        if windowPeers.count < settings.scanPeers { windowPeers.insert(peer) }
        if windowPorts.count < settings.scanPorts { windowPorts.insert(service) }
        guard !windowReported, windowPeers.count >= settings.scanPeers || windowPorts.count >= settings.scanPorts else { return false }
        windowReported = true
        return true
    }
}
