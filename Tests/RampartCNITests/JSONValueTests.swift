import Testing
import RampartTestSupport
@testable import RampartCNI

@Suite struct JSONValueTests {
    @Test func roundTripKeepsOrderAndNumberText() throws {
        let text = #"{"b":1,"a":[true,false,null,1.50,-2e3],"s":"x\"\\\n\u00e9"}"#
        let value = try JSONValue.parse(text)
        #expect(value.serialized() == #"{"b":1,"a":[true,false,null,1.50,-2e3],"s":"x\"\\\n"# + "\u{e9}\"}")
        #expect(value["b"]?.intValue == 1)
        #expect(value["a"]?.arrayValue?.count == 5)
    }

    @Test func surrogatePairs() throws {
        #expect(try JSONValue.parse(#""\ud83d\ude00""#).stringValue == "😀")
    }

    @Test(arguments: [
        ("", "line 1, column 1"), ("{", "line 1, column 2"), ("{\"a\" 1}", "expected ':'"),
        ("[1,]", "expected a value"), ("{\"a\":1}x", "unexpected text"), ("\"abc", "unterminated"),
        ("\n  tru", "line 2, column 3"), ("01", "must not start with 0"), ("-", "expected digits"),
        ("\"\\x\"", "unknown escape"), ("\"\\u12\"", "four hex digits"),
    ])
    func rejectsWithPosition(input: String, fragment: String) {
        do {
            _ = try JSONValue.parse(input)
            Issue.record("accepted \(input)")
        } catch {
            #expect(error.description.contains(fragment), "\(error)")
        }
    }

    @Test func deepNestingIsRefusedNotCrashed() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(deep) }
    }

    @Test func garbageNeverTraps() {
        var generator = SeededRandom(seed: 0x150_4E)   // a failure replays from this seed
        let alphabet = Array(#"{}[]":,0123456789.-eE+tfnul\ abc"#.utf8)
        for _ in 0..<2000 {
            let length = Int.random(in: 0..<40, using: &generator)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &generator)! }
            _ = try? JSONValue.parse(bytes)
        }
    }
}
