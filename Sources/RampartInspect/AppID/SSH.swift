import RampartPolicy
import RampartWire

/// SSH: recognised by the identification string (RFC 4253 §4.2) that each side sends first,
/// `SSH-2.0-software comments\r\n` (or `SSH-1.99-` from servers that also speak SSH-1),
/// printable ASCII within 255 bytes. Either side's complete line proves SSH; the server
/// usually speaks first. Extracts `detail["ssh.client"]` and `detail["ssh.server"]`.
///
/// ```swift
/// var metadata = ApplicationMetadata()
/// if SSH.probe(prefix, into: &metadata) == .identified(SSH.application) {
///     print(metadata.detail["ssh.server"] ?? "")   // "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"
/// }
/// ```
enum SSH {
    static let application = ApplicationCatalog.id(named: "ssh")!
    /// RFC 4253: the identification line, CR LF included, is at most 255 bytes.
    static let maximumLine = 255

    enum Side {
        case empty
        case partial
        case line(Range<Int>)
        case mismatch
    }

    /// Reads one side's identification string.
    static func side(_ b: UnsafeRawBufferPointer) -> Side {
        if b.count == 0 { return .empty }
        let v2 = ProbeBytes.match(b, at: 0, "SSH-2.0-")
        let v199 = ProbeBytes.match(b, at: 0, "SSH-1.99-")
        if v2 == .mismatch && v199 == .mismatch { return .mismatch }
        if v2 != .full && v199 != .full { return .partial }
        let start = v2 == .full ? 8 : 9
        guard let lf = ProbeBytes.lineFeed(b, from: start, limit: maximumLine) else {
            return b.count >= maximumLine ? .mismatch : .partial
        }
        let line = ProbeBytes.trimmingCR(b, 0..<lf)
        // The software version must be non-empty and the whole line printable.
        guard line.upperBound > start, b[start] != 0x20, ProbeBytes.isPrintable(b, line) else { return .mismatch }
        return .line(line)
    }

    /// Identifies SSH from either side's identification string; see the type's documentation.
    static func probe(_ prefix: StreamPrefix, into metadata: inout ApplicationMetadata) -> ProbeResult {
        guard prefix.ipProtocol == .tcp else { return .notThis }
        let client = side(prefix.toServer)
        let server = side(prefix.toClient)
        if case .mismatch = client { return .notThis }
        if case .mismatch = server { return .notThis }
        var found = false
        if case .line(let r) = client {
            metadata.detail["ssh.client"] = ProbeBytes.text(prefix.toServer, r)
            found = true
        }
        if case .line(let r) = server {
            metadata.detail["ssh.server"] = ProbeBytes.text(prefix.toClient, r)
            found = true
        }
        if found { return .identified(application) }
        // Both sides empty or partial: wait while either may still send its line.
        let clientWaits = !prefix.toServerComplete
        let serverWaits = !prefix.toClientComplete
        return clientWaits || serverWaits ? .needMore : .notThis
    }
}
