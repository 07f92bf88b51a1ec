import Testing
@testable import RampartInspect
import RampartTestSupport

private func hex(_ s: String) -> [UInt8] {
    let digits = s.filter { !$0.isWhitespace }
    var out: [UInt8] = []
    var i = digits.startIndex
    while i < digits.endIndex {
        let j = digits.index(i, offsetBy: 2)
        out.append(UInt8(digits[i..<j], radix: 16)!)
        i = j
    }
    return out
}

private func fields(_ pairs: [(String, String)]) -> [HPACKField] { pairs.map { HPACKField(name: $0.0, value: $0.1) } }

private func decode(_ decoder: inout HPACKDecoder, _ bytes: [UInt8]) -> Result<[HPACKField], HPACKError> {
    bytes.withUnsafeBytes { decoder.decode($0) }
}

@Suite("App-ID HPACK")
struct AppIDHPACKTests {
    @Test("RFC 7541 C.1 integers")
    func integers() {
        var at = 0
        #expect([UInt8]([0x0A]).withUnsafeBytes { HPACKInteger.decode($0, at: &at, prefixBits: 5) } == 10)
        at = 0
        #expect([UInt8]([0x1F, 0x9A, 0x0A]).withUnsafeBytes { HPACKInteger.decode($0, at: &at, prefixBits: 5) } == 1337)
        #expect(at == 3)
        at = 0
        #expect([UInt8]([0x2A]).withUnsafeBytes { HPACKInteger.decode($0, at: &at, prefixBits: 8) } == 42)
        at = 0   // overlong: continuation bytes forever
        #expect([UInt8]([0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]).withUnsafeBytes {
            HPACKInteger.decode($0, at: &at, prefixBits: 5) } == nil)
        at = 0   // truncated continuation
        #expect([UInt8]([0x1F, 0x9A]).withUnsafeBytes { HPACKInteger.decode($0, at: &at, prefixBits: 5) } == nil)
    }

    @Test("RFC 7541 C.3: three requests without Huffman share the dynamic table")
    func requestsPlain() {
        var d = HPACKDecoder()
        #expect(decode(&d, hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"))
            == .success(fields([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")])))
        #expect(d.tableSize == 57)
        #expect(decode(&d, hex("8286 84be 5808 6e6f 2d63 6163 6865"))
            == .success(fields([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"),
                                ("cache-control", "no-cache")])))
        #expect(d.tableSize == 110)
        #expect(decode(&d, hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"))
            == .success(fields([(":method", "GET"), (":scheme", "https"), (":path", "/index.html"),
                                (":authority", "www.example.com"), ("custom-key", "custom-value")])))
        #expect(d.tableSize == 164)
    }

    @Test("RFC 7541 C.4: the same requests with Huffman")
    func requestsHuffman() {
        var d = HPACKDecoder()
        #expect(decode(&d, hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"))
            == .success(fields([(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com")])))
        #expect(decode(&d, hex("8286 84be 5886 a8eb 1064 9cbf")).map { $0.last } == .success(HPACKField(name: "cache-control", value: "no-cache")))
        #expect(decode(&d, hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf")).map { $0.last }
            == .success(HPACKField(name: "custom-key", value: "custom-value")))
        #expect(d.tableSize == 164)
    }

    @Test("RFC 7541 C.6: responses with Huffman and eviction under a 256-byte table")
    func responsesEviction() {
        var d = HPACKDecoder()
        // A size update to 256 first, as the RFC's example table size.
        #expect(decode(&d, hex("3fe1 01")) == .success([]))
        #expect(d.maxTableSize == 256)
        #expect(decode(&d, hex("""
            4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3
            """)).map { $0.count } == .success(4))
        #expect(d.tableSize == 222)
        let second = decode(&d, hex("4883 640e ffc1 c0bf"))
        #expect(second.map { $0.first } == .success(HPACKField(name: ":status", value: "307")))
        #expect(d.tableSize == 222)
    }

    @Test("malformed blocks fail with a named reason", arguments: [
        ([0x80], HPACKError.badIndex),                                  // index 0
        ([0xBE], HPACKError.badIndex),                                  // index 62, empty dynamic table
        ([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F], HPACKError.badInteger),
        ([0x40, 0x05, 0x61], HPACKError.truncated),                     // name says 5 bytes, has 1
        ([0x40, 0x81, 0x00, 0x00], HPACKError.badHuffman),              // Huffman padding of zeros
        ([0x40, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x00], HPACKError.badHuffman),  // EOS (30 ones) inside a string
        ([0x3F, 0xE2, 0x1F], HPACKError.tableSizeTooLarge),             // size update to 4065 + ... > 4096
        ([0x82, 0x20], HPACKError.misplacedSizeUpdate),
        ([0x00, 0x01, 0x61], HPACKError.truncated),                     // literal without a value
    ] as [([UInt8], HPACKError)])
    func malformed(_ bytes: [UInt8], _ error: HPACKError) {
        var d = HPACKDecoder()
        #expect(decode(&d, bytes) == .failure(error))
    }

    @Test("an entry larger than the table empties it")
    func oversizedEntry() {
        var d = HPACKDecoder()
        _ = decode(&d, hex("4188 f1e3 c2e5 f23a 6b9f"))   // :authority, literal with indexing
        #expect(d.table.count == 1)
        var big: [UInt8] = [0x40, 0x01, 0x61, 0x7F, 0xA1, 0x1F]   // value length 127 + 4001 = 4128
        big += [UInt8](repeating: 0x62, count: 4128)
        #expect(decode(&d, big).map { $0.count } == .success(1))
        #expect(d.table.isEmpty && d.tableSize == 0)
    }

    @Test("Huffman round trip of every symbol's code length rebuilds a prefix code")
    func huffmanTable() {
        #expect(HPACKHuffman.codeLengths.count == 257)
        #expect(HPACKHuffman.codeLengths[256] == 30)
        // Kraft equality: a complete prefix code.
        let kraft = HPACKHuffman.codeLengths.reduce(0.0) { $0 + 1.0 / Double(1 << Int($1)) }
        #expect(abs(kraft - 1.0) < 1e-12)
    }

    @Test("random blocks never trap")
    func random() {
        var rng = SeededRandom(seed: 0x4850_4143)
        for _ in 0..<5000 {
            var d = HPACKDecoder()
            let n = Int.random(in: 0..<200, using: &rng)
            let bytes = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            _ = decode(&d, bytes)
            _ = decode(&d, bytes.reversed())
            #expect(d.tableSize <= HPACKDecoder.tableSizeLimit)
        }
    }
}
