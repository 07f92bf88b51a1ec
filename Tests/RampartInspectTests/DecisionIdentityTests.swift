import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

/// Issue 19: a flow record names the identity its verdict was made with. Records are written
/// when a session ends, often long after the decision; an address re-tagged in between (a
/// pod replaced, its address given to another) must not make the old session appear under
/// the new pod's name.
@Suite("Identity at the decision")
struct DecisionIdentityTests {
    typealias Harness = TableLimitTests.Harness

    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: t}
        spec:
          zones:
            - {name: shop, tags: "ns:shop"}
            - {name: servers, networks: [10.0.0.2/32]}
          rules:
            - {name: web-to-servers, from: [shop], to: [servers], services: [tcp/80], action: allow}
          defaults:
            intrazone: {action: allow}
            interzone: {action: deny}
        """

    static func tags(_ names: String...) -> [RampartPolicy.Tag] { tags(names) }
    static func tags(_ names: [String]) -> [RampartPolicy.Tag] { names.map { RampartPolicy.Tag(validating: $0)! } }
    static let client = IPAddress("10.0.0.1")!

    @Test("an address re-tagged after the decision: the record keeps the tags and zone decided on")
    func retaggedAfterDecision() throws {
        var h = try Harness(policy: Self.policy) { _ in }
        h.engine.policy.setTags(Self.tags("ns:shop", "pod:web-1"), for: Self.client)
        h.open("10.0.0.1", 40000, data: TableLimitTests.request)
        // The pod is gone and its address now belongs to another namespace's pod.
        h.engine.policy.setTags(Self.tags("ns:other", "pod:intruder"), for: Self.client)
        h.finish()
        let flow = try #require(h.flow("10.0.0.1", 40000))
        #expect(flow.rule == "web-to-servers")
        #expect(flow.sourceTags == ["ns:shop", "pod:web-1"])
        #expect(flow.sourceZone == "shop")
        #expect(flow.destinationZone == "servers")
        // A session decided after the change carries the new identity (and its verdict).
        var later = try Harness(policy: Self.policy) { _ in }
        later.engine.policy.setTags(Self.tags("ns:other", "pod:intruder"), for: Self.client)
        later.open("10.0.0.1", 40001, data: TableLimitTests.request)
        later.finish()
        let denied = try #require(later.flow("10.0.0.1", 40001))
        #expect(denied.sourceTags == ["ns:other", "pod:intruder"])
        #expect(denied.rule == "interzone-default")
    }

    @Test("held tag sets are let go when sessions end: churn does not grow the table")
    func heldSetsAreReleased() throws {
        var h = try Harness(policy: Self.policy) { _ in }
        let policy = h.engine.policy
        for i in 0 ..< 500 {
            policy.setTags(Self.tags("ns:shop", "pod:web-\(i)"), for: Self.client)
            h.open("10.0.0.1", UInt16(20000 + i), data: TableLimitTests.request)
        }
        // 500 sessions each hold the set they were decided with; the address holds the last.
        #expect(policy.heldTagSetCount == 500)
        h.finish()
        #expect(h.sink.flows.count == 500)
        #expect(h.flow("10.0.0.1", 20123)?.sourceTags == ["ns:shop", "pod:web-123"])
        #expect(policy.heldTagSetCount == 1)
        #expect(policy.tags(of: Self.client) == Self.tags("ns:shop", "pod:web-499"))
        policy.removeTags(for: Self.client)
        #expect(policy.heldTagSetCount == 0)
        // The 500 pod names were interned while sets held them, and are forgotten since.
        #expect(policy.internedTagCount == 0)
    }

    @Test("pod churn does not grow the tag names a matcher keeps; a forgotten tag's id is reused")
    func tagNamesAreForgotten() throws {
        var h = try Harness(policy: Self.policy) { _ in }
        let policy = h.engine.policy
        for i in 0 ..< 2000 {
            // A pod comes, opens a session that ends, and its address goes to the next pod.
            policy.setTags(Self.tags("ns:shop", "pod:web-\(i)", "image:web:\(i % 3)"), for: Self.client)
            h.open("10.0.0.1", UInt16(10000 + i % 50000), data: TableLimitTests.request)
            if i % 100 == 99 { h.finish() }
        }
        h.finish()
        // ns:shop, the last pod's name and its image (and at most the two other images, held
        // by nothing now): not 2,000 names.
        #expect(policy.internedTagCount <= 5, "\(policy.internedTagCount) tags interned")
        #expect(policy.tags(of: Self.client) == Self.tags("ns:shop", "pod:web-1999", "image:web:1"))
        #expect(h.sink.flows.count == 2000)
        #expect(h.flow("10.0.0.1", UInt16(10000 + 1234))?.sourceTags == ["ns:shop", "pod:web-1234", "image:web:1"])
    }

    @Test("a reload keeps the identity decided on; a rematching reload takes the new one")
    func reloadMovesTheIdentity() throws {
        for rematch in [false, true] {
            var h = try Harness(policy: Self.policy) { _ in }
            h.engine.policy.setTags(Self.tags("ns:shop", "pod:web-1"), for: Self.client)
            h.open("10.0.0.1", 40000, data: TableLimitTests.request)
            let reloaded = try PolicyMatcher(
                PolicyLoader.load(yaml: Self.policy, file: "t.yaml"),
                tags: [(Self.client, Self.tags("ns:shop", "pod:web-2"))])
            h.engine.replacePolicy(reloaded, rematch: rematch, sink: &h.sink)
            // The old matcher's sets are not needed any more; the new one holds the session's.
            h.finish()
            let flow = try #require(h.flow("10.0.0.1", 40000))
            #expect(flow.sourceTags == (rematch ? ["ns:shop", "pod:web-2"] : ["ns:shop", "pod:web-1"]), "rematch \(rematch)")
            #expect(reloaded.heldTagSetCount == 1, "rematch \(rematch)")
        }
    }
}
