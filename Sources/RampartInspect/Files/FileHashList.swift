/// Hashes of known-bad files (the firewall's `spec.files.hashes`, `rampart inspect --hashes`):
/// SHA-256 and MD5 digests in hex, a file's hash found here makes it malicious.
///
/// Accepted lines: `sha256sum`/`md5sum` output (`HEX  name`, `HEX *name`), a bare digest,
/// and ClamAV's hash signatures (`HEX:size:name`, .hdb/.hsb); `#` starts a comment. A line
/// that is none of those refuses the list with its file:line:column.
///
/// ```swift
/// let list = try FileHashList.parse("275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f  eicar.com\n", file: "bad.txt")
/// list.count   // 1
/// ```
public struct FileHashList: Sendable {
    struct SHA256Key: Hashable, Sendable { var a: UInt64, b: UInt64, c: UInt64, d: UInt64 }
    struct MD5Key: Hashable, Sendable { var a: UInt64, b: UInt64 }

    var sha256: [SHA256Key: String] = [:]
    var md5: [MD5Key: String] = [:]

    public init() {}

    /// Digests held.
    public var count: Int { sha256.count + md5.count }

    /// A problem of a hash list, at its place.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var column: Int
        public var message: String
        public var description: String { "\(file):\(line):\(column): \(message)" }
    }

    /// Reads a list's text; `file` names it in errors and in the verdicts (`name` when a line
    /// gives none).
    public static func parse(_ text: String, file: String) throws(Problem) -> FileHashList {
        var list = FileHashList()
        try list.add(text, file: file)
        return list
    }

    /// Adds a list's lines to this one (several files make one list).
    public mutating func add(_ text: String, file: String) throws(Problem) {
        var number = 0
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var line = raw
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let leading = line.prefix { $0 == " " || $0 == "\t" }.count
            line = line.dropFirst(leading)
            while let last = line.last, last == " " || last == "\t" || last == "\r" { line = line.dropLast() }
            if line.isEmpty { continue }
            let digestEnd = line.firstIndex { $0 == " " || $0 == "\t" || $0 == ":" } ?? line.endIndex
            let digest = line[..<digestEnd]
            var name = line[digestEnd...].drop { $0 == " " || $0 == "\t" || $0 == "*" || $0 == ":" }
            if line[digestEnd...].first == ":" {
                // ClamAV: HEX:size:name (size may be "*").
                let parts = line[digestEnd...].dropFirst().split(separator: ":", maxSplits: 1)
                name = parts.count == 2 ? parts[1] : (parts.first ?? "")
            }
            let label = name.isEmpty ? file : String(name)
            func problem(_ message: String) -> Problem {
                Problem(file: file, line: number, column: leading + 1, message: message)
            }
            switch digest.utf8.count {
            case 64:
                var key = SHA256Key(a: 0, b: 0, c: 0, d: 0)
                let ok = withUnsafeMutableBytes(of: &key) { FileHex.parse(digest.utf8, into: $0) }
                guard ok else { throw problem("'\(digest)' is not a hex SHA-256 digest") }
                sha256[key] = label
            case 32:
                var key = MD5Key(a: 0, b: 0)
                let ok = withUnsafeMutableBytes(of: &key) { FileHex.parse(digest.utf8, into: $0) }
                guard ok else { throw problem("'\(digest)' is not a hex MD5 digest") }
                md5[key] = label
            case 40:
                throw problem("a SHA-1 digest: files are hashed with SHA-256 and MD5; expected 64 or 32 hex digits")
            default:
                throw problem("expected a SHA-256 (64 hex digits) or MD5 (32 hex digits) digest, found '\(digest.prefix(80))'")
            }
        }
    }

    /// The entry's name when the file's SHA-256 or MD5 is listed.
    func match(sha256 digest: SHA256.Digest, md5 m: MD5.Digest) -> String? {
        if !sha256.isEmpty {
            var w = digest.words
            var key = SHA256Key(a: 0, b: 0, c: 0, d: 0)
            withUnsafeMutableBytes(of: &key) { out in
                withUnsafeBytes(of: &w) { words in
                    for i in 0..<8 { out.storeBytes(of: words.load(fromByteOffset: i * 4, as: UInt32.self).bigEndian, toByteOffset: i * 4, as: UInt32.self) }
                }
            }
            if let name = sha256[key] { return name }
        }
        if !md5.isEmpty, let name = md5[MD5Key(a: m.bytes.0, b: m.bytes.1)] { return name }
        return nil
    }
}
