// libFuzzer target for the log store's readers: the EVE field scanner and the syslog frame
// decoder. Built by Fuzz/logs/build.sh as one module with Sources/RampartJSON and the two
// files. Properties checked:
//   - neither traps, on any bytes;
//   - differential: every line JSONValue accepts as an object the scanner accepts too, with
//     the same values for the fields it keeps (strings as strings, numbers as their text,
//     string lists), the last of a repeated name winning in both;
//   - the frame decoder gives the same messages however the stream is cut (whole, then in
//     pieces of the first byte's size), and never holds more than one frame's bytes.

func expected(_ value: JSONValue, _ field: EVEFieldScanner.Field) -> (String?, [String]?) {
    let path = field.path
    var holder: JSONValue? = value
    if let object = path.object { holder = value[object] }
    guard let member = holder?[path.key] else { return (nil, nil) }
    switch member {
    case .string(let text): return (text, nil)
    case .number(let text): return (text, nil)
    case .bool(let flag): return (flag ? "true" : "false", nil)
    case .null: return ("null", nil)
    case .array(let items):
        let strings = items.compactMap(\.stringValue)
        return (nil, strings.count == items.count ? strings : nil)
    case .object: return (nil, nil)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)
    let scanned = EVEFieldScanner.scan(text)
    if let value = try? JSONValue.parse(Array(text.utf8)), case .object = value {
        guard let scanned else { preconditionFailure("JSONValue accepts an object the scanner refuses: \(text.prefix(200))") }
        for field in EVEFieldScanner.Field.allCases {
            let (scalar, list) = expected(value, field)
            precondition(scanned[field] == scalar, "\(field): scanner \(String(describing: scanned[field])) vs \(String(describing: scalar))")
            precondition(scanned.list(field) == list, "\(field) list: scanner \(String(describing: scanned.list(field))) vs \(String(describing: list))")
        }
    }
    var whole = SyslogFrameDecoder()
    let all = try? whole.feed(bytes)
    var pieces = SyslogFrameDecoder()
    var cut: [SyslogMessage]? = []
    let step = max(1, Int(bytes.first ?? 1) % 17)
    var offset = 0
    while offset < bytes.count, cut != nil {
        let end = min(offset + step, bytes.count)
        do { cut! += try pieces.feed(bytes[offset ..< end]) } catch { cut = nil }
        precondition(pieces.pending <= SyslogFrameDecoder.maximumFrame + 16, "held \(pieces.pending) bytes")
        offset = end
    }
    if let all, let cut { precondition(all == cut, "whole and cut streams differ") }
    return 0
}
