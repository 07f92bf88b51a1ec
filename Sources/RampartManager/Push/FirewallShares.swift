import FoundationEssentials

/// Each firewall's active sessions and its share of its peers' total (issue 18): the node
/// agents steer a cluster's flows across the firewalls that serve it, so the peers of a
/// firewall are those configured with the same `clusters` (absent: every cluster's). A
/// firewall that did not answer its last check counts as unreachable, with no sessions and
/// no share; the others' shares are of the reachable peers' sum.
///
/// ```swift
/// for line in FirewallShares.of(manager.policy!.pushers) { print(line.name, line.sessions ?? 0, line.share) }
/// ```
public struct FirewallShare: Sendable, Encodable, Equatable {
    public var name: String
    public var admin: String
    /// The firewalls it is compared with: its `clusters`, comma-separated, or `*` for every cluster.
    public var peers: String
    public var reachable: Bool
    /// The policy commit it said it runs (nil: its own file's, or not known).
    public var commit: String?
    public var sessions: Int?
    /// sessions / the reachable peers' sessions, 0...1 (0 when unknown or the sum is 0).
    public var share: Double
    /// When `sessions` was last read (seconds since 1970; nil: never).
    public var readAt: Double?
    public var error: String?
}

public enum FirewallShares {
    public static func of(_ pushers: [(target: FirewallTarget, pusher: PolicyPusher)]) -> [FirewallShare] {
        let lines = pushers.map { target, pusher in
            let status = pusher.status
            let known = status.connected ? status.sessions : nil
            return FirewallShare(name: target.name, admin: target.admin, peers: target.clusters.map { $0.sorted().joined(separator: ",") } ?? "*",
                                 reachable: status.connected, commit: status.runs, sessions: known, share: 0, readAt: status.sessionsReadAt,
                                 error: status.connected ? status.sessionsError : status.lastError)
        }
        return shared(lines)
    }

    /// Each line's share of the sessions of the firewalls serving the same clusters
    /// (`peers`); a firewall whose count is unknown counts for nothing and gets 0.
    public static func shared(_ lines: [FirewallShare]) -> [FirewallShare] {
        var lines = lines
        var totals: [String: Int] = [:]
        for line in lines { totals[line.peers, default: 0] += line.sessions ?? 0 }
        for index in lines.indices {
            let total = totals[lines[index].peers] ?? 0
            if let sessions = lines[index].sessions, total > 0 { lines[index].share = Double(sessions) / Double(total) }
        }
        return lines
    }
}
