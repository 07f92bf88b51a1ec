/// The IPv6 extension headers between the fixed header and the upper layer: hop-by-hop,
/// routing, destination options, fragment and AH, walked with every length bounds-checked
/// and at most `maximumHeaders` of them.
///
/// ```swift
/// let ip = try IPv6Header.parse(frame, at: 14).get()
/// let chain = try IPv6ExtensionChain.walk(frame, from: ip.payloadOffset,
///                                         nextHeader: ip.nextHeader, end: ip.end).get()
/// print(chain.upperProtocol, chain.upperOffset, chain.isFragment)
/// ```
@frozen
public struct IPv6ExtensionChain: Sendable {
    /// More than this many extension headers is refused: real stacks send two or three,
    /// and long chains are a known way to hide the transport header from middleboxes.
    public static let maximumHeaders = 8

    @usableFromInline static let hopByHop: UInt8 = 0
    @usableFromInline static let routing: UInt8 = 43
    @usableFromInline static let fragment: UInt8 = 44
    @usableFromInline static let authentication: UInt8 = 51
    @usableFromInline static let destinationOptions: UInt8 = 60

    /// The protocol after the last extension header (59 "no next header" included).
    public var upperProtocol: IPProtocol = IPProtocol(rawValue: 0)
    /// Offset of the upper-layer header; for a non-first fragment, of the fragment's data.
    public var upperOffset: Int = 0
    public var headerCount: Int = 0
    public var isFragment: Bool = false
    public var moreFragments: Bool = false
    /// Offset of this fragment's data in the original datagram, in bytes.
    public var fragmentOffset: Int = 0
    public var fragmentIdentifier: UInt32 = 0
    /// Offset of the bytes just past the fragment header.
    public var fragmentDataOffset: Int = 0

    @inlinable init() {}

    /// Walks the chain starting at `offset` with `nextHeader` from the fixed header, within
    /// `end` (the packet's end per its payload length). Stops at the first header that is
    /// not an extension header, or after a fragment header with a non-zero offset (what
    /// follows is the middle of someone else's datagram). Fails with
    /// `ipv6ExtensionHeaderInvalid` (a header or option running past its bounds, hop-by-hop
    /// not first, two fragment headers), `ipv6TooManyExtensionHeaders`, or
    /// `captureTruncated` when a header lies inside `end` but past the captured bytes.
    @inlinable
    public static func walk(
        _ bytes: UnsafeRawBufferPointer, from offset: Int, nextHeader: UInt8, end: Int
    ) -> Result<IPv6ExtensionChain, DecodeEvent> {
        var chain = IPv6ExtensionChain()
        var next = nextHeader
        var i = offset
        while true {
            let length: Int
            switch next {
            case hopByHop, routing, destinationOptions:
                if next == hopByHop && chain.headerCount != 0 { return .failure(.ipv6ExtensionHeaderInvalid) }
                if let event = roomCheck(bytes, i, 2, end, .ipv6ExtensionHeaderInvalid) { return .failure(event) }
                length = (Int(bytes.networkUInt8(at: i &+ 1)) &+ 1) &* 8
                if let event = roomCheck(bytes, i, length, end, .ipv6ExtensionHeaderInvalid) { return .failure(event) }
                if next != routing && !optionsAreValid(bytes, from: i &+ 2, to: i &+ length) {
                    return .failure(.ipv6ExtensionHeaderInvalid)
                }
            case fragment:
                if chain.isFragment { return .failure(.ipv6ExtensionHeaderInvalid) }
                length = 8
                if let event = roomCheck(bytes, i, length, end, .ipv6ExtensionHeaderInvalid) { return .failure(event) }
                let field = bytes.networkUInt16(at: i &+ 2)
                chain.isFragment = true
                chain.fragmentOffset = Int(field & 0xFFF8)
                chain.moreFragments = field & 1 != 0
                chain.fragmentIdentifier = bytes.networkUInt32(at: i &+ 4)
                chain.fragmentDataOffset = i &+ length
            case authentication:
                if let event = roomCheck(bytes, i, 2, end, .ipv6ExtensionHeaderInvalid) { return .failure(event) }
                length = (Int(bytes.networkUInt8(at: i &+ 1)) &+ 2) &* 4
                if let event = roomCheck(bytes, i, length, end, .ipv6ExtensionHeaderInvalid) { return .failure(event) }
            default:
                chain.upperProtocol = IPProtocol(rawValue: next)
                chain.upperOffset = i
                return .success(chain)
            }
            chain.headerCount &+= 1
            if chain.headerCount > maximumHeaders { return .failure(.ipv6TooManyExtensionHeaders) }
            next = bytes.networkUInt8(at: i)
            i &+= length
            if chain.isFragment && chain.fragmentOffset != 0 {
                chain.upperProtocol = IPProtocol(rawValue: next)
                chain.upperOffset = i
                return .success(chain)
            }
        }
    }

    /// Hop-by-hop and destination options are TLVs: Pad1 is one byte, every other option
    /// is type, length, data, and must end inside its header.
    @inlinable
    static func optionsAreValid(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        var i = start
        while i < end {
            if bytes.networkUInt8(at: i) == 0 { i &+= 1; continue }
            guard end &- i >= 2 else { return false }
            let length = Int(bytes.networkUInt8(at: i &+ 1)) &+ 2
            guard length <= end &- i else { return false }
            i &+= length
        }
        return true
    }
}
