/// What a pcapng Interface Description Block says about the packets of one interface.
@usableFromInline
struct PcapngInterface: Sendable, Equatable {
    var linkType: LinkType
    var snapLength: Int
    /// Timestamp units per second: 10^n or 2^n from `if_tsresol` (default 10^6).
    var unitsPerSecond: UInt64
    /// 10^9 / unitsPerSecond when that is a whole number (the common case), else 0.
    var nanosecondsPerUnit: UInt64
    /// `if_tsoffset`: seconds to add to every timestamp.
    var offsetSeconds: Int64

    init(linkType: LinkType, snapLength: Int) {
        self.linkType = linkType
        self.snapLength = snapLength
        self.unitsPerSecond = 1_000_000
        self.nanosecondsPerUnit = 1000
        self.offsetSeconds = 0
    }

    /// Applies an `if_tsresol` byte; `false` when the resolution is finer than this reader
    /// can represent in 64-bit units (10^-19 or 2^-63).
    mutating func setResolution(_ value: UInt8) -> Bool {
        let exponent = UInt64(value & 0x7F)
        if value & 0x80 == 0 {
            guard exponent <= 19 else { return false }
            var units: UInt64 = 1
            for _ in 0 ..< exponent { units &*= 10 }
            unitsPerSecond = units
        } else {
            guard exponent <= 63 else { return false }
            unitsPerSecond = 1 << exponent
        }
        nanosecondsPerUnit = unitsPerSecond <= 1_000_000_000 && 1_000_000_000 % unitsPerSecond == 0
            ? 1_000_000_000 / unitsPerSecond : 0
        return true
    }

    /// Converts a block's 64-bit timestamp to a ``Timestamp`` without overflow traps.
    func timestamp(units: UInt64) -> Timestamp {
        if nanosecondsPerUnit != 0 {
            let (nanoseconds, overflow) = units.multipliedReportingOverflow(by: nanosecondsPerUnit)
            if !overflow && nanoseconds <= UInt64(Int64.max) {
                return Timestamp(nanosecondsSinceEpoch: Int64(nanoseconds))
                    .advanced(bySeconds: offsetSeconds)
            }
        }
        let seconds = units / unitsPerSecond
        let fraction = units % unitsPerSecond
        // fraction < unitsPerSecond, so the quotient is below 10^9 and cannot overflow.
        let nanoseconds = unitsPerSecond.dividingFullWidth(fraction.multipliedFullWidth(by: 1_000_000_000)).quotient
        return Timestamp(seconds: Int64(truncatingIfNeeded: seconds) &+ offsetSeconds,
                         nanoseconds: Int64(nanoseconds))
    }
}
