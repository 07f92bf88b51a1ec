import RampartWire

/// The address and port fields of a rule header (and the values of address and port
/// variables): `any`, `$VAR`, `!x`, `[x,y,...]` nested, addresses, `ADDR/LEN` (host bits are
/// masked, as Suricata does), `ADDR/NETMASK`, `FIRST-LAST`; ports `N`, `A:B`, `A:`, `:B`.
enum HeaderParser {
    /// The longest field accepted; a header field beyond this is refused, not parsed.
    static let maximumLength = 16_384

    static func address(_ text: String) -> Result<AddressSpec, FieldError> {
        guard text.utf8.count <= maximumLength else { return .failure("address field is longer than \(maximumLength) bytes") }
        var p = Cursor(Array(text.utf8))
        let r = p.addressItem(depth: 0)
        if case .success = r, !p.atEnd {
            return .failure("unexpected '\(p.rest)' after the address '\(p.consumed)'")
        }
        return r
    }

    static func port(_ text: String) -> Result<PortSpec, FieldError> {
        guard text.utf8.count <= maximumLength else { return .failure("port field is longer than \(maximumLength) bytes") }
        var p = Cursor(Array(text.utf8))
        let r = p.portItem(depth: 0)
        if case .success = r, !p.atEnd {
            return .failure("unexpected '\(p.rest)' after the port '\(p.consumed)'")
        }
        return r
    }

    struct Cursor {
        let bytes: [UInt8]
        var i = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { i >= bytes.count }
        var rest: String { String(decoding: bytes[min(i, bytes.count)...].prefix(40), as: UTF8.self) }
        var consumed: String { String(decoding: bytes[..<min(i, bytes.count)].suffix(40), as: UTF8.self) }
        mutating func skipBlanks() { while i < bytes.count && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 } }

        /// The text up to `,` `]` or a blank.
        mutating func atom() -> String {
            let s = i
            while i < bytes.count, bytes[i] != UInt8(ascii: ","), bytes[i] != UInt8(ascii: "]"), bytes[i] != 0x20, bytes[i] != 0x09 { i += 1 }
            return String(decoding: bytes[s..<i], as: UTF8.self)
        }

        mutating func list<T>(depth: Int, item: (inout Cursor, Int) -> Result<T, FieldError>) -> Result<[T], FieldError> {
            i += 1  // [
            var items: [T] = []
            while true {
                skipBlanks()
                if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
                    return .failure(items.isEmpty ? "empty list '[]'" : "expected an item after ',' in a list")
                }
                switch item(&self, depth + 1) {
                case .success(let x): items.append(x)
                case .failure(let e): return .failure(e)
                }
                skipBlanks()
                guard i < bytes.count else { return .failure("missing ']' to close a list") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .success(items) }
                return .failure("expected ',' or ']' in a list, found '\(rest)'")
            }
        }

        mutating func addressItem(depth: Int) -> Result<AddressSpec, FieldError> {
            item(depth: depth, what: "an address", negated: AddressSpec.negated, group: AddressSpec.group,
                 variable: AddressSpec.variable, any: .any) { c, d in c.addressItem(depth: d) } leaf: { text in
                HeaderParser.addressBlock(text).map { .block($0) }
            }
        }

        mutating func portItem(depth: Int) -> Result<PortSpec, FieldError> {
            item(depth: depth, what: "a port", negated: PortSpec.negated, group: PortSpec.group,
                 variable: PortSpec.variable, any: .any) { c, d in c.portItem(depth: d) } leaf: { text in
                HeaderParser.portRange(text).map { .range($0) }
            }
        }

        /// One item of an address or port field: `!item`, `[list]`, `$VARIABLE`, `any`, or a
        /// leaf (a block of addresses, a port range), the two fields' grammar being the same.
        mutating func item<Spec>(
            depth: Int, what: String, negated: (Spec) -> Spec, group: ([Spec]) -> Spec, variable: (String) -> Spec, any: Spec,
            _ next: (inout Cursor, Int) -> Result<Spec, FieldError>, leaf: (String) -> Result<Spec, FieldError>
        ) -> Result<Spec, FieldError> {
            guard depth < 32 else { return .failure("lists nested deeper than 32") }
            skipBlanks()
            guard i < bytes.count else { return .failure("expected \(what)") }
            if bytes[i] == UInt8(ascii: "!") {
                i += 1
                return next(&self, depth + 1).map(negated)
            }
            if bytes[i] == UInt8(ascii: "[") {
                return list(depth: depth, item: next).map(group)
            }
            if bytes[i] == UInt8(ascii: "$") {
                i += 1
                let name = atom()
                guard HeaderParser.isVariableName(name) else { return .failure("'$\(name)' is not a variable name (letters, digits, '_')") }
                return .success(variable(name))
            }
            let text = atom()
            if text.lowercased() == "any" { return .success(any) }
            return leaf(text)
        }
    }

    static func isVariableName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x5F }
    }

    static func portNumber(_ s: Substring) -> UInt16? {
        guard !s.isEmpty, s.count <= 5, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(s), v <= 65535 else { return nil }
        return UInt16(v)
    }

    static func portRange(_ text: String) -> Result<ClosedRange<UInt16>, FieldError> {
        if let colon = text.firstIndex(of: ":") {
            let a = text[..<colon], b = text[text.index(after: colon)...]
            let lo = a.isEmpty ? 0 : portNumber(a)
            let hi = b.isEmpty ? UInt16.max : portNumber(b)
            guard let lo, let hi else { return .failure("'\(text)' is not a port range (A:B, A:, :B with ports 0-65535)") }
            guard lo <= hi else { return .failure("port range '\(text)' runs backwards") }
            return .success(lo...hi)
        }
        guard let p = portNumber(Substring(text)) else { return .failure("'\(text)' is not a port (0-65535), a range A:B, 'any' or a $VARIABLE") }
        return .success(p...p)
    }

    static func addressBlock(_ text: String) -> Result<AddressBlock, FieldError> {
        if text.isEmpty { return .failure("expected an address") }
        if let dash = text.firstIndex(of: "-") {
            let a = text[..<dash], b = text[text.index(after: dash)...]
            guard let lo = IPAddress(a), let hi = IPAddress(b) else { return .failure("'\(text)' is not an address range FIRST-LAST") }
            guard lo.isIPv4 == hi.isIPv4 else { return .failure("'\(text)': a range's ends must be of one family") }
            guard !(hi < lo) else { return .failure("address range '\(text)' runs backwards") }
            return .success(AddressBlock(first: lo, last: hi))
        }
        if let slash = text.firstIndex(of: "/") {
            let a = text[..<slash], m = text[text.index(after: slash)...]
            guard let address = IPAddress(a) else { return .failure("'\(a)' is not an IP address") }
            var length: Int?
            if m.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), m.count <= 3, let l = Int(m) {
                length = l
            } else if address.isIPv4, let mask = IPAddress(m), mask.isIPv4 {
                let v = mask.ipv4Value
                let ones = v.leadingZeroBitCount == 0 ? (~v).leadingZeroBitCount : 0
                if ones == 32 || (v << ones) == 0 { length = ones }
            }
            guard let l = length, l >= 0, l <= (address.isIPv4 ? 32 : 128),
                  let net = IPNetwork(address: address, prefixLength: l) else {
                return .failure("'\(text)': the prefix must be 0-\(address.isIPv4 ? 32 : 128) or a netmask")
            }
            return .success(AddressBlock(first: net.address, last: net.lastAddress))
        }
        guard let address = IPAddress(text) else {
            return .failure("'\(text)' is not an IP address, network, range, 'any' or a $VARIABLE")
        }
        return .success(AddressBlock(first: address, last: address))
    }
}
