import CLinux
#if canImport(Glibc)
import Glibc
#endif

/// UDP generic receive and segmentation offload (Linux `UDP_GRO`, `UDP_SEGMENT`): the kernel
/// hands over several equal-sized datagrams of one flow as one buffer, and takes one buffer
/// to cut into equal-sized datagrams, so the per-datagram system-call cost is paid once per
/// run. Here: the constants, the control-message layout and the rules for what may be merged.
///
/// ```swift
/// let size = UDPSegmentation.segmentSize(inControl: control)        // 0: one datagram
/// let run = UDPSegmentation.run(in: outgoing, from: 0)              // datagrams sendable as one
/// ```
public enum UDPSegmentation {
    /// `SOL_UDP`, `UDP_SEGMENT`, `UDP_GRO` (linux/udp.h).
    public static let level: Int32 = 17
    public static let segmentOption: Int32 = 103
    public static let receiveOffloadOption: Int32 = 104
    /// The kernel's `UDP_MAX_SEGMENTS` (64 before Linux 6.9; the lower one works on all).
    public static let maximumSegments = 64
    /// The largest UDP payload of one send: 65,535 − IPv4 header − UDP header.
    public static let maximumPayload = 65_507
    /// Bytes of control space per message: `CMSG_SPACE(sizeof(int))` on LP64, rounded up.
    public static let controlStride = 32
    /// `struct cmsghdr`: `size_t cmsg_len; int cmsg_level; int cmsg_type;` then the data.
    static let controlHeader = MemoryLayout<Int>.size + 8

    /// The segment size in a received control buffer (`SOL_UDP`/`UDP_GRO`, an `int`), or 0
    /// when the buffer holds none: the datagram was not coalesced.
    @inlinable
    public static func segmentSize(inControl control: UnsafeRawBufferPointer) -> Int {
        let header = MemoryLayout<Int>.size &+ 8
        var offset = 0
        while offset &+ header <= control.count {
            let length = Int(truncatingIfNeeded: control.loadUnaligned(fromByteOffset: offset, as: UInt.self))
            guard length >= header, length <= control.count &- offset else { return 0 }
            let level = control.loadUnaligned(fromByteOffset: offset &+ MemoryLayout<Int>.size, as: Int32.self)
            let type = control.loadUnaligned(fromByteOffset: offset &+ MemoryLayout<Int>.size &+ 4, as: Int32.self)
            if level == Self.level && type == receiveOffloadOption && length >= header &+ 4 {
                let size = Int(control.loadUnaligned(fromByteOffset: offset &+ header, as: Int32.self))
                return size > 0 ? size : 0
            }
            offset &+= (length &+ 7) & ~7
        }
        return 0
    }

    /// Writes a `SOL_UDP`/`UDP_SEGMENT` control message (a `uint16` segment size) at `control`,
    /// which has `controlStride` bytes; returns the `msg_controllen` to give.
    @inlinable
    public static func writeSegmentControl(size: UInt16, into control: UnsafeMutableRawPointer) -> Int {
        let header = MemoryLayout<Int>.size &+ 8
        let space = header &+ 8   // CMSG_SPACE(2)
        control.initializeMemory(as: UInt8.self, repeating: 0, count: space)
        control.storeBytes(of: UInt(header &+ 2), as: UInt.self)   // CMSG_LEN(2)
        control.storeBytes(of: level, toByteOffset: MemoryLayout<Int>.size, as: Int32.self)
        control.storeBytes(of: segmentOption, toByteOffset: MemoryLayout<Int>.size &+ 4, as: Int32.self)
        control.storeBytes(of: size, toByteOffset: header, as: UInt16.self)
        return space
    }

    /// How many queued messages of `batch`, from `start`, can leave as one segmented send:
    /// the same peer, the same length (the last may be shorter, and ends the run), at most
    /// `maximumSegments` and `maximumPayload` bytes. At least 1 when `start < batch.count`.
    @inlinable
    public static func run(in batch: MessageBatch, from start: Int) -> Int {
        guard start >= 0, start < batch.count else { return 0 }
        let size = batch.vectors[start].iov_len
        guard size > 0, size <= maximumPayload else { return 1 }
        let nameLength = batch.header(start).pointee.msg_namelen
        let name = UnsafeRawPointer(batch.names + start)
        var total = size
        var j = start &+ 1
        while j < batch.count && j &- start < maximumSegments {
            let length = batch.vectors[j].iov_len
            guard length > 0, length <= size, total &+ length <= maximumPayload,
                  batch.header(j).pointee.msg_namelen == nameLength,
                  memcmp(name, UnsafeRawPointer(batch.names + j), Int(nameLength)) == 0
            else { break }
            total &+= length
            j &+= 1
            if length < size { break }
        }
        return j &- start
    }
}
