import RampartPolicy

extension ApplicationProbeKind {
    /// Decoders whose application's default ports include `port` come first (the likely
    /// answer is tried first and most sessions need one probe); then every other decoder.
    /// The port only orders the questions: the answer always comes from the bytes.
    @usableFromInline
    static func ordered(forPort port: UInt16) -> [ApplicationProbeKind] {
        portOrder[port] ?? defaultOrder
    }

    static let defaultOrder: [ApplicationProbeKind] = allCases

    static let portOrder: [UInt16: [ApplicationProbeKind]] = {
        var table: [UInt16: [ApplicationProbeKind]] = [:]
        for kind in allCases {
            guard let id = ApplicationCatalog.id(named: kind.application) else { continue }
            for ports in ApplicationCatalog.defaultPorts(of: id) {
                for range in ports.ports where range.count <= 16 {
                    for port in range { table[port, default: []].append(kind) }
                }
            }
        }
        for (port, first) in table {
            table[port] = first + defaultOrder.filter { !first.contains($0) }
        }
        return table
    }()
}
