import Testing
import RampartPolicy
@testable import RampartInspect

@Suite("DNS tunnelling table")
struct DNSTunnelTableTests {
    static let setting: DNSTunnellingSetting = {
        var s = DNSTunnellingSetting(action: .block)
        s.queriesPerMinute = 600
        s.uniqueSubdomainsPerMinute = 120
        return s
    }()

    @Test func ordinaryLookupsPassAndEncodedOnesAreFlagged() {
        var table = DNSTunnelTable(capacity: 64)
        // The same few names, again and again: ordinary.
        for i in 0..<200 {
            let outcome = table.record(parent: 7, name: UInt64(i % 5), minute: 100, isTXTOrNULL: false, suspicious: false,
                                       setting: Self.setting)
            #expect(outcome == .ordinary)
        }
        // Five long, high-entropy names under one parent: a tunnel, held into the next minute.
        var last = DNSTunnelTable.Outcome.ordinary
        for i in 0..<5 {
            last = table.record(parent: 9, name: UInt64(1000 + i), minute: 100, isTXTOrNULL: true, suspicious: true,
                                setting: Self.setting)
        }
        #expect(last == .tunnelling)
        #expect(table.isFlagged(parent: 9, minute: 101))
        #expect(!table.isFlagged(parent: 9, minute: 103))
        #expect(!table.isFlagged(parent: 7, minute: 100))
    }

    @Test func uniqueNamesPerMinuteCross() {
        var table = DNSTunnelTable(capacity: 64)
        var outcome = DNSTunnelTable.Outcome.ordinary
        var n = 0
        while outcome == .ordinary && n < 1000 {
            outcome = table.record(parent: 3, name: withName("host\(n).example.com") { Engine.nameHash($0) }, minute: 5,
                                   isTXTOrNULL: false, suspicious: false, setting: Self.setting)
            n += 1
        }
        #expect(outcome == .tunnelling)
        // Linear counting over 512 bits: near the 120 threshold, not far past it.
        #expect(n > 100 && n < 170, "\(n)")
    }

    @Test func fillingTheTableRefusesNewParentsUntilOldOnesIdle() {
        var table = DNSTunnelTable(capacity: 16)
        var full = 0
        for parent in 1...200 {
            if table.record(parent: UInt64(parent) &* 0x9E37_79B9, name: 1, minute: 10, isTXTOrNULL: false,
                            suspicious: false, setting: Self.setting) == .full { full += 1 }
        }
        #expect(table.count == 16)
        #expect(full == 200 - 16)
        // Two minutes later the idle parents' slots are reused.
        #expect(table.record(parent: 0xABCDEF, name: 1, minute: 12, isTXTOrNULL: false, suspicious: false,
                             setting: Self.setting) == .ordinary)
    }

    @Test func entropyAndSuspicion() {
        #expect(withName("aaaa") { ByteEntropy.of($0, count: $0.count) } == 0)
        #expect(withName("abcd") { ByteEntropy.of($0, count: $0.count) } == 2)
        let s = Self.setting
        #expect(!withName("www") { DNSTunnelTable.isSuspicious(subdomain: $0, longestLabel: 3, setting: s) })
        #expect(withName("paaaaabqgy3tmnzqgmzdqnrxgeztonbzg4ytsmbvgyzdcmrwgq") {
            DNSTunnelTable.isSuspicious(subdomain: $0, longestLabel: 60, setting: s)
        })
        #expect(withName("k7d2m9xq4z1p8w3v") { DNSTunnelTable.isSuspicious(subdomain: $0, longestLabel: 16, setting: s) })
    }
}

func withName<R>(_ text: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
    var text = text
    return text.withUTF8 { body(UnsafeRawBufferPointer($0)) }
}

