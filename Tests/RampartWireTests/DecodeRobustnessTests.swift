import Testing
@testable import RampartWire
import RampartTestSupport


@Suite struct DecodeRobustnessTests {
    static let links: [LinkType] = [.ethernet, .raw, .ipv4, .ipv6, .linuxCooked, .linuxCooked2]

    /// Decodes with and without checksum verification; offsets must stay inside the frame.
    func decodeEverywhere(_ bytes: [UInt8]) {
        for link in Self.links {
            for verify in [false, true] {
                let (event, p) = decodeFrame(bytes, link, verify: verify)
                if event == nil {
                    #expect(p.payloadOffset >= 0 && p.payloadLength >= 0)
                    #expect(p.payloadOffset + p.payloadLength <= bytes.count)
                    #expect(p.networkOffset + p.networkLength <= bytes.count)
                }
            }
        }
    }

    @Test func everyPrefixOfEveryValidFrame() {
        for frame in Frames.allValid {
            for length in 0...frame.bytes.count { decodeEverywhere(Array(frame.bytes.prefix(length))) }
        }
    }

    @Test func randomByteStrings() {
        var random = SeededRandom(seed: 0x5EED)
        for _ in 0..<3000 {
            let length = Int.random(in: 0...160, using: &random)
            decodeEverywhere((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
        }
    }

    @Test func mutatedValidFrames() {
        // Random bytes rarely get past the version checks; flipping bytes of real frames does.
        var random = SeededRandom(seed: 42)
        let valid = Frames.allValid
        for _ in 0..<3000 {
            var bytes = valid[Int.random(in: 0..<valid.count, using: &random)].bytes
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            }
            decodeEverywhere(Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random))))
        }
    }
}
