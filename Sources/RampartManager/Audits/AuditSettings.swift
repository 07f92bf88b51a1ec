/// How runtime audits learn and judge (`spec.audits`, docs/image-trust.md "Runtime audits").
///
/// ```yaml
/// audits:
///   learningSeconds: 86400      # a workload's first day is its profile
///   scan: {windowSeconds: 60, peers: 50, ports: 25}
///   maxProfiles: 10000
///   maxEntriesPerProfile: 2000
/// ```
public struct AuditSettings: Sendable, Equatable {
    /// False: no profiles, no audits (`enabled: false`).
    public var enabled = true
    /// Seconds from a workload's first record during which what it does is learned, not audited.
    public var learningSeconds = 86_400.0
    /// A fan-out: `scanPeers` distinct peers, or `scanPorts` distinct ports of one peer set,
    /// opened by one workload within `scanWindowSeconds`.
    public var scanWindowSeconds = 60.0
    public var scanPeers = 50
    public var scanPorts = 25
    /// Workloads profiled at most; beyond it new workloads are neither learned nor audited (counted, logged).
    public var maxProfiles = 10_000
    /// Connections (direction, peer, application, port) one profile keeps at most.
    public var maxEntriesPerProfile = 2_000

    public init() {}
}
