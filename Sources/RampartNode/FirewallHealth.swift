import RampartHTTP
import RampartKube
import RampartNetlink
import RampartPOSIX
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
/// health.checkAll()        // one pass: every probe in flight at once
/// health.watch(interval: 0.25, until: stop) { firewall, state in … }   // the agent's probe thread
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
    /// Tests replace the probe (it returns nil when healthy, else the reason); nil: HTTP
    /// probes, all in flight at once (`HTTPProbes`).
    private let probe: (@Sendable (FirewallEndpoint, Double) -> String?)?

    public init(firewalls: [FirewallEndpoint], failureThreshold: Int = 3, timeout: Double = 2,
                probe: (@Sendable (FirewallEndpoint, Double) -> String?)? = nil) {
        self.failureThreshold = max(1, failureThreshold)
        self.timeout = timeout
        self.probe = probe
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

    /// Probes every firewall once (with the default probe, all at once: the pass lasts as
    /// long as the slowest probe, not their sum); returns true when any health changed.
    @discardableResult
    public func checkAll() -> Bool {
        let targets = firewalls.filter { $0.admin != nil }
        let results: [(FirewallEndpoint, String?)]
        if let probe {
            results = targets.map { ($0, probe($0, timeout)) }
        } else {
            results = FirewallHealth.probeTogether(targets, timeout: timeout)
        }
        var changed = false
        for (firewall, failure) in results where record(firewall, failure: failure) != nil { changed = true }
        return changed
    }

    /// Applies one probe's result; returns the firewall's new state when its health changed.
    /// The list may have changed while probing: a result goes to whoever is still listed.
    @discardableResult
    public func record(_ firewall: FirewallEndpoint, failure: String?) -> State? {
        entries.withLock { entries in
            guard let i = entries.firstIndex(where: { $0.0 == firewall }) else { return nil }
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
            let changed = state.healthy != entries[i].1.healthy
            entries[i].1 = state
            return changed ? state : nil
        }
    }

    /// Probes every firewall with an admin API every `interval` seconds, each on its own
    /// schedule, all from this thread, until `stop`; `onChange` runs (on this thread) as soon
    /// as one firewall's health changes, without waiting for the other probes. A firewall
    /// whose host vanished costs only its own probe's `timeout`: the others are asked and
    /// answered meanwhile, so detecting a failure takes `failureThreshold × interval` (+ the
    /// dead one's own timeout when it is the one that vanished) whatever the number of
    /// firewalls. A firewall added by `replaceFirewalls` is probed at once.
    ///
    /// With a replaced probe (tests) it falls back to `checkAll()` every interval.
    public func watch(interval: Double, until stop: StopSignal, onChange: (FirewallEndpoint, State) -> Void) {
        guard probe == nil, let probes = try? HTTPProbes() else {
            while stop.sleep(interval) {
                let before = snapshot
                guard checkAll() else { continue }
                for (firewall, state) in snapshot where before.first(where: { $0.0 == firewall })?.1.healthy != state.healthy {
                    onChange(firewall, state)
                }
            }
            return
        }
        let clock = ContinuousClock()
        let started = clock.now
        func seconds() -> Double {
            let elapsed = clock.now - started
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }
        var due: [String: Double] = [:]
        var inFlight: [Int: FirewallEndpoint] = [:]
        var nextID = 0
        while !stop.isStopped {
            let now = seconds()
            var nextDue = now + interval
            let listed = firewalls.filter { $0.admin != nil }
            for firewall in listed {
                let key = FirewallHealth.probeKey(firewall)
                guard !inFlight.values.contains(where: { FirewallHealth.probeKey($0) == key }) else { continue }
                let when = due[key] ?? now
                if when > now {
                    nextDue = min(nextDue, when)
                    continue
                }
                // The next probe is due one interval after this one started, or at once when
                // this one outlasts the interval.
                due[key] = now + interval
                nextID += 1
                inFlight[nextID] = firewall
                probes.start(nextID, url: FirewallHealth.url(of: firewall), timeout: timeout)
            }
            // Firewalls no longer listed: forget their schedule.
            let keys = Set(listed.map(FirewallHealth.probeKey))
            due = due.filter { keys.contains($0.key) }
            let wait = inFlight.isEmpty ? min(0.05, max(0, nextDue - now)) : min(0.05, max(0.001, nextDue - now))
            if inFlight.isEmpty {
                if wait > 0 { usleepSeconds(wait) }
                continue
            }
            for completion in probes.poll(wait: wait) {
                guard let firewall = inFlight.removeValue(forKey: completion.id) else { continue }
                if let state = record(firewall, failure: FirewallHealth.failure(of: completion)) { onChange(firewall, state) }
            }
        }
    }

    /// The probes of several firewalls at once; results in the order given.
    static func probeTogether(_ firewalls: [FirewallEndpoint], timeout: Double) -> [(FirewallEndpoint, String?)] {
        guard let probes = try? HTTPProbes() else { return firewalls.map { ($0, httpProbe($0, timeout: timeout)) } }
        var results: [String?] = Array(repeating: "not probed", count: firewalls.count)
        for (i, firewall) in firewalls.enumerated() { probes.start(i, url: url(of: firewall), timeout: timeout) }
        while !probes.inFlight.isEmpty {
            for completion in probes.poll(wait: 0.05) { results[completion.id] = failure(of: completion) }
        }
        return Array(zip(firewalls, results))
    }

    static func probeKey(_ firewall: FirewallEndpoint) -> String { "\(firewall.address) \(url(of: firewall))" }

    static func url(of firewall: FirewallEndpoint) -> String {
        let admin = firewall.admin ?? ""
        return (admin.hasSuffix("/") ? String(admin.dropLast()) : admin) + firewall.healthPath
    }

    /// Nil when the probe answered 200, else the reason.
    static func failure(of completion: HTTPProbes.Completion) -> String? {
        switch completion.outcome {
        case .success(200): return nil
        case .success(let status): return "\(completion.url) answered \(status)"
        case .failure(let error): return "\(error)"
        }
    }

    /// True with the HTTP probes (`watch` runs them on a thread of their own); false with a
    /// replaced probe, which the caller runs through `checkAll()`.
    public var probesOnItsOwnThread: Bool { probe == nil }

    public var snapshot: [(FirewallEndpoint, State)] { entries.withLock { $0 } }

    /// The first healthy firewall in configuration order (the active one of a pair).
    public var firstHealthy: FirewallEndpoint? {
        snapshot.first { $0.1.healthy }?.0
    }

    public var anyHealthy: Bool { firstHealthy != nil }

    /// `GET {admin}{healthPath}` with libcurl, blocking; nil when it answered 200.
    @Sendable
    public static func httpProbe(_ firewall: FirewallEndpoint, timeout: Double) -> String? {
        guard firewall.admin != nil else { return nil }
        let url = url(of: firewall)
        do {
            let connection = try HTTPConnection(connectTimeout: timeout)
            let response = try connection.request(url: url, timeout: timeout)
            return response.status == 200 ? nil : "\(url) answered \(response.status)"
        } catch {
            return "\(error)"
        }
    }
}
