import RampartPolicy
import RampartWire

/// Every App-ID decoder, dispatched by a switch (no existentials on the probing path).
public enum ApplicationProbeKind: UInt8, CaseIterable, Sendable {
    case none

    @inlinable
    func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        .notThis
    }

    var runsOverTCP: Bool { true }
    var runsOverUDP: Bool { true }
    var application: String { "" }
}
