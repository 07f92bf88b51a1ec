import RampartWire

/// A sinkholed DNS answer: the A and AAAA records of its answer section pointed at the
/// profile's sinkhole addresses, in place. Every record keeps its length (4 or 16 bytes of
/// address), so the message, the IP and UDP lengths and the TCP sequence numbers stay as
/// they were; only the transport checksum changes, updated incrementally (RFC 1624) so a
/// checksum that was wrong stays wrong and one left unfinished by offload stays unfinished.
///
/// The engine plans the rewrite over the frame it was given (read-only) and answers
/// `.rewrite`; the firewall then calls `Engine.applyRewrite(to:)` on its own mutable copy
/// of the same bytes. Offsets are kept in arrays reserved once, so planning allocates
/// nothing per packet.
///
/// ```swift
/// var plan = DNSAnswerRewrite()
/// _ = plan.plan(message: dns, at: 0, ipv4: sinkhole4, ipv6: sinkhole6)
/// plan.apply(to: mutableMessage)
/// ```
public struct DNSAnswerRewrite: Sendable {
    /// At most this many records of one answer are rewritten (a longer answer is dropped).
    public static let maximumRecords = 32

    /// Frame offsets of the A records' addresses, then the AAAA records'.
    public private(set) var ipv4Offsets: [Int] = []
    public private(set) var ipv6Offsets: [Int] = []
    var ipv4 = IPAddress(high: 0, low: 0)
    var ipv6 = IPAddress(high: 0, low: 0)
    /// Where the transport header starts in the frame, and its checksum field; -1: no
    /// checksum to keep (a UDP datagram over IPv4 sent without one, or offload's unfinished
    /// sum, which the firewall completes after the rewrite).
    var transportOffset = 0
    var checksumOffset = -1
    var isUDP = true

    public init() {
        ipv4Offsets.reserveCapacity(DNSAnswerRewrite.maximumRecords)
        ipv6Offsets.reserveCapacity(DNSAnswerRewrite.maximumRecords)
    }

    /// What planning found.
    public enum Outcome: Equatable, Sendable {
        /// This many records will be rewritten (0: none to rewrite, e.g. NXDOMAIN or only CNAMEs).
        case records(Int)
        /// An A (or AAAA) record is there but the profile has no IPv4 (IPv6) sinkhole, or
        /// the answer holds more than `maximumRecords` addresses: the answer must not pass.
        case cannotRewrite
    }

    /// Walks the answer section of the DNS message at `messageOffset` in `frame` (the
    /// message is `frame[messageOffset..<messageOffset + length]`) and records where its
    /// A/AAAA (class IN) addresses are. Other sections are left as they are: their
    /// addresses (glue) are not what the client connects to.
    /// - Parameter appending: keep the offsets of an earlier message of the same segment
    ///   (DNS over TCP).
    public mutating func plan(
        frame: UnsafeRawBufferPointer, messageOffset: Int, length: Int, ipv4 v4: IPAddress?, ipv6 v6: IPAddress?,
        appending: Bool = false
    ) -> Result<Outcome, DNSMessageProblem> {
        if !appending {
            ipv4Offsets.removeAll(keepingCapacity: true)
            ipv6Offsets.removeAll(keepingCapacity: true)
        }
        checksumOffset = -1
        guard messageOffset >= 0, length >= 12, messageOffset <= frame.count - length else {
            return .failure(DNSMessageProblem(.headerTruncated, at: max(0, length)))
        }
        let message = UnsafeRawBufferPointer(rebasing: frame[messageOffset..<(messageOffset + length)])
        func u16(_ at: Int) -> Int { Int(message[at]) << 8 | Int(message[at + 1]) }
        let questions = u16(4), answers = u16(6)
        var i = 12
        for _ in 0..<questions {
            switch DNSAnswerRewrite.skipName(message, from: i) {
            case .failure(let problem): return .failure(problem)
            case .success(let next): i = next + 4
            }
            guard i <= message.count else { return .failure(DNSMessageProblem(.questionTruncated, at: i)) }
        }
        var cannot = false
        for _ in 0..<answers {
            switch DNSAnswerRewrite.skipName(message, from: i) {
            case .failure(let problem): return .failure(problem)
            case .success(let next): i = next
            }
            guard i + 10 <= message.count else { return .failure(DNSMessageProblem(.recordTruncated, at: i)) }
            let type = u16(i), recordClass = u16(i + 2) & 0x7FFF, rdLength = u16(i + 8)
            let rdata = i + 10
            guard rdata + rdLength <= message.count else { return .failure(DNSMessageProblem(.recordTruncated, at: i)) }
            if recordClass == 1 && type == 1 && rdLength == 4 {
                if let v4, v4.isIPv4, ipv4Offsets.count < DNSAnswerRewrite.maximumRecords {
                    ipv4 = v4
                    ipv4Offsets.append(messageOffset + rdata)
                } else {
                    cannot = true
                }
            } else if recordClass == 1 && type == 28 && rdLength == 16 {
                if let v6, !v6.isIPv4, ipv6Offsets.count < DNSAnswerRewrite.maximumRecords {
                    ipv6 = v6
                    ipv6Offsets.append(messageOffset + rdata)
                } else {
                    cannot = true
                }
            }
            i = rdata + rdLength
        }
        return .success(cannot ? .cannotRewrite : .records(ipv4Offsets.count + ipv6Offsets.count))
    }

    /// Keeps the transport checksum of the packet the plan is for (call after `plan`).
    /// `transportOffset`: the TCP/UDP header in the frame; `checksumField`: the value it
    /// holds; `unfinished`: offload left the pseudo-header sum there (not to be touched).
    public mutating func keepChecksum(transportOffset: Int, isUDP: Bool, checksumField: UInt16, unfinished: Bool) {
        self.transportOffset = transportOffset
        self.isUDP = isUDP
        if unfinished || (isUDP && checksumField == 0) {
            checksumOffset = -1
        } else {
            checksumOffset = transportOffset + (isUDP ? 6 : 16)
        }
    }

    /// Writes the sinkhole addresses at the planned offsets of `frame` (the same bytes the
    /// plan was made over) and updates the checksum. Offsets outside `frame` are skipped.
    public func apply(to frame: UnsafeMutableRawBufferPointer) {
        var checksum: UInt16 = 0
        let keep = checksumOffset >= 0 && checksumOffset + 2 <= frame.count
        if keep { checksum = UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: checksumOffset, as: UInt16.self)) }
        func write(_ at: Int, _ bytes: UnsafeRawBufferPointer) {
            guard at >= 0, at + bytes.count <= frame.count else { return }
            if keep {
                let old = sum(UnsafeRawBufferPointer(rebasing: frame[at..<(at + bytes.count)]), at: at)
                let new = sum(bytes, at: at)
                checksum = ~Checksum.add(Checksum.add(~checksum, ~old), new)
            }
            for k in 0..<bytes.count { frame[at + k] = bytes[k] }
        }
        withUnsafeBytes(of: ipv4.ipv4Value.bigEndian) { v4 in
            for at in ipv4Offsets { write(at, v4) }
        }
        withUnsafeBytes(of: (ipv6.high.bigEndian, ipv6.low.bigEndian)) { v6 in
            for at in ipv6Offsets { write(at, UnsafeRawBufferPointer(rebasing: v6[0..<16])) }
        }
        if keep {
            if isUDP && checksum == 0 { checksum = 0xFFFF }
            frame.storeBytes(of: checksum.bigEndian, toByteOffset: checksumOffset, as: UInt16.self)
        }
    }

    /// The one's-complement sum of `bytes` as they sit at frame offset `at`: a byte at an
    /// even distance from the transport header is a word's high byte.
    func sum(_ bytes: UnsafeRawBufferPointer, at: Int) -> UInt16 {
        var total: UInt64 = 0
        for k in 0..<bytes.count {
            let even = (at + k - transportOffset) & 1 == 0
            total &+= even ? UInt64(bytes[k]) << 8 : UInt64(bytes[k])
        }
        return Checksum.fold(total)
    }

    /// Rewrites a whole DNS message in place (no frame around it, no checksum): what tests
    /// and the fuzzer use.
    public static func rewrite(_ message: UnsafeMutableRawBufferPointer, ipv4: IPAddress?, ipv6: IPAddress?)
        -> Result<Outcome, DNSMessageProblem>
    {
        var plan = DNSAnswerRewrite()
        let outcome = plan.plan(frame: UnsafeRawBufferPointer(message), messageOffset: 0, length: message.count,
                                ipv4: ipv4, ipv6: ipv6)
        if case .success(.records) = outcome { plan.apply(to: message) }
        return outcome
    }

    /// The offset after the (possibly compressed) name at `start`. Pointers are not
    /// followed: only the name's own bytes are skipped.
    static func skipName(_ message: UnsafeRawBufferPointer, from start: Int) -> Result<Int, DNSMessageProblem> {
        var i = start
        while true {
            guard i < message.count else { return .failure(DNSMessageProblem(.recordTruncated, at: i)) }
            let length = Int(message[i])
            if length == 0 { return .success(i + 1) }
            switch length & 0xC0 {
            case 0xC0:
                guard i + 2 <= message.count else { return .failure(DNSMessageProblem(.recordTruncated, at: i)) }
                return .success(i + 2)
            case 0:
                i += 1 + length
            default:
                return .failure(DNSMessageProblem(.badPointer, at: i))
            }
        }
    }
}
