/// One RFC 5424 message as the log store needs it: who sent it (HOSTNAME), its MSGID (the
/// EVE event type, as the firewall writes it) and its MSG (the EVE line).
public struct SyslogMessage: Sendable, Equatable {
    public var hostname: String
    public var messageID: String
    public var body: String
}

public struct SyslogFrameError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// Cuts a TCP byte stream into syslog messages: octet counting (`LENGTH SP MESSAGE`, RFC 6587
/// §3.4.1, the framing RFC 5425 uses and the firewall's shipper sends), or, for a stream
/// that starts a frame with `<`, one message per line (RFC 6587 §3.4.2). Messages are parsed
/// as RFC 5424 (`<PRI>1 TIMESTAMP HOSTNAME APP PROCID MSGID SD MSG`). Bounded: a frame
/// longer than `maximumFrame` is a framing error and the connection is dropped.
///
/// ```swift
/// var decoder = SyslogFrameDecoder()
/// let messages = try decoder.feed(Array("30 <134>1 - fw-1 app - flow - {}".utf8))
/// ```
public struct SyslogFrameDecoder: Sendable {
    public static let maximumFrame = 256 * 1024
    private var buffer: [UInt8] = []
    private var start = 0
    /// Messages that were framed but are not RFC 5424 (skipped, counted).
    public private(set) var malformed = 0

    public init() {}

    /// Bytes not yet part of a whole frame.
    public var pending: Int { buffer.count - start }

    public mutating func feed(_ bytes: some Collection<UInt8>) throws(SyslogFrameError) -> [SyslogMessage] {
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
        var messages: [SyslogMessage] = []
        while start < buffer.count {
            if buffer[start] == UInt8(ascii: "<") {
                // Non-transparent framing: up to the line feed.
                guard let end = buffer[start...].firstIndex(of: 10) else {
                    if buffer.count - start > SyslogFrameDecoder.maximumFrame { throw SyslogFrameError(description: "a line longer than \(SyslogFrameDecoder.maximumFrame) bytes") }
                    break
                }
                take(start ..< end, into: &messages)
                start = end + 1
                continue
            }
            var length = 0, index = start
            while index < buffer.count, buffer[index] >= 48, buffer[index] <= 57 {
                length = length * 10 + Int(buffer[index] - 48)
                index += 1
                if length > SyslogFrameDecoder.maximumFrame { throw SyslogFrameError(description: "a frame of more than \(SyslogFrameDecoder.maximumFrame) bytes") }
            }
            guard index < buffer.count else { break }
            guard index > start, buffer[index] == 32, length > 0 else {
                throw SyslogFrameError(description: "not octet-counted syslog (LENGTH SP MESSAGE) at byte \(buffer[index])")
            }
            let body = index + 1
            guard buffer.count - body >= length else { break }
            take(body ..< body + length, into: &messages)
            start = body + length
        }
        return messages
    }

    private mutating func take(_ range: Range<Int>, into messages: inout [SyslogMessage]) {
        if let message = SyslogFrameDecoder.parse(buffer[range]) { messages.append(message) } else { malformed += 1 }
    }

    /// An RFC 5424 message; nil when it is not one.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> SyslogMessage? {
        var index = bytes.startIndex
        func field() -> ArraySlice<UInt8>? {
            guard index < bytes.endIndex else { return nil }
            let from = index
            while index < bytes.endIndex && bytes[index] != 32 { index += 1 }
            let value = bytes[from ..< index]
            if index < bytes.endIndex { index += 1 }
            return value
        }
        guard let head = field(), head.first == UInt8(ascii: "<"), head.contains(UInt8(ascii: ">")),
              field() != nil, let host = field(), field() != nil, field() != nil, let messageID = field(), index <= bytes.endIndex
        else { return nil }
        // Structured data: `-`, or bracketed elements (their values may hold escaped `]`).
        guard index < bytes.endIndex else { return nil }
        if bytes[index] == UInt8(ascii: "-") {
            index += 1
        } else if bytes[index] == UInt8(ascii: "[") {
            var inValue = false, escaped = false
            while index < bytes.endIndex {
                let byte = bytes[index]
                index += 1
                if escaped { escaped = false; continue }
                if byte == UInt8(ascii: "\\") { escaped = true }
                else if byte == UInt8(ascii: "\"") { inValue.toggle() }
                else if byte == UInt8(ascii: "]") && !inValue && (index >= bytes.endIndex || bytes[index] != UInt8(ascii: "[")) { break }
            }
        } else {
            return nil
        }
        if index < bytes.endIndex && bytes[index] == 32 { index += 1 }
        var body = bytes[index...]
        // A UTF-8 byte order mark may precede the message (RFC 5424 §6.4).
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        while let last = body.last, last == 10 || last == 13 { body = body.dropLast() }
        return SyslogMessage(hostname: String(decoding: host, as: UTF8.self), messageID: String(decoding: messageID, as: UTF8.self),
                             body: String(decoding: body, as: UTF8.self))
    }
}
