// libFuzzer target for the matcher's HTTP normaliser, differential: `http.uri`
// (URINormalizer: %XX decoded, dot segments resolved in the path) and the `url_decode`
// transform are compared with plain reference implementations written from their
// definitions: percent-decoding, the path ending at the first `?` or `#` sent as such, and
// RFC 3986 section 5.2.4's remove_dot_segments (libhtp's normalisation, which Suricata's
// `http.uri` uses). A difference traps with both outputs. Built by Fuzz/uri/build.sh as one
// module with RampartWire, RampartRules and the matcher's folder of RampartInspect.

@_cdecl("LLVMFuzzerTestOneInput")
public func uriFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let target = Array(UnsafeBufferPointer(start: data, count: size))
    var out = [UInt8](repeating: 0, count: max(1, size))
    let n = target.withUnsafeBytes { t in
        out.withUnsafeMutableBytes { URINormalizer.normalize(t, into: $0.baseAddress!) }
    }
    precondition(n >= 0 && n <= size, "normalised length \(n) of \(size) bytes")
    let got = Array(out[0..<n])
    let expected = ReferenceURI.normalize(target)
    if got != expected {
        fatalError("http.uri of \(ReferenceURI.show(target)): got \(ReferenceURI.show(got)), expected \(ReferenceURI.show(expected))")
    }
    var decoded = [UInt8](repeating: 0, count: max(1, size))
    let m = target.withUnsafeBytes { t in
        decoded.withUnsafeMutableBytes { BufferTransformer.apply(.urlDecode, t, into: $0.baseAddress!, capacity: size) }
    }
    let reference = ReferenceURI.decode(target, plusAsSpace: true).bytes
    if let m {
        precondition(Array(decoded[0..<m]) == reference, "url_decode of \(ReferenceURI.show(target))")
    } else {
        preconditionFailure("url_decode refused \(size) bytes with room for \(size)")
    }
    return 0
}

/// The definitions, written for clarity, not speed.
enum ReferenceURI {
    static func hex(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): b - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// %XX decoded (an incomplete or invalid escape kept as sent); `pathEnd`: where the first
    /// `?` or `#` sent as such (not decoded from an escape) lands in the output.
    static func decode(_ t: [UInt8], plusAsSpace: Bool = false) -> (bytes: [UInt8], pathEnd: Int?) {
        var bytes: [UInt8] = []
        var pathEnd: Int?
        var i = 0
        while i < t.count {
            if t[i] == UInt8(ascii: "%"), i + 2 < t.count, let h = hex(t[i + 1]), let l = hex(t[i + 2]) {
                bytes.append(h << 4 | l)
                i += 3
                continue
            }
            if pathEnd == nil && (t[i] == UInt8(ascii: "?") || t[i] == UInt8(ascii: "#")) { pathEnd = bytes.count }
            bytes.append(plusAsSpace && t[i] == UInt8(ascii: "+") ? 0x20 : t[i])
            i += 1
        }
        return (bytes, pathEnd)
    }

    static func normalize(_ t: [UInt8]) -> [UInt8] {
        let (bytes, pathEnd) = decode(t)
        let end = pathEnd ?? bytes.count
        return removeDotSegments(Array(bytes[0..<end])) + bytes[end...]
    }

    /// RFC 3986, 5.2.4, step by step.
    static func removeDotSegments(_ path: [UInt8]) -> [UInt8] {
        let slash = UInt8(ascii: "/")
        var input = path[...]
        var output: [UInt8] = []
        func starts(_ s: String) -> Bool { input.starts(with: Array(s.utf8)) }
        func equals(_ s: String) -> Bool { Array(input) == Array(s.utf8) }
        func dropLastSegment() {
            while let last = output.last, last != slash { output.removeLast() }
            if !output.isEmpty { output.removeLast() }
        }
        while !input.isEmpty {
            if starts("../") {
                input = input.dropFirst(3)
            } else if starts("./") {
                input = input.dropFirst(2)
            } else if starts("/./") {
                input = input.dropFirst(2)
            } else if equals("/.") {
                input = [slash][...]
            } else if starts("/../") {
                input = input.dropFirst(3)
                dropLastSegment()
            } else if equals("/..") {
                input = [slash][...]
                dropLastSegment()
            } else if equals(".") || equals("..") {
                input = [][...]
            } else {
                var k = input.startIndex
                if input[k] == slash { k += 1 }
                while k < input.endIndex && input[k] != slash { k += 1 }
                output.append(contentsOf: input[input.startIndex..<k])
                input = input[k...]
            }
        }
        return output
    }

    static func show(_ b: [UInt8]) -> String {
        "\"" + b.map { $0 >= 0x20 && $0 < 0x7F ? String(UnicodeScalar($0)) : "\\x" + String($0, radix: 16) }.joined() + "\""
    }
}
