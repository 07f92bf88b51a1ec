import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// Preallocated `struct mmsghdr` vectors for `recvmmsg`/`sendmmsg`: message headers,
/// one `iovec` and one peer address per message. Allocated once; nothing per packet.
///
/// Not thread-safe: one I/O thread owns it.
///
/// ```swift
/// let batch = MessageBatch(capacity: 32)
/// batch.setBuffer(0, base: pointer, length: 2048)
/// ```
public final class MessageBatch: @unchecked Sendable {
    public let capacity: Int
    /// `capacity` mmsghdr records.
    public let messages: UnsafeMutablePointer<clinux_mmsghdr>
    public let vectors: UnsafeMutablePointer<iovec>
    public let names: UnsafeMutablePointer<sockaddr_storage>
    /// `UDPSegmentation.controlStride` bytes of control space per message (UDP GRO's
    /// segment size on receive).
    public let controls: UnsafeMutableRawPointer
    /// Messages filled in (for a send batch).
    public var count = 0

    public init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        messages = .allocate(capacity: capacity)
        messages.initialize(repeating: clinux_mmsghdr(), count: capacity)
        vectors = .allocate(capacity: capacity)
        vectors.initialize(repeating: iovec(), count: capacity)
        names = .allocate(capacity: capacity)
        names.initialize(repeating: sockaddr_storage(), count: capacity)
        controls = .allocate(byteCount: capacity * UDPSegmentation.controlStride, alignment: 8)
        controls.initializeMemory(as: UInt8.self, repeating: 0, count: capacity * UDPSegmentation.controlStride)
        for i in 0 ..< capacity {
            header(i).pointee.msg_iov = vectors + i
            header(i).pointee.msg_iovlen = 1
            header(i).pointee.msg_name = UnsafeMutableRawPointer(names + i)
        }
    }

    deinit {
        messages.deallocate()
        vectors.deallocate()
        names.deallocate()
        controls.deallocate()
    }

    /// The `msghdr` of message `i`.
    @inlinable
    public func header(_ i: Int) -> UnsafeMutablePointer<msghdr> {
        // msg_hdr is the record's first member.
        UnsafeMutableRawPointer(messages + i).assumingMemoryBound(to: msghdr.self)
    }

    /// Bytes received or sent for message `i` (`msg_len`).
    @inlinable
    public func length(_ i: Int) -> Int {
        Int(messages[i].msg_len)
    }

    /// Prepares message `i` to receive into `base` (resets the name length and flags);
    /// `control` gives it room for control messages (UDP GRO's segment size).
    @inlinable
    public func prepareReceive(_ i: Int, base: UnsafeMutableRawPointer, length: Int, control: Bool = false) {
        vectors[i] = iovec(iov_base: base, iov_len: length)
        let h = header(i)
        h.pointee.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        h.pointee.msg_flags = 0
        if control {
            h.pointee.msg_control = controls + i &* UDPSegmentation.controlStride
            h.pointee.msg_controllen = UDPSegmentation.controlStride
        } else {
            h.pointee.msg_control = nil
            h.pointee.msg_controllen = 0
        }
    }

    /// The segment size UDP GRO reported for received message `i` (its datagrams were
    /// coalesced into one buffer), or 0 for a single datagram.
    @inlinable
    public func receivedSegmentSize(_ i: Int) -> Int {
        let h = header(i)
        guard let control = h.pointee.msg_control else { return 0 }
        let length = min(Int(h.pointee.msg_controllen), UDPSegmentation.controlStride)
        return UDPSegmentation.segmentSize(inControl: UnsafeRawBufferPointer(start: control, count: length))
    }

    /// Appends a message to send `length` bytes at `base` to the peer at `name`.
    /// Returns false when the batch is full.
    @inlinable
    public func append(base: UnsafeMutableRawPointer, length: Int, name: UnsafeRawPointer, nameLength: socklen_t) -> Bool {
        guard count < capacity else { return false }
        let i = count
        vectors[i] = iovec(iov_base: base, iov_len: length)
        UnsafeMutableRawPointer(names + i).copyMemory(from: name, byteCount: Int(nameLength))
        let h = header(i)
        h.pointee.msg_namelen = nameLength
        h.pointee.msg_flags = 0
        h.pointee.msg_control = nil
        h.pointee.msg_controllen = 0
        count = i &+ 1
        return true
    }
}
