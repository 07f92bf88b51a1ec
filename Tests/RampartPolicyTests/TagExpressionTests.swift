import Testing
@testable import RampartPolicy

@Suite("Tags and tag expressions")
struct TagExpressionTests {
    func tags(_ s: String...) -> [RampartPolicy.Tag] { s.map(Fixture.tag) }

    @Test func tagValidation() {
        for good in ["cluster:prod", "ns:payments", "label:app=web", "label:app.kubernetes.io/name=web", "node:worker-1",
                     "workload:deploy/web", "x:(odd)", "team.a_b-c:1"] {
            #expect(RampartPolicy.Tag(validating: good) != nil, "\(good)")
        }
        for bad in ["", "ns", ":x", "ns:", "NS:a", "ns:a b", "ns:'a'", "ns:\"a\"", "ns:é", String(repeating: "a", count: 600) + ":x"] {
            #expect(RampartPolicy.Tag(validating: bad) == nil, "\(bad)")
        }
        #expect(Fixture.tag("label:app.kubernetes.io/name=web").singleValuedKey == "label:app.kubernetes.io/name")
        #expect(Fixture.tag("ns:a").singleValuedKey == "ns")
        #expect(Fixture.tag("team:x").singleValuedKey == nil)
        #expect(Fixture.tag("label:flag").singleValuedKey == nil)
    }

    @Test func precedenceNotAndOr() throws {
        // a or b and not c  ==  a or (b and (not c))
        let e = try TagExpression.parse("ns:a or ns:b and not team:c")
        #expect(e == .or(.tag(Fixture.tag("ns:a")), .and(.tag(Fixture.tag("ns:b")), .not(.tag(Fixture.tag("team:c"))))))
        #expect(e.matches(tags("ns:a", "team:c")))
        #expect(e.matches(tags("ns:b")))
        #expect(!e.matches(tags("ns:b", "team:c")))
        let p = try TagExpression.parse("(ns:a or ns:b) and not team:c")
        #expect(!p.matches(tags("ns:a", "team:c")))
        #expect(p.description == "(ns:a or ns:b) and not team:c")
        let left = try TagExpression.parse("team:a and team:b and team:c")
        #expect(left == .and(.and(.tag(Fixture.tag("team:a")), .tag(Fixture.tag("team:b"))), .tag(Fixture.tag("team:c"))))
        #expect(try TagExpression.parse("not not ns:a").matches(tags("ns:a")))
    }

    @Test func quotingAndWhitespace() throws {
        let e = try TagExpression.parse("'x:(odd)' and\t( label:app=web )")
        #expect(e.matches(tags("x:(odd)", "label:app=web")))
        #expect(e.description == "'x:(odd)' and label:app=web")
        #expect(try TagExpression.parse("  ns:a  ") == .tag(Fixture.tag("ns:a")))
        // Keywords are whole words: "notx:1" is a tag, "android:1" too.
        #expect(try TagExpression.parse("notx:1 and android:1").atoms.count == 2)
    }

    @Test("parse errors with offsets", arguments: [
        ("", 0, "expected a tag, 'not' or '(', found the end of the expression"),
        ("ns:a and", 8, "expected a tag, 'not' or '(', found the end of the expression"),
        ("ns:a )", 5, "unbalanced ')' in tag expression"),
        ("(ns:a", 0, "'(' is never closed"),
        ("ns:a ns:b", 5, "expected 'and', 'or' or the end of the expression, found 'ns:b'"),
        ("and ns:a", 0, "expected a tag, 'not' or '(', found 'and'"),
        ("ns:a and 'ns:b", 9, "quote is never closed"),
        ("ns:a or Bad", 8, "'Bad' is not a tag: a tag is PREFIX:VALUE (like ns:payments or label:app=web) or a dotted name (like k8s.cl_prod.ns_shop)"),
        ("()", 1, "expected a tag, 'not' or '(', found ')'"),
    ] as [(String, Int, String)])
    func parseErrors(text: String, offset: Int, message: String) {
        do {
            _ = try TagExpression.parse(text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.offset == offset)
            #expect(error.message == message)
        }
    }

    @Test func deepAndLongExpressionsAreRefused() {
        let deep = String(repeating: "(", count: 10_000) + "ns:a" + String(repeating: ")", count: 10_000)
        #expect(throws: TagExpression.ParseError.self) { try TagExpression.parse(deep) }
        let nots = String(repeating: "not ", count: 2_000) + "ns:a"
        #expect(throws: TagExpression.ParseError.self) { try TagExpression.parse(nots) }
        let long = Array(repeating: "team:x", count: 5_000).joined(separator: " or ")
        #expect(throws: TagExpression.ParseError.self) { try TagExpression.parse(long) }
    }

    @Test("satisfiability", arguments: [
        ("ns:a", true), ("ns:a and not ns:a", false), ("ns:a and ns:b", false), ("ns:a or ns:b", true),
        ("cluster:p and cluster:q", false), ("node:1 and node:2", false), ("workload:a and workload:b", false),
        ("serviceaccount:a and serviceaccount:b", false), ("label:app=a and label:app=b", false),
        ("label:app=a and label:tier=b", true), ("team:a and team:b", true), ("(ns:a or ns:b) and ns:c", false),
        ("(ns:a or ns:b) and not ns:a", true), ("not ns:a and not ns:b", true), ("label:x and label:y", true),
        ("ns:a and (not ns:a or ns:b)", false),
    ] as [(String, Bool)])
    func satisfiability(text: String, satisfiable: Bool) throws {
        #expect(try TagExpression.parse(text).isSatisfiable == satisfiable)
    }

    @Test func largeExpressionsSkipTheSatisfiabilityCheck() throws {
        // 17 distinct atoms: not checked (assumed satisfiable) even though it never matches.
        let atoms = (0..<17).map { "team:t\($0)" }.joined(separator: " and ")
        #expect(try TagExpression.parse(atoms + " and ns:a and ns:b").isSatisfiable)
    }
}
