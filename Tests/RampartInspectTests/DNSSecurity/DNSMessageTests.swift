import Testing
import RampartWire
@testable import RampartInspect

/// The DNS security stage's readers: the first question read in place, the sinkhole rewrite
/// of A/AAAA records, and refusals with offsets.
@Suite("DNS security messages")
struct DNSMessageTests {
    static func name(_ text: String) -> [UInt8] {
        text.split(separator: ".").flatMap { [UInt8($0.utf8.count)] + Array($0.utf8) } + [0]
    }

    /// A response to `qname` with an A, a CNAME (compressed) and an AAAA record.
    static func answer(_ qname: String) -> [UInt8] {
        var m: [UInt8] = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 0]
        m += name(qname) + [0, 1, 0, 1]
        m += [0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 93, 184, 216, 34]
        m += [0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 2, 0xC0, 12]
        m += [0xC0, 12, 0, 28, 0, 1, 0, 0, 0, 60, 0, 16] + [UInt8](repeating: 0x20, count: 16)
        return m
    }

    @Test func readsTheFirstQuestionLowerCased() throws {
        var m: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0] + Self.name("WWW.Example.COM") + [0, 16, 0, 1]
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: DNSQuestion.nameCapacity, alignment: 1)
        defer { buffer.deallocate() }
        let q = try m.withUnsafeBytes { try DNSQuestion.read($0, into: buffer).get() }
        #expect(String(decoding: UnsafeRawBufferPointer(start: buffer, count: q.nameLength), as: UTF8.self) == "www.example.com")
        #expect(q.type == 16 && !q.isResponse && q.labels == 3 && q.longestLabel == 7 && q.end == m.count)
        m[12] = 0xC0  // a compressed question
        #expect(m.withUnsafeBytes { DNSQuestion.read($0, into: buffer) } == .failure(DNSMessageProblem(.questionCompressed, at: 12)))
        #expect([UInt8](m[0..<15]).withUnsafeBytes { DNSQuestion.read($0, into: buffer) }
            == .failure(DNSMessageProblem(.questionCompressed, at: 12)))
        // Four labels of 63: 255 characters as text, over the 253 a name may have (found by Fuzz/dns).
        let labels: [UInt8] = (0..<4).flatMap { _ in [63] + [UInt8](repeating: 0x61, count: 63) }
        let long: [UInt8] = [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0] + labels + [0, 0, 1, 0, 1]
        #expect(long.withUnsafeBytes { DNSQuestion.read($0, into: buffer) } == .failure(DNSMessageProblem(.nameTooLong, at: 12 + 64 * 3)))
        let short: [UInt8] = [0, 1, 2]
        #expect(short.withUnsafeBytes { DNSQuestion.read($0, into: buffer) } == .failure(DNSMessageProblem(.headerTruncated, at: 3)))
    }

    @Test func sinkholeRewritesAddressRecordsInPlaceKeepingTheLength() throws {
        var m = Self.answer("bad.example")
        let before = m
        let v4 = IPAddress(ipv4: 0xC612_0001)  // 198.18.0.1
        let v6 = try #require(IPAddress("fd00::5:1"))
        let outcome = m.withUnsafeMutableBytes { DNSAnswerRewrite.rewrite($0, ipv4: v4, ipv6: v6) }
        #expect(outcome == .success(.records(2)))
        #expect(m.count == before.count)
        let a = Self.name("bad.example").count + 12 + 4 + 12
        #expect(Array(m[a..<(a + 4)]) == [198, 18, 0, 1])
        #expect(Array(m[(m.count - 16)...]) == [0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 1])
        // Everything but the two addresses is as it was (the CNAME too).
        var changed = 0
        for i in 0..<m.count where m[i] != before[i] { changed += 1 }
        #expect(changed <= 20)
        // Without an IPv6 sinkhole the AAAA record cannot be pointed anywhere: refused.
        var again = before
        #expect(again.withUnsafeMutableBytes { DNSAnswerRewrite.rewrite($0, ipv4: v4, ipv6: nil) } == .success(.cannotRewrite))
        // A record cut short is refused with its offset, and nothing written.
        var cut = Array(before[0..<(before.count - 8)])
        let result = cut.withUnsafeMutableBytes { DNSAnswerRewrite.rewrite($0, ipv4: v4, ipv6: v6) }
        guard case .failure(let problem) = result else { Issue.record("a cut answer was rewritten"); return }
        #expect(problem.kind == .recordTruncated)
    }

    @Test func checksumIsUpdatedIncrementally() throws {
        // A UDP datagram (raw IPv4) whose checksum is right; after the rewrite it is still right.
        let payload = Self.answer("bad.example")
        func be16(_ v: Int) -> [UInt8] { [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
        var p: [UInt8] = [0x45, 0] + be16(28 + payload.count) + [0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 53, 10, 0, 0, 7]
        p += be16(53) + be16(40000) + be16(8 + payload.count) + [0, 0] + payload
        let source = IPAddress(ipv4: 0x0A00_0035), destination = IPAddress(ipv4: 0x0A00_0007)
        p.withUnsafeMutableBytes { b in
            _ = Checksum.fill(b, segmentAt: 20, length: 8 + payload.count, protocol: .udp, source: source, destination: destination)
        }
        var plan = DNSAnswerRewrite()
        let v4 = IPAddress(ipv4: 0xC612_0001)
        let outcome = p.withUnsafeBytes {
            plan.plan(frame: $0, messageOffset: 28, length: payload.count, ipv4: v4, ipv6: IPAddress("fd00::5:1"))
        }
        #expect(outcome == .success(.records(2)))
        plan.keepChecksum(transportOffset: 20, isUDP: true, checksumField: UInt16(p[26]) << 8 | UInt16(p[27]), unfinished: false)
        p.withUnsafeMutableBytes { plan.apply(to: $0) }
        let valid = p.withUnsafeBytes {
            Checksum.transportIsValid(UnsafeRawBufferPointer(rebasing: $0[20...]), protocol: .udp, source: source, destination: destination)
        }
        #expect(valid)
        #expect(p[28 + Self.name("bad.example").count + 12 + 4 + 12] == 198)
    }
}

extension Result where Success == DNSQuestion, Failure == DNSMessageProblem {
    static func == (lhs: Self, rhs: Self) -> Bool {
        switch (lhs, rhs) {
        case (.failure(let a), .failure(let b)): return a == b
        case (.success(let a), .success(let b)): return a == b
        default: return false
        }
    }
}
