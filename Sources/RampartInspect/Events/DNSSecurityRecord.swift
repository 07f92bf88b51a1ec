/// The DNS security profile's decision as a `dns` record shows it (`rampart.dns`): the
/// verdict (`allow`, `alert`, `sinkhole`, `block`), the category of the indicator lists
/// that decided it (`""` when none did), and the reason (`clean`, `category`, `dga`,
/// `tunnelling`).
///
/// ```swift
/// record.dnsSecurity = DNSSecurityRecord(verdict: "sinkhole", category: "malware", reason: "category")
/// ```
public struct DNSSecurityRecord: Sendable, Equatable {
    public var verdict: String
    public var category: String
    public var reason: String

    public init(verdict: String, category: String, reason: String) {
        self.verdict = verdict
        self.category = category
        self.reason = reason
    }
}
