/// A point in time as nanoseconds since the Unix epoch. The engine never reads a clock:
/// every time it knows comes from a packet's capture or arrival timestamp.
///
/// ```swift
/// let t = Timestamp(seconds: 1_700_000_000, nanoseconds: 5_000)
/// t.advanced(bySeconds: 30) > t   // true
/// ```
@frozen
public struct Timestamp: Hashable, Comparable, Sendable {
    public var nanosecondsSinceEpoch: Int64

    @inlinable
    public init(nanosecondsSinceEpoch: Int64) { self.nanosecondsSinceEpoch = nanosecondsSinceEpoch }

    @inlinable
    public init(seconds: Int64, nanoseconds: Int64) {
        self.nanosecondsSinceEpoch = seconds &* 1_000_000_000 &+ nanoseconds
    }

    public static let zero = Timestamp(nanosecondsSinceEpoch: 0)

    @inlinable
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }

    @inlinable
    public func advanced(bySeconds seconds: Int64) -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: nanosecondsSinceEpoch &+ seconds &* 1_000_000_000)
    }

    @inlinable
    public func advanced(byNanoseconds ns: Int64) -> Timestamp {
        Timestamp(nanosecondsSinceEpoch: nanosecondsSinceEpoch &+ ns)
    }

    /// Whole seconds and the nanoseconds past them.
    @inlinable public var seconds: Int64 { nanosecondsSinceEpoch / 1_000_000_000 }
    @inlinable public var subsecondNanoseconds: Int64 { nanosecondsSinceEpoch % 1_000_000_000 }
}
