/// Which tag names the watcher emits: Rampart's own (`ns:shop`), the names the commercial
/// plugin uses (`k8s.cl_prod.ns_shop`) so address-group criteria carry over, or both.
public enum TagStyle: String, Sendable, Codable, CaseIterable {
    case rampart
    case compatible
    case both

    public var emitsRampart: Bool { self != .compatible }
    public var emitsCompatible: Bool { self != .rampart }
}
