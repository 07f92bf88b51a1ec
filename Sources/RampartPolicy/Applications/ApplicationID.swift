/// An application as App-ID names it: an index into `ApplicationCatalog.entries`.
///
/// ```swift
/// let pg = ApplicationCatalog.id(named: "postgresql")!
/// ApplicationCatalog.name(of: pg)  // "postgresql"
/// ```
@frozen
public struct ApplicationID: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    @inlinable
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public var description: String { ApplicationCatalog.name(of: self) }
}

/// A transport and port set an application uses by default (`application-default`).
public struct ApplicationPorts: Hashable, Sendable {
    /// `tcp`, `udp`, `sctp` or `icmp` (ICMP and ICMPv6, no ports).
    public var transport: ServiceProtocol
    public var ports: [ClosedRange<UInt16>]

    public init(_ transport: ServiceProtocol, _ ports: [ClosedRange<UInt16>]) {
        self.transport = transport
        self.ports = ports
    }
}

/// One row of the catalog.
public struct ApplicationEntry: Hashable, Sendable {
    public var name: String
    /// Naming the parent in a rule also matches this application.
    public var parent: String?
    public var category: String
    public var defaultPorts: [ApplicationPorts]
    public var summary: String
}
