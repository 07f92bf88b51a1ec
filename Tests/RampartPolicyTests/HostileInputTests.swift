import Testing
import RampartWire
@testable import RampartPolicy
import RampartConfig
import RampartTestSupport

/// Inputs meant to break the loader. Each must end in a value or in errors, never a trap,
/// and quickly.
@Suite("Hostile input")
struct HostileInputTests {
    func survives(_ text: String) -> Bool {
        do { _ = try PolicyLoader.load(yaml: text, file: "h.yaml") } catch { #expect(!error.errors.isEmpty) }
        do { _ = try TagFile.load(yaml: text, file: "h.yaml") } catch { #expect(!error.errors.isEmpty) }
        return true
    }

    @Test func randomBytes() {
        var rng = SeededRandom(seed: 7)
        let alphabet = Array("abc:-[]{}&*!|>'\"#%@`,? \n\t0123456789.\\/=".utf8)
        for round in 0..<600 {
            let n = Int.random(in: 0..<400, using: &rng)
            var bytes: [UInt8] = []
            for _ in 0..<n {
                bytes.append(round % 2 == 0 ? UInt8.random(in: 0...255, using: &rng) : alphabet[Int.random(in: 0..<alphabet.count, using: &rng)])
            }
            #expect(survives(String(decoding: bytes, as: UTF8.self)))
        }
    }

    @Test func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(Fixture.errors(deep).first?.contains("nesting is deeper than 64") == true
                || Fixture.errors(deep).first?.contains("invalid YAML") == true)
        let blocks = (0..<200).map { String(repeating: "  ", count: $0) + "k\($0):" }.joined(separator: "\n")
        #expect(!Fixture.errors(blocks).isEmpty)
        let flowMaps = String(repeating: "{a: ", count: 5_000) + "1" + String(repeating: "}", count: 5_000)
        #expect(!Fixture.errors(flowMaps).isEmpty)
    }

    @Test func aliasBombIsRefused() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<30 { text += "a\(i): &a\(i) [" + Array(repeating: "*a\(i == 1 ? "" : String(i - 1))", count: 10).joined(separator: ", ") + "]\n" }
        let errors = Fixture.errors(text)
        #expect(errors == ["2:10: found the YAML alias '*a'; aliases are not allowed in policy files (write the value out)"])
        // An alias used as a mapping key (hashing it could explode elsewhere) is refused the same way.
        #expect(Fixture.errors("a: &x [1]\n? *x\n: 2\n").first?.contains("aliases are not allowed") == true)
        #expect(Fixture.errors("base: &b {action: allow}\nr: {<<: *b}\n").first?.contains("aliases are not allowed") == true)
    }

    @Test func hugeInputs() {
        let big = "description: '" + String(repeating: "x", count: 10_000_000) + "'\n"
        let bigErrors = Fixture.errors(big)
        #expect(!bigErrors.isEmpty && bigErrors.allSatisfy { $0.utf8.count < 400 })
        let tooBig = String(repeating: "#", count: (16 << 20) + 1)
        #expect(Fixture.errors(tooBig) == ["1:1: input is 16777217 bytes; the limit is 16777216 bytes (16 MiB)"])
        let longName = Fixture.policy("  rules:\n    - name: " + String(repeating: "r", count: 100_000) + "\n      action: allow\n")
        #expect(Fixture.errors(longName).first?.contains("names are at most 128 bytes") == true)
        let longKey = Fixture.policy("  " + String(repeating: "k", count: 1_000) + ": 1\n")
        #expect(Fixture.errors(longKey).count == 1)
    }

    @Test func manyErrorsAreCapped() {
        var spec = "  rules:\n"
        for i in 0..<2_000 { spec += "    - name: r\(i)\n      action: nope\n" }
        let errors = Fixture.errors(Fixture.policy(spec))
        #expect(errors.count == ErrorSink.maximumErrors + 1)
        #expect(errors.contains { $0.contains("too many errors") })
    }

    @Test func nulBytesAndOddScalars() {
        #expect(Fixture.errors("apiVersion: rampart.io/v1\nkind: Secu\0rityPolicy\n") == ["2:11: found a NUL byte; policy files are UTF-8 text"])
        #expect(!Fixture.errors(Fixture.policy("  rules:\n    - name: !!binary aGVsbG8=\n      action: !custom allow\n")).contains { $0.contains("found") && $0.isEmpty })
        #expect(!Fixture.errors("apiVersion: [1]\nkind: {a: b}\nspec: ~\n").isEmpty)
        #expect(!Fixture.errors(Fixture.policy("  rules:\n    - ~\n    - []\n    - name: ~\n      action: ~\n")).isEmpty)
    }

    @Test("mutated valid policies never trap", arguments: [21, 22, 23, 24] as [UInt64])
    func mutations(seed: UInt64) throws {
        var gen = RandomPolicy(rng: SeededRandom(seed: seed))
        let base = Array(gen.yaml(ruleCount: 15).utf8)
        let inserts = Array("\n-:[]{}'\"&*# !0and or not()/,.\t".utf8)
        var loaded = 0
        for _ in 0..<400 {
            var b = base
            for _ in 0..<Int.random(in: 1...6, using: &gen.rng) {
                guard !b.isEmpty else { break }
                let at = Int.random(in: 0..<b.count, using: &gen.rng)
                switch Int.random(in: 0..<4, using: &gen.rng) {
                case 0: b.remove(at: at)
                case 1: b.insert(inserts[Int.random(in: 0..<inserts.count, using: &gen.rng)], at: at)
                case 2: b[at] = UInt8.random(in: 0...255, using: &gen.rng)
                default:
                    let end = min(b.count, at + Int.random(in: 1...40, using: &gen.rng))
                    let chunk = Array(b[at..<end])
                    b.insert(contentsOf: chunk, at: Int.random(in: 0..<b.count, using: &gen.rng))
                }
            }
            let text = String(decoding: b, as: UTF8.self)
            if let doc = try? PolicyLoader.load(yaml: text, file: "m.yaml") {
                loaded += 1
                // Whatever loads must also compile and answer.
                let m = try PolicyMatcher(doc, tags: [])
                for _ in 0..<20 { _ = m.decide(gen.query()) }
            }
        }
        #expect(loaded > 0)
    }
}

@Suite("Compile limits")
struct CompileLimitTests {
    @Test func oversizedPoliciesAreRefusedNotCompiled() {
        var doc = PolicyDocument()
        doc.zones = [Zone(name: "unassigned", networks: [], tags: nil, vni: [])]
        func rule(_ i: Int, _ ranges: [AddressRange]) -> Rule {
            Rule(name: "r\(i)", description: "", disabled: false, fromZones: nil, toZones: nil,
                 source: AddressMatch(isAny: false, set: AddressSet(ranges: ranges), negate: false), destination: .any,
                 applications: nil, services: .any, action: .allow, log: LogSetting(), file: "big.yaml",
                 location: RampartConfig.SourceLocation(line: 1, column: 1))
        }
        // One rule cuts the space into ~8000 intervals; 20,000 rules each span all of them.
        doc.rules.append(rule(0, (0..<4000).map { k in
            let a = IPAddress(ipv4: 0x0A00_0000 + UInt32(k) * 4)
            return AddressRange(first: a, last: a)
        }))
        for i in 1..<20_000 { doc.rules.append(rule(i, [AddressRange.allIPv4])) }
        #expect(throws: PolicyErrors.self) { _ = try PolicyMatcher(doc, tags: []) }
        do {
            _ = try PolicyMatcher(doc, tags: [])
        } catch {
            #expect(error.errors.first?.message.hasPrefix("the policy is too large to compile") == true)
        }
    }
}
