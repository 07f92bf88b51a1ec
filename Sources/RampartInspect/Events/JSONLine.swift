import RampartWire

/// Builds one JSON object as UTF-8 bytes, appending to a reusable buffer.
///
/// EVE records are written once per session or anomaly, never per packet, but a busy
/// firewall writes many of them: appending bytes to one buffer avoids building a
/// dictionary and an encoder per record, and keeps key order stable for readers and diffs.
///
/// ```swift
/// var line = JSONLine()
/// line.begin()
/// line.field("event_type", "flow")
/// line.field("src_port", 443)
/// line.end()
/// // line.bytes == Array(#"{"event_type":"flow","src_port":443}"#.utf8) + [0x0A]
/// ```
public struct JSONLine: Sendable {
    public private(set) var bytes: [UInt8] = []
    @usableFromInline var needsComma: [Bool] = []

    public init() {
        bytes.reserveCapacity(1024)
    }

    /// Forgets the previous record, keeping the buffer's capacity.
    public mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma.removeAll(keepingCapacity: true)
    }

    /// Opens the top-level object.
    public mutating func begin() {
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    /// Closes the top-level object and ends the line.
    public mutating func end() {
        bytes.append(UInt8(ascii: "}"))
        needsComma.removeLast()
        bytes.append(0x0A)
    }

    public mutating func beginObject(_ key: String) {
        writeKey(key)
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func endObject() {
        bytes.append(UInt8(ascii: "}"))
        needsComma.removeLast()
    }

    /// Opens an array of objects under `key`; each element is `beginElement()` ... `endObject()`.
    public mutating func beginArray(_ key: String) {
        writeKey(key)
        bytes.append(UInt8(ascii: "["))
        needsComma.append(false)
    }

    public mutating func endArray() {
        bytes.append(UInt8(ascii: "]"))
        needsComma.removeLast()
    }

    /// Opens an object as the next element of the array being written.
    public mutating func beginElement() {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        bytes.append(UInt8(ascii: "{"))
        needsComma.append(false)
    }

    public mutating func field(_ key: String, _ value: String) {
        writeKey(key)
        writeString(value)
    }

    public mutating func field<I: BinaryInteger>(_ key: String, _ value: I) {
        writeKey(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    public mutating func field(_ key: String, _ value: Bool) {
        writeKey(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A number with up to six decimals (durations in seconds).
    public mutating func field(_ key: String, seconds nanoseconds: Int64) {
        writeKey(key)
        let negative = nanoseconds < 0
        let magnitude = nanoseconds.magnitude
        let whole = magnitude / 1_000_000_000
        let micros = (magnitude % 1_000_000_000) / 1_000
        if negative { bytes.append(UInt8(ascii: "-")) }
        bytes.append(contentsOf: String(whole).utf8)
        if micros != 0 {
            bytes.append(UInt8(ascii: "."))
            let digits = String(micros)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 6 - digits.utf8.count))
            bytes.append(contentsOf: digits.utf8)
        }
    }

    public mutating func field(_ key: String, strings: [String]) {
        writeKey(key)
        bytes.append(UInt8(ascii: "["))
        for (i, s) in strings.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            writeString(s)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func writeKey(_ key: String) {
        if needsComma[needsComma.count - 1] { bytes.append(UInt8(ascii: ",")) }
        needsComma[needsComma.count - 1] = true
        writeString(key)
        bytes.append(UInt8(ascii: ":"))
    }

    /// RFC 8259 string escaping; bytes that are not valid UTF-8 cannot reach here, since
    /// `String` has already repaired them.
    mutating func writeString(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0x0A: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
            case 0..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(b >> 4)], hex[Int(b & 0xF)]])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

extension Timestamp {
    /// The timestamp as EVE prints it: `2026-11-23T12:48:01.123456+0000` (UTC).
    public var eveText: String {
        // Floor division so that instants before 1970 still print correctly.
        var secs = nanosecondsSinceEpoch / 1_000_000_000
        var nanos = nanosecondsSinceEpoch % 1_000_000_000
        if nanos < 0 { nanos += 1_000_000_000; secs -= 1 }
        var days = secs / 86_400
        var secondsOfDay = secs % 86_400
        if secondsOfDay < 0 { secondsOfDay += 86_400; days -= 1 }
        let (y, m, d) = Timestamp.civilDate(daysSinceEpoch: days)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(secondsOfDay / 3600, 2)):\(pad(secondsOfDay / 60 % 60, 2)):\(pad(secondsOfDay % 60, 2)).\(pad(nanos / 1_000, 6))+0000"
    }

    /// Howard Hinnant's days-from-civil inverse: proleptic Gregorian, no Foundation needed.
    static func civilDate(daysSinceEpoch: Int64) -> (Int64, Int64, Int64) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }
}
