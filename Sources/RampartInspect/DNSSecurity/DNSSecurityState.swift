import RampartPolicy

/// What the engine keeps for the DNS security stage: the policy's profiles compiled against
/// the indicator store, the per-worker tunnelling table, the DGA model and a name buffer.
/// Everything is allocated when the engine is made (or the policy or store changes), none
/// per packet.
@usableFromInline
struct DNSSecurityState: Sendable {
    var profiles = DNSProfileTable()
    var tunnels: DNSTunnelTable
    /// Per session (by App-ID state): its decision, DNS-over-TCP framing.
    var sessions: DNSSessionTable
    let model: DGAModel?
    let scratch = DNSScratch()

    init(configuration: DNSSecurityConfiguration, applicationStates: Int) {
        tunnels = DNSTunnelTable(capacity: configuration.tunnelParents)
        sessions = DNSSessionTable(states: applicationStates)
        model = configuration.model ?? DGAModel.builtIn
    }
}

/// The buffer a query's name is read into (lower-cased, dotted).
final class DNSScratch: @unchecked Sendable {
    let name: UnsafeMutableRawPointer

    init() {
        name = UnsafeMutableRawPointer.allocate(byteCount: DNSQuestion.nameCapacity, alignment: 8)
    }

    deinit { name.deallocate() }
}
