import RampartKube
import RampartNode
import Testing

/// The opt-in rules and the cache they are answered from.
@Suite struct SteeringDecisionTests {
    let enabled = ["rampart.io/firewall": "enabled"]

    @Test func podAnnotationWinsOverNamespace() {
        #expect(SteeringPolicy.decide(pod: ["rampart.io/inspect": "bypass"], namespace: enabled).steer == false)
        #expect(SteeringPolicy.decide(pod: ["rampart.io/inspect": "bypass"], namespace: enabled).isBypass)
        #expect(SteeringPolicy.decide(pod: ["rampart.io/inspect": "secure"], namespace: [:]).steer)
        #expect(SteeringPolicy.decide(pod: ["rampart.io/inspect": "Secure "], namespace: nil).basis == .podAnnotation)
        #expect(SteeringPolicy.decide(pod: [:], namespace: enabled).steer)
        #expect(SteeringPolicy.decide(pod: [:], namespace: enabled).basis == .namespaceAnnotation)
        #expect(SteeringPolicy.decide(pod: [:], namespace: ["rampart.io/firewall": "disabled"]).steer == false)
        #expect(SteeringPolicy.decide(pod: [:], namespace: [:]).basis == .noAnnotation)
        let odd = SteeringPolicy.decide(pod: ["rampart.io/inspect": "maybe"], namespace: enabled)
        #expect(odd.steer && odd.basis == .namespaceAnnotation && odd.reason.contains("ignored"))
    }

    @Test func podMissingFromTheCacheIsDecidedByItsNamespace() {
        let decision = SteeringPolicy.decide(pod: nil, namespace: enabled)
        #expect(decision.steer)
        #expect(!decision.podCached)
        #expect(decision.reason.contains("not in the cache"))
        let unknown = SteeringPolicy.decide(pod: nil, namespace: nil)
        #expect(!unknown.steer && unknown.isFailOpen)
    }

    @Test func inventoryTracksAnnotations() {
        let inventory = NodeInventory()
        #expect(!inventory.isSynced)
        inventory.apply(.replaced([Namespace(metadata: ObjectMeta(name: "shop", annotations: enabled))]))
        inventory.apply(.replaced([Pod(metadata: ObjectMeta(name: "web-0", namespace: "shop"))]))
        #expect(inventory.isSynced)
        #expect(inventory.decide(namespace: "shop", pod: "web-0").steer)
        #expect(inventory.decide(namespace: "shop", pod: "web-0").podCached)
        #expect(!inventory.decide(namespace: "shop", pod: "new-pod").podCached)
        let changed = inventory.apply(.upserted(Pod(metadata: ObjectMeta(name: "web-0", namespace: "shop", annotations: ["rampart.io/inspect": "bypass"]))))
        #expect(changed == ["shop/web-0"])
        #expect(inventory.decide(namespace: "shop", pod: "web-0").isBypass)
        #expect(inventory.apply(.upserted(Namespace(metadata: ObjectMeta(name: "shop", annotations: enabled)))).isEmpty)
        #expect(inventory.apply(.deleted(Namespace(metadata: ObjectMeta(name: "shop")))) == ["shop"])
        #expect(!inventory.decide(namespace: "shop", pod: "other").steer)
    }
}
