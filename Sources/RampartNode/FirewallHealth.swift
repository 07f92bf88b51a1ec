import RampartHTTP
import RampartKube
import RampartNetlink
import Synchronization

/// One firewall the node tunnels to: its tunnel address and, when configured, its admin
/// API, whose `GET /healthz` is the health check.
///
/// ```swift
/// let firewall = FirewallEndpoint(address: NetlinkAddress("10.0.0.5")!, admin: "http://10.0.0.5:9680")
/// ```
public struct FirewallEndpoint: Sendable, Equatable {
    public var address: NetlinkAddress
    /// `http://host:port` of its admin API; nil: health unknowable, assumed healthy.
    public var admin: String?
    /// What the health check asks for (`spec.healthPath`): `/healthz` (alive), or `/readyz`
    /// (ready: with the firewall's `readyAfterTags`, not before it holds the cluster's tags).
    public var healthPath = "/healthz"

    public init(address: NetlinkAddress, admin: String? = nil) {
        self.address = address
        self.admin = admin
    }
}

/// The last known health of each firewall. A firewall with an admin API is healthy while
/// `GET /healthz` answers 200 (unhealthy after `failureThreshold` failures in a row, healthy
/// again after one success). A firewall without one is assumed healthy: a VXLAN tunnel
/// gives no answer to probe, and UDP to a live firewall and to a dead one look the same.
///
/// ```swift
/// let health = FirewallHealth(firewalls: endpoints)
/// health.checkAll()        // blocking HTTP probes, from the agent's health thread
/// health.firstHealthy      // the one the tunnel should point at
/// ```
public final class FirewallHealth: Sendable {
    public struct State: Sendable, Equatable {
        public var healthy: Bool
        /// True when the health is assumed (no admin API configured).
        public var assumed: Bool
        public var failures: Int
        public var lastError: String?
    }

    public let failureThreshold: Int
    public let timeout: Double
    /// The firewalls and their states, in order; the list changes with the firewall
    /// Service's EndpointSlices (`replaceFirewalls`).
    private let entries: Mutex<[(FirewallEndpoint, State)]>
    /// Tests replace the probe; it returns nil when healthy, else the reason.
    private let probe: @Sendable (FirewallEndpoint, Double) -> String?

    public init(firewalls: [FirewallEndpoint], failureThreshold: Int = 3, timeout: Double = 2,
                probe: (@Sendable (FirewallEndpoint, Double) -> String?)? = nil) {
        self.failureThreshold = max(1, failureThreshold)
        self.timeout = timeout
        self.probe = probe ?? FirewallHealth.httpProbe
        // Until the first check, a firewall with an admin API is not known to be healthy.
        entries = Mutex(firewalls.map { ($0, FirewallHealth.initialState($0)) })
    }

    /// Until the first check, a firewall with an admin API is not known to be healthy.
    static func initialState(_ firewall: FirewallEndpoint) -> State {
        State(healthy: firewall.admin == nil, assumed: firewall.admin == nil, failures: 0, lastError: nil)
    }

    public var firewalls: [FirewallEndpoint] { entries.withLock { $0.map(\.0) } }

    /// Sets the list (the firewall Service's endpoints changed): a firewall still listed
    /// keeps its state, a new one starts unchecked (not healthy until its first probe when
    /// it has an admin API), a removed one is forgotten. Returns whether the list changed.
    @discardableResult
    public func replaceFirewalls(_ firewalls: [FirewallEndpoint]) -> Bool {
        entries.withLock { entries in
            guard entries.map(\.0) != firewalls else { return false }
            entries = firewalls.map { firewall in
                (firewall, entries.first { $0.0 == firewall }?.1 ?? FirewallHealth.initialState(firewall))
            }
            return true
        }
    }

    /// Probes every firewall once; returns true when any health changed.
    @discardableResult
    public func checkAll() -> Bool {
        var results: [(FirewallEndpoint, String?)] = []
        for firewall in firewalls where firewall.admin != nil { results.append((firewall, probe(firewall, timeout))) }
        return entries.withLock { entries in
            var changed = false
            for (firewall, failure) in results {
                // The list may have changed while probing: results go to whoever is still listed.
                guard let i = entries.firstIndex(where: { $0.0 == firewall }) else { continue }
                var state = entries[i].1
                if let failure {
                    state.failures += 1
                    state.lastError = failure
                    if state.failures >= failureThreshold { state.healthy = false }
                } else {
                    state.failures = 0
                    state.lastError = nil
                    state.healthy = true
                }
                if state.healthy != entries[i].1.healthy { changed = true }
                entries[i].1 = state
            }
            return changed
        }
    }

    public var snapshot: [(FirewallEndpoint, State)] { entries.withLock { $0 } }

    /// The first healthy firewall in configuration order (the active one of a pair).
    public var firstHealthy: FirewallEndpoint? {
        snapshot.first { $0.1.healthy }?.0
    }

    public var anyHealthy: Bool { firstHealthy != nil }

    /// `GET {admin}{healthPath}` with libcurl; nil when it answered 200.
    @Sendable
    public static func httpProbe(_ firewall: FirewallEndpoint, timeout: Double) -> String? {
        guard let admin = firewall.admin else { return nil }
        let url = (admin.hasSuffix("/") ? String(admin.dropLast()) : admin) + firewall.healthPath
        do {
            let connection = try HTTPConnection(connectTimeout: timeout)
            let response = try connection.request(url: url, timeout: timeout)
            return response.status == 200 ? nil : "\(url) answered \(response.status)"
        } catch {
            return "\(error)"
        }
    }
}
