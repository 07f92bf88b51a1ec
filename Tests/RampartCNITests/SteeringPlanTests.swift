import RampartNetlink
import Testing
@testable import RampartCNI

@Suite struct SteeringPlanTests {
    let v4 = NetlinkAddress("10.244.1.5")!
    let v6 = NetlinkAddress("fd00:244::5")!

    @Test func routedDualStackPlan() throws {
        let c = try Fixtures.parsedConfig()
        let plan = SteeringPlan(configuration: c, site: AttachmentSite(addresses: [v4, v6], hostInterface: "veth1234"))
        #expect(plan.tunnelReturnRules.map(\.description) == ["6001: from all iif rampart0 lookup 254", "6001: from all iif rampart0 lookup 254"])
        #expect(plan.tunnelReturnRules.map(\.family) == [.ipv4, .ipv6])
        #expect(plan.tableRoutes.map(\.description) == [
            "default via 169.254.77.1 dev <tunnel> onlink table 6080", "default via fe80::77:1 dev <tunnel> onlink table 6080",
        ])
        #expect(plan.rules.map(\.description) == [
            // What the pod sends is decided first: never the firewall, its own sources only.
            "6002: from all to 10.200.0.2/32 iif veth1234 prohibit",
            "6003: from 10.244.1.5/32 to 10.96.0.0/12 iif veth1234 lookup 254",
            "6003: from fd00:244::5/128 to fd00:96::/108 iif veth1234 lookup 254",
            "6004: from 10.244.1.5/32 iif veth1234 lookup 6080",
            "6004: from fd00:244::5/128 iif veth1234 lookup 6080",
            "6005: from all iif veth1234 prohibit",
            "6005: from all iif veth1234 prohibit",
            // Toward the pod.
            "6010: from all to 10.244.1.5/32 iif lo lookup 254",
            "6010: from 10.200.0.2/32 to 10.244.1.5/32 lookup 254",
            "6010: from 10.96.0.0/12 to 10.244.1.5/32 lookup 254",
            "6010: from all to fd00:244::5/128 iif lo lookup 254",
            "6010: from fd00:96::/108 to fd00:244::5/128 lookup 254",
            "6030: from all to 10.244.1.5/32 lookup 6080",
            "6030: from all to fd00:244::5/128 lookup 6080",
        ])
        #expect(plan.rules[5].family == .ipv4 && plan.rules[6].family == .ipv6)
        #expect(plan.rules.filter { $0.action == .prohibit }.allSatisfy { $0.table == 0 && $0.inputInterface == "veth1234" })
        // Every attachment rule sits in the range DEL and GC own.
        #expect(plan.rules.allSatisfy { RulePriority.attachmentRange(base: 6000).contains($0.priority ?? 0) })
    }

    @Test func bridgedPlanSelectsBySource() throws {
        let c = try Fixtures.parsedConfig(extra: #""exemptNodeTraffic":false,"rulePriority":100,"table":42"#)
        let plan = SteeringPlan(configuration: c, site: AttachmentSite(addresses: [v4], hostInterface: "veth1", bridge: "cni0"))
        // The bridge is every pod's input interface: the guard selects the pod's source, and
        // there is no anti-spoofing rule (a bridge is shared; docs/cni.md).
        #expect(plan.rules.map(\.description) == [
            "102: from 10.244.1.5/32 to 10.200.0.2/32 iif cni0 prohibit",
            "103: from 10.244.1.5/32 to 10.96.0.0/12 iif cni0 lookup 254",
            "104: from 10.244.1.5/32 iif cni0 lookup 42",
            "110: from 10.200.0.2/32 to 10.244.1.5/32 lookup 254",
            "110: from 10.96.0.0/12 to 10.244.1.5/32 lookup 254",
            "130: from all to 10.244.1.5/32 lookup 42",
        ])
        #expect(plan.tableRoutes.count == 1)
    }

    @Test func recordRoundTrip() throws {
        let c = try Fixtures.parsedConfig()
        let plan = SteeringPlan(configuration: c, site: AttachmentSite(addresses: [v4, v6], hostInterface: "veth1234"))
        let record = AttachmentRecord(key: AttachmentKey(containerID: "abc", interfaceName: "eth0"), namespace: "shop", pod: "web",
                                      steered: true, hostInterface: "veth1234", addresses: ["10.244.1.5", "fd00:244::5"], rules: plan.rules)
        let back = AttachmentRecord(json: try JSONValue.parse(record.json.serialized()))
        #expect(back == record)
        #expect(back?.rules.contains { $0.action == .prohibit } == true)
        #expect(AttachmentRecord(json: try JSONValue.parse(#"{"containerID":"a"}"#)) == nil)
        // Records written before the guards (no "action") read as lookups; an unknown action is refused.
        let old = #"{"containerID":"a","ifname":"eth0","steered":true,"rules":[{"family":"inet","priority":6020,"iif":"v1","table":6080}]}"#
        #expect(AttachmentRecord(json: try JSONValue.parse(old))?.rules.first?.action == .lookup)
        let odd = #"{"containerID":"a","ifname":"eth0","steered":true,"rules":[{"family":"inet","priority":6005,"action":"goto","table":0}]}"#
        #expect(AttachmentRecord(json: try JSONValue.parse(odd)) == nil)
    }
}
