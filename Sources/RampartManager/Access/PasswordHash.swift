import COpenSSL

#if canImport(Glibc)
import Glibc
#endif

/// A console user's password hash: PBKDF2-HMAC-SHA256 (OpenSSL's `PKCS5_PBKDF2_HMAC`) with a
/// 16-byte random salt per user and 600,000 iterations (OWASP's figure for PBKDF2-SHA256),
/// written `pbkdf2-sha256:ITERATIONS:SALT:HASH` (hex). PBKDF2 rather than Argon2: OpenSSL
/// is already linked for TLS, so no new library ships in the image, and it is FIPS 140
/// approved; the iteration count is in the text, so it can be raised later without
/// invalidating old hashes (docs/console.md).
///
/// ```swift
/// let line = PasswordHash.make(password: "correct horse")   // pbkdf2-sha256:600000:9f…:4c…
/// PasswordHash(line)?.verifies("correct horse")             // true
/// ```
public struct PasswordHash: Sendable, Equatable {
    public static let defaultIterations = 600_000
    /// Fewer is refused when a users file is read: a hash that cheap is guessed offline.
    public static let minimumIterations = 100_000
    public var iterations: Int
    public var salt: [UInt8]
    public var hash: [UInt8]

    /// Parses `pbkdf2-sha256:ITERATIONS:SALT:HASH`; nil when it is not that.
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), iterations > 0,
              let salt = PasswordHash.bytes(hex: parts[2]), salt.count >= 8,
              let hash = PasswordHash.bytes(hex: parts[3]), hash.count == 32 else { return nil }
        self.iterations = iterations
        self.salt = salt
        self.hash = hash
    }

    /// A new hash of `password` with a fresh random salt.
    public static func make(password: String, iterations: Int = defaultIterations) -> String {
        let salt = randomBytes(16)
        let hash = derive(password, salt: salt, iterations: iterations)
        return "pbkdf2-sha256:\(iterations):\(hex(salt)):\(hex(hash))"
    }

    /// Whether `password` gives this hash (compared in constant time).
    public func verifies(_ password: String) -> Bool {
        let derived = PasswordHash.derive(password, salt: salt, iterations: iterations)
        return derived.withUnsafeBytes { a in hash.withUnsafeBytes { b in CRYPTO_memcmp(a.baseAddress, b.baseAddress, 32) == 0 } }
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let bytes = Array(password.utf8)
        _ = bytes.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { chars in
                PKCS5_PBKDF2_HMAC(chars.baseAddress, Int32(chars.count), salt, Int32(salt.count), Int32(iterations), EVP_sha256(), 32, &out)
            }
        }
        return out
    }

    /// Bytes from OpenSSL's CSPRNG (seeded by the kernel's getrandom).
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { fatalError("OpenSSL's RAND_bytes failed: no random source") }
        return bytes
    }

    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func bytes(hex text: some StringProtocol) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        var out: [UInt8] = []
        var i = 0
        while i < chars.count {
            guard let high = value(chars[i]), let low = value(chars[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }
}
