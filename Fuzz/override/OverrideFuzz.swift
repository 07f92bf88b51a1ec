// libFuzzer target for the URL filtering override form's answer (issue 14): the query of
// `/.well-known/rampart-override?url=…&password=…` as a client may send it. Built by
// Fuzz/override/build.sh as one module with Sources/RampartInspect/Profiles/URLOverrideQuery.swift
// and the URL path normaliser's hex digits. Input: a host line (up to the first newline),
// then the request target. Properties checked:
//   - no function traps on any bytes (malformed escapes, `%` at the end, empty pairs, non-UTF-8);
//   - percent-decoding never grows the text, and decodes what it is given encoded;
//   - the form is recognised exactly when the target's path is the form's path;
//   - the redirect path always starts with `/`, is the URL itself when the URL is a local
//     path (not `//` or `/\`), is `/` when the URL names another host: never an open redirect;
//   - the logged target keeps no `password` pair unmasked, and leaves other targets as they are;
//   - the digest comparison is equality.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let newline = bytes.firstIndex(of: 0x0A) ?? 0
    let host = String(decoding: bytes[0..<newline].filter { $0 != UInt8(ascii: "/") }, as: UTF8.self)
    let target = String(decoding: bytes[(newline == 0 ? 0 : newline + 1)...], as: UTF8.self)

    // Decoding shrinks; encoding every byte then decoding gives the bytes back.
    let decoded = URLOverrideQuery.percentDecoded(Substring(target))
    precondition(decoded.count <= target.utf8.count)
    let raw = Array(target.utf8.prefix(256))
    let encoded = raw.map { b -> String in
        let digits = Array("0123456789ABCDEF".utf8)
        return "%" + String(decoding: [digits[Int(b >> 4)], digits[Int(b & 15)]], as: UTF8.self)
    }.joined()
    precondition(URLOverrideQuery.percentDecoded(Substring(encoded)) == raw)

    let query = URLOverrideQuery.query(of: target)
    precondition((query != nil) == (target.prefix { $0 != "?" } == URLOverrideQuery.path))
    if let query {
        let url = URLOverrideQuery.value(query, name: "url") ?? []
        _ = URLOverrideQuery.value(query, name: "password")
        let path = URLOverrideQuery.sameHostPath(url, host: host)
        precondition(path.hasPrefix("/"))
        let text = String(decoding: url, as: UTF8.self)
        if text.hasPrefix("/") && !text.hasPrefix("//") && !text.hasPrefix("/\\") {
            precondition(path == text)
        } else if path != "/" {
            // Only a URL on the password's own host keeps its path.
            let rest = URLOverrideQuery.afterScheme(text)
            precondition(rest != nil)
            let slash = rest!.firstIndex(of: "/") ?? rest!.endIndex
            precondition(URLOverrideQuery.normalizedHost(rest![..<slash]) == URLOverrideQuery.normalizedHost(Substring(host)))
            precondition(text.hasSuffix(path))
        }
    }

    let logged = URLOverrideQuery.loggable(target)
    if target.hasPrefix(URLOverrideQuery.path + "?") {
        let pairs = logged.dropFirst(URLOverrideQuery.path.utf8.count + 1).split(separator: "&", omittingEmptySubsequences: false)
        for pair in pairs where pair.prefix(while: { $0 != "=" }) == "password" {
            precondition(pair == "password=[masked]", "unmasked: \(pair)")
        }
    } else {
        precondition(logged == target)
    }

    let a = Array(bytes.prefix(32))
    let b = Array(bytes.suffix(32))
    precondition(URLOverrideQuery.sameDigest(a, a) && URLOverrideQuery.sameDigest(a, b) == (a == b))
    return 0
}
