import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// A `sendmmsg` vector over a send `MessageBatch` in which each message carries a run of
/// its datagrams (same peer, same length but a shorter last) as one UDP GSO send: the
/// run's `iovec`s gathered, with a `UDP_SEGMENT` control message giving the segment size.
/// A run of one is an ordinary message. Points into the batch; copies no payload.
///
/// Not thread-safe: one I/O thread owns it.
///
/// ```swift
/// let segmented = SegmentBatch(capacity: outgoing.capacity)
/// let m = segmented.build(from: outgoing)     // m ≤ outgoing.count messages
/// let sent = socket.send(segmented, from: 0)
/// ```
public final class SegmentBatch: @unchecked Sendable {
    public let capacity: Int
    public let messages: UnsafeMutablePointer<clinux_mmsghdr>
    @usableFromInline let controls: UnsafeMutableRawPointer
    /// Per message: the first datagram of its run in the source batch, and how many.
    public let firsts: UnsafeMutablePointer<Int>
    public let runs: UnsafeMutablePointer<Int>
    /// Messages built.
    public var count = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: clinux_mmsghdr(), count: capacity)
        controls = .allocate(byteCount: capacity * UDPSegmentation.controlStride, alignment: 8)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * UDPSegmentation.controlStride)
        firsts = .allocate(capacity: capacity)
        firsts.initialize(repeating: 0, count: capacity)
        runs = .allocate(capacity: capacity)
        runs.initialize(repeating: 0, count: capacity)
    }

    deinit {
        messages.deallocate()
        controls.deallocate()
        firsts.deallocate()
        runs.deallocate()
    }

    /// The `msghdr` of message `k`.
    @inlinable
    public func header(_ k: Int) -> UnsafeMutablePointer<msghdr> {
        // msg_hdr is the record's first member.
        UnsafeMutableRawPointer(messages + k).assumingMemoryBound(to: msghdr.self)
    }

    /// Groups `batch`'s queued datagrams into runs (`UDPSegmentation.run`); returns the
    /// number of messages.
    @inlinable
    @discardableResult
    public func build(from batch: MessageBatch) -> Int {
        count = 0
        var i = 0
        while i < batch.count && count < capacity {
            let run = UDPSegmentation.run(in: batch, from: i)
            let source = batch.header(i)
            let h = header(count)
            h.pointee.msg_name = source.pointee.msg_name
            h.pointee.msg_namelen = source.pointee.msg_namelen
            h.pointee.msg_iov = batch.vectors + i
            h.pointee.msg_iovlen = run
            h.pointee.msg_flags = 0
            if run > 1 {
                let control = controls + count &* UDPSegmentation.controlStride
                let size = UInt16(truncatingIfNeeded: batch.vectors[i].iov_len)
                h.pointee.msg_control = control
                h.pointee.msg_controllen = UDPSegmentation.writeSegmentControl(size: size, into: control)
            } else {
                h.pointee.msg_control = nil
                h.pointee.msg_controllen = 0
            }
            firsts[count] = i
            runs[count] = run
            count &+= 1
            i &+= run
        }
        return count
    }
}
