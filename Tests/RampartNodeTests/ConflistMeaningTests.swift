import RampartNode
import Testing

/// Whether the chain's last entry already is ours is decided on the entries' meaning, as
/// comparing two parsed dictionaries did: member order and number spelling do not count.
@Suite struct ConflistMeaningTests {
    static let entry = PluginEntry(type: "rampart-cni", fields: [("vni", .integer(7)), ("agentSocket", .string("/run/rampart/node.sock"))])

    func conflist(last: String) -> [UInt8] {
        Array("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"plugins\":[{\"type\":\"ptp\"},\(last)]}\n".utf8)
    }

    @Test func sameEntryInAnotherSpellingIsLeftAlone() throws {
        let reordered = #"{"agentSocket": "/run/rampart/node.sock", "vni": 7.0, "type": "rampart-cni"}"#
        #expect(try ConflistEditor.inserting(Self.entry, into: conflist(last: reordered), path: "x") == nil)
        let escaped = #"{"type":"rampart-cni","vni":7,"agentSocket":"\/run\/rampart\/node.sock"}"#
        #expect(try ConflistEditor.inserting(Self.entry, into: conflist(last: escaped), path: "x") == nil)
    }

    @Test func anyDifferenceRewritesTheEntry() throws {
        for last in [
            #"{"type":"rampart-cni","vni":8,"agentSocket":"/run/rampart/node.sock"}"#,
            #"{"type":"rampart-cni","vni":"7","agentSocket":"/run/rampart/node.sock"}"#,
            #"{"type":"rampart-cni","vni":7}"#,
            #"{"type":"rampart-cni","vni":7,"agentSocket":"/run/rampart/node.sock","extra":null}"#,
        ] {
            let edited = try #require(try ConflistEditor.inserting(Self.entry, into: conflist(last: last), path: "x"), "\(last)")
            #expect(try ConflistEditor.pluginTypes(edited, path: "x") == ["ptp", "rampart-cni"])
            #expect(String(decoding: edited, as: UTF8.self).contains(Self.entry.json))
        }
    }

    @Test func entriesEscapeControlsAsBefore() {
        let entry = PluginEntry(type: "t", fields: [("k", .string("a\u{1}b\n\"\\"))])
        #expect(entry.json == #"{"type": "t", "k": "a\u0001b\n\"\\"}"#)
    }
}
