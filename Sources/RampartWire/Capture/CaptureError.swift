/// Why a capture file could not be read, and where.
///
/// Every error names the byte offset of the record or block being read and the number of
/// the packet record it would have produced (1-based), so a user can find the damage with
/// a hex editor or `tshark`. A file that ends part-way through a record is an error too
/// (``isTruncation`` is `true`); see ``CaptureReader`` for how to treat it as a warning.
///
/// ```swift
/// do { while try reader.next(into: &record) { … } }
/// catch { print("capture: \(error)") }
/// // capture: record 1834 at byte 99120: header says 1514 bytes but only 310 remain (file truncated?)
/// ```
public struct CaptureError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: Sendable, Equatable {
        /// The file starts with neither a pcap magic nor a pcapng Section Header Block.
        case notACapture(firstBytes: UInt32)
        /// The file is shorter than the header its magic announces.
        case truncatedFileHeader(needed: Int, available: Int)
        /// A pcap file header or pcapng section header with a version this reader does not know.
        case unsupportedVersion(major: Int, minor: Int)
        /// Fewer bytes remain than a record or block header needs.
        case truncatedRecordHeader(needed: Int, available: Int)
        /// A record's header declares more bytes than the file still holds.
        case truncatedRecord(declared: Int, available: Int)
        /// A captured length above ``CaptureReader/maximumCapturedLength``.
        case capturedLengthTooLarge(declared: Int, limit: Int)
        /// A pcapng block whose total length is not a multiple of 4.
        case blockLengthNotMultipleOfFour(blockType: UInt32, length: Int)
        /// A pcapng block whose total length is below the minimum for its type.
        case blockLengthTooSmall(blockType: UInt32, length: Int, minimum: Int)
        /// A pcapng block longer than ``CaptureReader/maximumBlockLength``: corruption, read
        /// the same whether the file is held whole or streamed.
        case blockLengthTooLarge(blockType: UInt32, length: Int, limit: Int)
        /// A pcapng block whose trailing length differs from its leading length.
        case blockLengthMismatch(leading: Int, trailing: Int)
        /// A pcapng Section Header Block whose byte-order magic is neither 0x1A2B3C4D nor swapped.
        case badByteOrderMagic(UInt32)
        /// A packet block whose captured length runs past the end of the block.
        case capturedLengthExceedsBlock(captured: Int, room: Int)
        /// A packet block naming an interface no Interface Description Block declared.
        case unknownInterface(id: Int, declared: Int)
        /// More interfaces in one section than ``CaptureReader/maximumInterfaces``.
        case tooManyInterfaces(limit: Int)
        /// An option that runs past the end of its block, or has an impossible length.
        case malformedOption(code: Int, length: Int)
        /// An `if_tsresol` value this reader cannot convert (above 10^-19 or 2^-63).
        case unsupportedTimestampResolution(UInt8)
        /// The source could not be read (the system's error text: an I/O error, a vanished
        /// network file system).
        case readFailed(String)
    }

    public var reason: Reason
    /// Offset in the file of the record or block being read (0 for the file header).
    public var byteOffset: Int
    /// 1-based number of the packet record being read; 0 while reading the file header.
    public var recordNumber: Int

    public init(_ reason: Reason, byteOffset: Int, recordNumber: Int) {
        self.reason = reason
        self.byteOffset = byteOffset
        self.recordNumber = recordNumber
    }

    /// `true` when the file simply ends too early (an interrupted `tcpdump`, a partial copy);
    /// every complete record before that point has been delivered.
    public var isTruncation: Bool {
        switch reason {
        case .truncatedFileHeader, .truncatedRecordHeader, .truncatedRecord: return true
        default: return false
        }
    }

    public var description: String {
        let place = recordNumber == 0
            ? "file header at byte \(byteOffset)"
            : "record \(recordNumber) at byte \(byteOffset)"
        return "\(place): \(reasonText)"
    }

    private var reasonText: String {
        switch reason {
        case .notACapture(let magic):
            let hex = "0x" + String(magic, radix: 16, uppercase: true)
            if magic & 0xFFFF_0000 == 0x1F8B_0000 {
                return "not a pcap or pcapng file: it is gzip-compressed (starts with \(hex)); decompress it first"
            }
            return "not a pcap or pcapng file (starts with \(hex); expected a pcap magic A1B2C3D4/A1B23C4D or a pcapng Section Header Block 0A0D0D0A)"
        case .truncatedFileHeader(let needed, let available):
            return available == 0
                ? "the file is empty, not a pcap or pcapng file"
                : "file header needs \(needed) bytes but the file has only \(available) (file truncated?)"
        case .unsupportedVersion(let major, let minor):
            return "unsupported format version \(major).\(minor)"
        case .truncatedRecordHeader(let needed, let available):
            return "a record header needs \(needed) bytes but only \(available) remain (file truncated?)"
        case .truncatedRecord(let declared, let available):
            return "header says \(declared) bytes but only \(available) remain (file truncated?)"
        case .capturedLengthTooLarge(let declared, let limit):
            return "captured length \(declared) is above the limit of \(limit) bytes (corrupt file?)"
        case .blockLengthNotMultipleOfFour(let type, let length):
            return "\(Self.blockName(type)) length \(length) is not a multiple of 4 (corrupt file?)"
        case .blockLengthTooSmall(let type, let length, let minimum):
            return "\(Self.blockName(type)) length \(length) is below its minimum of \(minimum) (corrupt file?)"
        case .blockLengthTooLarge(let type, let length, let limit):
            return "\(Self.blockName(type)) length \(length) is above the limit of \(limit) bytes (corrupt file?)"
        case .blockLengthMismatch(let leading, let trailing):
            return "block length \(leading) at the start but \(trailing) at the end (corrupt file?)"
        case .badByteOrderMagic(let magic):
            return "section header byte-order magic is 0x\(String(magic, radix: 16, uppercase: true)), expected 0x1A2B3C4D"
        case .capturedLengthExceedsBlock(let captured, let room):
            return "captured length \(captured) does not fit in the \(room) bytes its block leaves for it"
        case .unknownInterface(let id, let declared):
            return "packet names interface \(id) but only \(declared) interface(s) were described"
        case .tooManyInterfaces(let limit):
            return "more than \(limit) interfaces in one section"
        case .malformedOption(let code, let length):
            return "option \(code) with length \(length) runs past the end of its block"
        case .unsupportedTimestampResolution(let value):
            return "unsupported if_tsresol value 0x\(String(value, radix: 16))"
        case .readFailed(let why):
            return "could not read the capture: \(why)"
        }
    }

    private static func blockName(_ type: UInt32) -> String {
        switch type {
        case PcapngBlockType.sectionHeader: return "Section Header Block"
        case PcapngBlockType.interfaceDescription: return "Interface Description Block"
        case PcapngBlockType.enhancedPacket: return "Enhanced Packet Block"
        case PcapngBlockType.simplePacket: return "Simple Packet Block"
        case PcapngBlockType.obsoletePacket: return "Packet Block"
        default: return "block of type 0x\(String(type, radix: 16, uppercase: true))"
        }
    }
}
