import Testing
@testable import RampartInspect

@Suite("App-ID SHA-256")
struct AppIDSHA256Tests {
    @Test("FIPS 180-2 test vectors")
    func vectors() {
        #expect(SHA256.hash(Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash([UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)).hex
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // One million 'a', fed in uneven pieces to exercise the block buffer.
        var hash = SHA256()
        let piece = [UInt8](repeating: 0x61, count: 997)
        var fed = 0
        while fed < 1_000_000 {
            let n = min(piece.count, 1_000_000 - fed)
            hash.update(Array(piece.prefix(n)))
            fed += n
        }
        #expect(hash.finish().hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("lengths around the padding boundary agree with one-shot and piecewise hashing")
    func boundaries() {
        for length in [55, 56, 57, 63, 64, 65, 119, 120, 128] {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7) }
            var h = SHA256()
            for b in bytes { h.update([b]) }
            #expect(h.finish() == SHA256.hash(bytes))
        }
        // 896-bit FIPS 180-2 vector.
        let long = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
        #expect(SHA256.hash(Array(long.utf8)).hex == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
    }

    @Test("JA4 spec's own list hashes")
    func ja4SpecHashes() {
        let ciphers = "002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9"
        #expect(SHA256.hash(Array(ciphers.utf8)).hexPrefix(12) == "8daaf6152771")
        let extensions = "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01"
        #expect(SHA256.hash(Array((extensions + "_0403,0804,0401,0503,0805,0501,0806,0601").utf8)).hex
                == "e5627efa2ab19723084c1033a96c694a45826ab5a460d2d3fd5ffcfe97161c95")
        #expect(SHA256.hash(Array(extensions.utf8)).hexPrefix(12) == "6d807ffa2a79")
    }
}
