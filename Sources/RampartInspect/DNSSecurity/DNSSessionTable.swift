/// What the DNS security stage keeps per session, beside the session table rather than in
/// it (a session stays 192 bytes): indexed by the session's App-ID state, which every
/// session the stage reads has (the stage needs App-ID to have named it `dns`) and keeps
/// until it ends. So the table is bounded by App-ID's `maxStates`, 16 bytes a state,
/// allocated once; an entry is reset when App-ID hands its state to a new session.
///
/// ```swift
/// dnsSessions[state].decision = decision
/// ```
struct DNSSessionTable: Sendable {
    struct Entry: Sendable {
        /// The strictest decision of the session's queries.
        var decision = DNSSecurityDecision.none
        var stream = DNSStreamState(rawValue: 0)
        /// DNS over TCP: where each direction's next message starts (sequence numbers).
        var nextToServer: UInt32 = 0
        var nextToClient: UInt32 = 0
    }

    var entries: [Entry]

    init(states: Int) {
        entries = [Entry](repeating: Entry(), count: max(1, states))
    }

    /// A state App-ID gave to a new session starts empty.
    mutating func reset(_ state: Int32) {
        let i = Int(state)
        if i >= 0 && i < entries.count { entries[i] = Entry() }
    }

    /// The entry of `state`, which must be a valid App-ID state (≥ 0, < maxStates).
    subscript(_ state: Int32) -> Entry {
        get { entries[Int(state)] }
        _modify { yield &entries[Int(state)] }
    }

    /// The decision of `state`, or none for a session without a state.
    func decision(_ state: Int32) -> DNSSecurityDecision {
        let i = Int(state)
        return i >= 0 && i < entries.count ? entries[i].decision : .none
    }
}
