/// The fields of a TLS ClientHello that App-ID and JA4 use, parsed from a handshake body.
///
/// Parsing tolerates a body cut short by the capture budget (`isComplete == false`, the
/// fields read so far are kept) but rejects any length that contradicts the message's own
/// declared length.
///
/// ```swift
/// if let hello = TLSClientHello.parse(body, declaredLength: length), hello.isComplete {
///     print(hello.serverName ?? "-", JA4.fingerprint(hello))
/// }
/// ```
struct TLSClientHello: Sendable, Equatable {
    var legacyVersion: UInt16 = 0
    var cipherSuites: [UInt16] = []
    /// Extension types in the order sent (GREASE included; JA4 filters it).
    var extensions: [UInt16] = []
    var serverName: String?
    var alpn: [String] = []
    /// The first ALPN protocol's raw bytes (JA4 needs them, not the sanitised string).
    var firstALPN: [UInt8] = []
    var supportedVersions: [UInt16] = []
    var signatureAlgorithms: [UInt16] = []
    var supportedGroups: [UInt16] = []
    var ecPointFormats: [UInt8] = []
    /// False when the bytes ended before the message did.
    var isComplete = false

    /// GREASE values (RFC 8701): 0x?a?a with equal bytes. JA4 ignores them everywhere.
    static func isGREASE(_ value: UInt16) -> Bool { value & 0x0F0F == 0x0A0A && value >> 8 == value & 0xFF }

    /// The highest non-GREASE version offered in supported_versions, else the legacy version.
    var offeredVersion: UInt16 {
        supportedVersions.filter { !Self.isGREASE($0) }.max() ?? legacyVersion
    }

    /// Parses a ClientHello body (after the 4-byte handshake header). `body` may be shorter
    /// than `declaredLength`; then the result is partial. Returns `nil` when the bytes
    /// cannot be a ClientHello.
    static func parse(_ body: UnsafeRawBufferPointer, declaredLength: Int) -> TLSClientHello? {
        var hello = TLSClientHello()
        var c = ProbeCursor(body)
        let truncated = body.count < declaredLength
        // Lengths inside must fit the declared message, whatever the capture holds.
        func fits(_ n: Int) -> Bool { n <= declaredLength - c.offset }

        guard let version = c.u16() else { return truncated ? hello : nil }
        guard version >= 0x0300, version <= 0x0304 else { return nil }
        hello.legacyVersion = version
        guard c.skip(32) else { return truncated ? hello : nil }   // random
        guard let sessionLength = c.u8() else { return truncated ? hello : nil }
        guard sessionLength <= 32, fits(Int(sessionLength)) else { return nil }
        guard c.skip(Int(sessionLength)) else { return truncated ? hello : nil }
        guard let cipherLength = c.u16() else { return truncated ? hello : nil }
        guard cipherLength >= 2, cipherLength % 2 == 0, fits(Int(cipherLength)) else { return nil }
        for _ in 0..<(Int(cipherLength) / 2) {
            guard let suite = c.u16() else { return truncated ? hello : nil }
            hello.cipherSuites.append(suite)
        }
        guard let compressionLength = c.u8() else { return truncated ? hello : nil }
        guard compressionLength >= 1, fits(Int(compressionLength)) else { return nil }
        guard c.skip(Int(compressionLength)) else { return truncated ? hello : nil }
        if c.offset == declaredLength { hello.isComplete = true; return hello }   // no extensions (old clients)
        guard let extensionsLength = c.u16() else { return truncated ? hello : nil }
        guard Int(extensionsLength) == declaredLength - c.offset else { return nil }
        while c.offset < declaredLength {
            guard let type = c.u16(), let length = c.u16() else { return truncated ? hello : nil }
            guard fits(Int(length)) else { return nil }
            guard let data = c.take(Int(length)) else { return truncated ? hello : nil }
            hello.extensions.append(type)
            guard hello.readExtension(type, data) else { return nil }
            if hello.extensions.count > 200 { return nil }
        }
        hello.isComplete = true
        return hello
    }

    /// Reads the extensions App-ID cares about; false when one is malformed.
    private mutating func readExtension(_ type: UInt16, _ data: UnsafeRawBufferPointer) -> Bool {
        var c = ProbeCursor(data)
        switch type {
        case 0x0000:   // server_name: list of (type, name); host_name is type 0
            guard data.count > 0 else { return true }   // empty in a server's echo only
            guard let listLength = c.u16(), Int(listLength) == c.remaining else { return false }
            while !c.isAtEnd {
                guard let nameType = c.u8(), let length = c.u16(), let name = c.take(Int(length)) else { return false }
                if nameType == 0, serverName == nil { serverName = ProbeText.printable(name, limit: 256) }
            }
        case 0x0010:   // ALPN: list of length-prefixed protocol names
            guard let listLength = c.u16(), Int(listLength) == c.remaining else { return false }
            while !c.isAtEnd {
                guard let length = c.u8(), let name = c.take(Int(length)) else { return false }
                if alpn.isEmpty { firstALPN = Array(name) }
                if alpn.count < 16 { alpn.append(ProbeText.printable(name, limit: 64)) }
            }
        case 0x002B:   // supported_versions (client form: 1-byte length, u16 list)
            guard let length = c.u8(), Int(length) == c.remaining, length % 2 == 0 else { return false }
            while let v = c.u16() { supportedVersions.append(v) }
        case 0x000D:   // signature_algorithms
            guard let length = c.u16(), Int(length) == c.remaining, length % 2 == 0 else { return false }
            while let v = c.u16() { signatureAlgorithms.append(v) }
        case 0x000A:   // supported_groups
            guard let length = c.u16(), Int(length) == c.remaining, length % 2 == 0 else { return false }
            while let v = c.u16() { supportedGroups.append(v) }
        case 0x000B:   // ec_point_formats
            guard let length = c.u8(), Int(length) == c.remaining else { return false }
            while let v = c.u8() { ecPointFormats.append(v) }
        default:
            break
        }
        return true
    }
}

/// The fields of a TLS ServerHello: what the server chose.
struct TLSServerHello: Sendable, Equatable {
    var legacyVersion: UInt16 = 0
    var cipherSuite: UInt16 = 0
    /// From supported_versions when present (TLS 1.3), else 0.
    var selectedVersion: UInt16 = 0
    var alpn: String?

    var version: UInt16 { selectedVersion != 0 ? selectedVersion : legacyVersion }

    /// Parses a complete ServerHello body; `nil` when malformed or cut short.
    static func parse(_ body: UnsafeRawBufferPointer) -> TLSServerHello? {
        var hello = TLSServerHello()
        var c = ProbeCursor(body)
        guard let version = c.u16(), version >= 0x0300, version <= 0x0304, c.skip(32),
              let sessionLength = c.u8(), sessionLength <= 32, c.skip(Int(sessionLength)),
              let suite = c.u16(), c.skip(1) else { return nil }
        hello.legacyVersion = version
        hello.cipherSuite = suite
        if c.isAtEnd { return hello }
        guard let extensionsLength = c.u16(), Int(extensionsLength) == c.remaining else { return nil }
        while !c.isAtEnd {
            guard let type = c.u16(), let length = c.u16(), let data = c.take(Int(length)) else { return nil }
            var e = ProbeCursor(data)
            if type == 0x002B {
                guard data.count == 2, let v = e.u16() else { return nil }
                hello.selectedVersion = v
            } else if type == 0x0010 {
                guard let listLength = e.u16(), Int(listLength) == e.remaining, let n = e.u8(),
                      let name = e.take(Int(n)) else { return nil }
                hello.alpn = ProbeText.printable(name, limit: 64)
            }
        }
        return hello
    }
}
