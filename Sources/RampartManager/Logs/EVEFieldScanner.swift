/// Reads the few fields the log store indexes out of an EVE line in one pass, without
/// building a JSON tree: a general parse (`JSONValue`) cost more than half of ingest. It
/// walks the whole document, so a line that is not one well-formed JSON object is refused
/// (nil), but keeps only the string, number and string-array values it is asked for, at the
/// top level and inside the objects named in `nested`.
///
/// ```swift
/// let fields = EVEFieldScanner.scan(line)   // fields[.timestamp], fields[.rampartRule], fields.list(.rampartSourceTags)
/// ```
struct EVEFieldScanner {
    /// The fields kept, by path; any other field is walked over without being copied.
    enum Field: Int, CaseIterable {
        case timestamp, eventType, proto, appProto, srcIP, srcPort, destIP, destPort
        case rampartApp, rampartRule, rampartAction, alertSignature, alertAction, flowAction
        case rampartSourceTags, rampartDestinationTags

        var path: (object: String?, key: String) {
            switch self {
            case .timestamp: (nil, "timestamp")
            case .eventType: (nil, "event_type")
            case .proto: (nil, "proto")
            case .appProto: (nil, "app_proto")
            case .srcIP: (nil, "src_ip")
            case .srcPort: (nil, "src_port")
            case .destIP: (nil, "dest_ip")
            case .destPort: (nil, "dest_port")
            case .rampartApp: ("rampart", "app")
            case .rampartRule: ("rampart", "rule")
            case .rampartAction: ("rampart", "action")
            case .alertSignature: ("alert", "signature")
            case .alertAction: ("alert", "action")
            case .flowAction: ("flow", "action")
            case .rampartSourceTags: ("rampart", "src_tags")
            case .rampartDestinationTags: ("rampart", "dest_tags")
            }
        }
    }

    /// Scalars (numbers as their text) and string lists, by `Field`.
    var values = [String?](repeating: nil, count: Field.allCases.count)
    var lists = [[String]?](repeating: nil, count: Field.allCases.count)

    subscript(_ field: Field) -> String? { values[field.rawValue] }
    func list(_ field: Field) -> [String]? { lists[field.rawValue] }

    /// Keys as bytes, per object (0: top level, 1: rampart, 2: flow, 3: alert).
    static let objects: [[UInt8]] = [Array("rampart".utf8), Array("flow".utf8), Array("alert".utf8)]
    static let keys: [[([UInt8], Field)]] = (0 ... 3).map { object in
        Field.allCases.compactMap { field in
            let path = field.path
            let owner = path.object.map { name in 1 + objects.firstIndex(of: Array(name.utf8))! } ?? 0
            return owner == object ? (Array(path.key.utf8), field) : nil
        }
    }

    static func scan(_ line: String) -> EVEFieldScanner? {
        var copy = line
        return copy.withUTF8 { bytes -> EVEFieldScanner? in
            var scanner = EVEFieldScanner()
            var reader = Reader(bytes: bytes)
            reader.skipSpace()
            guard reader.peek == UInt8(ascii: "{"), reader.object(owner: 0, depth: 0, into: &scanner) else { return nil }
            reader.skipSpace()
            return reader.index == bytes.count ? scanner : nil
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 32 || bytes[index] == 9 || bytes[index] == 10 || bytes[index] == 13 { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard peek == byte else { return false }
            index += 1
            return true
        }

        /// An object; keeps the fields `EVEFieldScanner.keys[owner]` lists (owner -1: none).
        mutating func object(owner: Int, depth: Int, into scanner: inout EVEFieldScanner) -> Bool {
            guard depth < 32, take(UInt8(ascii: "{")) else { return false }
            if take(UInt8(ascii: "}")) { return true }
            repeat {
                skipSpace()
                guard let key = rawKey(), take(UInt8(ascii: ":")) else { return false }
                skipSpace()
                var field: Field?
                if owner >= 0 {
                    for (name, candidate) in EVEFieldScanner.keys[owner] where name.count == key.count && key.elementsEqual(name) {
                        field = candidate
                        break
                    }
                }
                // A name given twice: the last one counts, whatever it holds (as JSONValue reads it).
                if let field {
                    scanner.values[field.rawValue] = nil
                    scanner.lists[field.rawValue] = nil
                }
                var child = -1
                if owner == 0, let index = EVEFieldScanner.objects.firstIndex(where: { $0.count == key.count && key.elementsEqual($0) }) {
                    child = index + 1
                    for (_, nested) in EVEFieldScanner.keys[child] {
                        scanner.values[nested.rawValue] = nil
                        scanner.lists[nested.rawValue] = nil
                    }
                }
                switch peek {
                case UInt8(ascii: "\""):
                    if let field {
                        guard let value = string() else { return false }
                        scanner.values[field.rawValue] = value
                    } else {
                        guard skipString() else { return false }
                    }
                case UInt8(ascii: "{"):
                    guard object(owner: child, depth: depth + 1, into: &scanner) else { return false }
                case UInt8(ascii: "["):
                    guard let list = array(depth: depth + 1, keep: field != nil) else { return false }
                    if let field, let list { scanner.lists[field.rawValue] = list }
                default:
                    let start = index
                    guard literal() else { return false }
                    if let field { scanner.values[field.rawValue] = String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< index]), as: UTF8.self) }
                }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}"))
        }

        /// A member name's bytes (names with escapes are not ones we keep: walked over, never matched).
        mutating func rawKey() -> UnsafeBufferPointer<UInt8>? {
            let start = index + 1
            guard skipString() else { return nil }
            return UnsafeBufferPointer(rebasing: bytes[start ..< index - 1])
        }

        /// Walks over a string without copying it.
        mutating func skipString() -> Bool {
            guard peek == UInt8(ascii: "\"") else { return false }
            index += 1
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { return true }
                if byte < 0x20 { return false }
                if byte == UInt8(ascii: "\\") {
                    guard index < bytes.count else { return false }
                    index += 1
                }
            }
            return false
        }

        /// An array: its strings when it holds only strings (`.some(nil)` otherwise), nil when malformed.
        mutating func array(depth: Int, keep: Bool) -> [String]?? {
            guard depth < 32, take(UInt8(ascii: "[")) else { return nil }
            var strings: [String]? = keep ? [] : nil
            if take(UInt8(ascii: "]")) { return .some(strings) }
            repeat {
                skipSpace()
                switch peek {
                case UInt8(ascii: "\""):
                    if strings != nil {
                        guard let value = string() else { return nil }
                        strings?.append(value)
                    } else {
                        guard skipString() else { return nil }
                    }
                case UInt8(ascii: "{"):
                    var ignored = EVEFieldScanner()
                    guard object(owner: -1, depth: depth + 1, into: &ignored) else { return nil }
                    strings = nil
                case UInt8(ascii: "["):
                    guard array(depth: depth + 1, keep: false) != nil else { return nil }
                    strings = nil
                default:
                    guard literal() else { return nil }
                    strings = nil
                }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "]")) ? .some(strings) : nil
        }

        /// A number, true, false or null.
        mutating func literal() -> Bool {
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                guard (byte >= 48 && byte <= 57) || byte == 45 || byte == 43 || byte == 46 || byte == 69 || byte == 101
                    || (byte >= 97 && byte <= 122) else { break }
                index += 1
            }
            guard index > start else { return false }
            let text = UnsafeBufferPointer(rebasing: bytes[start ..< index])
            if text.first! >= 97 {
                return text.elementsEqual("true".utf8) || text.elementsEqual("false".utf8) || text.elementsEqual("null".utf8)
            }
            return true
        }

        /// A string; escapes decoded (`\uXXXX` with surrogate pairs).
        mutating func string() -> String? {
            guard peek == UInt8(ascii: "\"") else { return nil }
            index += 1
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") {
                guard bytes[index] >= 0x20 else { return nil }
                index += 1
            }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                defer { index += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start ..< index]), as: UTF8.self)
            }
            // Escapes: rare in EVE, decoded the slow way.
            var out = Array(bytes[start ..< index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                guard byte >= 0x20 else { return nil }
                guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "b"): out.append(8)
                case UInt8(ascii: "f"): out.append(12)
                case UInt8(ascii: "n"): out.append(10)
                case UInt8(ascii: "r"): out.append(13)
                case UInt8(ascii: "t"): out.append(9)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4() else { return nil }
                    if (0xD800 ..< 0xDC00).contains(scalar), index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        guard let low = hex4(), (0xDC00 ..< 0xE000).contains(low) else { return nil }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    out += Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8)
                default: return nil
                }
            }
            return nil
        }

        mutating func hex4() -> UInt32? {
            guard index + 4 <= bytes.count else { return nil }
            var value: UInt32 = 0
            for _ in 0 ..< 4 {
                let byte = bytes[index]
                index += 1
                switch byte {
                case 48...57: value = value << 4 | UInt32(byte - 48)
                case 65...70: value = value << 4 | UInt32(byte - 55)
                case 97...102: value = value << 4 | UInt32(byte - 87)
                default: return nil
                }
            }
            return value
        }
    }
}
