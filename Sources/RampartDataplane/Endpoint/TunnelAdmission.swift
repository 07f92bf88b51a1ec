import RampartPolicy
import RampartWire

/// Who may send tunnel datagrams to the firewall (`spec.tunnelSources`).
///
/// Anything that reaches UDP 6080 could otherwise hand the firewall frames to judge and send
/// back into a node. `nodes` admits the addresses the cluster's tags name as nodes
/// (`kind:node`, pushed by the manager) and `networks`; `any` admits every sender (the
/// old behaviour; only where nothing but the nodes can reach the port).
///
/// ```swift
/// let admission = TunnelAdmission.nodes(networks: [AddressRange(IPNetwork("10.0.0.0/24")!)])
/// admission.admits(sender, policy: matcher)
/// ```
public enum TunnelAdmission: Sendable, Equatable {
    case any
    case nodes(networks: [AddressRange])

    /// Whether `sender` may send: always under `any`; under `nodes` when it is inside a
    /// listed network or an enrolled node of `policy`.
    @inlinable
    public func admits(_ sender: IPAddress, policy: PolicyMatcher) -> Bool {
        switch self {
        case .any: return true
        case .nodes(let networks):
            for range in networks where range.contains(sender) { return true }
            return policy.enrolledNode(sender) != nil
        }
    }
}

/// The last senders a worker admitted or refused, so the check costs a compare per datagram
/// (a worker hears from a handful of nodes); forgotten when the node map changes.
@usableFromInline
struct AdmissionCache {
    @usableFromInline var addresses: (IPAddress, IPAddress, IPAddress, IPAddress) = (.zero, .zero, .zero, .zero)
    @usableFromInline var verdicts: (Bool, Bool, Bool, Bool) = (false, false, false, false)
    @usableFromInline var used = 0
    @usableFromInline var next = 0
    @usableFromInline var generation: UInt64 = .max

    @usableFromInline init() {}

    @inlinable
    mutating func admits(_ sender: IPAddress, admission: TunnelAdmission, policy: PolicyMatcher) -> Bool {
        if case .any = admission { return true }
        if policy.nodeGeneration != generation {
            generation = policy.nodeGeneration
            used = 0
        }
        if used > 0 && addresses.0 == sender { return verdicts.0 }
        if used > 1 && addresses.1 == sender { return verdicts.1 }
        if used > 2 && addresses.2 == sender { return verdicts.2 }
        if used > 3 && addresses.3 == sender { return verdicts.3 }
        let verdict = admission.admits(sender, policy: policy)
        switch next {
        case 0: addresses.0 = sender; verdicts.0 = verdict
        case 1: addresses.1 = sender; verdicts.1 = verdict
        case 2: addresses.2 = sender; verdicts.2 = verdict
        default: addresses.3 = sender; verdicts.3 = verdict
        }
        next = (next &+ 1) & 3
        used = min(used &+ 1, 4)
        return verdict
    }
}
