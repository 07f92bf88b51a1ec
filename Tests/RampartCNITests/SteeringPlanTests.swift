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
            "6010: from all to 10.244.1.5/32 iif lo lookup 254",
            "6010: from 10.244.1.5/32 to 10.200.0.2/32 lookup 254",
            "6010: from 10.200.0.2/32 to 10.244.1.5/32 lookup 254",
            "6010: from 10.244.1.5/32 to 10.96.0.0/12 lookup 254",
            "6010: from 10.96.0.0/12 to 10.244.1.5/32 lookup 254",
            "6010: from all to fd00:244::5/128 iif lo lookup 254",
            "6010: from fd00:244::5/128 to fd00:96::/108 lookup 254",
            "6010: from fd00:96::/108 to fd00:244::5/128 lookup 254",
            "6020: from all iif veth1234 lookup 6080",
            "6020: from all iif veth1234 lookup 6080",
            "6030: from all to 10.244.1.5/32 lookup 6080",
            "6030: from all to fd00:244::5/128 lookup 6080",
        ])
        #expect(plan.rules[8].family == .ipv4 && plan.rules[9].family == .ipv6)
        // Every attachment rule sits in the range DEL and GC own.
        #expect(plan.rules.allSatisfy { RulePriority.attachmentRange(base: 6000).contains($0.priority ?? 0) })
    }

    @Test func bridgedPlanSelectsBySource() throws {
        let c = try Fixtures.parsedConfig(extra: #""exemptNodeTraffic":false,"rulePriority":100,"table":42"#)
        let plan = SteeringPlan(configuration: c, site: AttachmentSite(addresses: [v4], hostInterface: "veth1", bridge: "cni0"))
        #expect(plan.rules.map(\.description) == [
            "110: from 10.244.1.5/32 to 10.200.0.2/32 lookup 254",
            "110: from 10.200.0.2/32 to 10.244.1.5/32 lookup 254",
            "110: from 10.244.1.5/32 to 10.96.0.0/12 lookup 254",
            "110: from 10.96.0.0/12 to 10.244.1.5/32 lookup 254",
            "120: from 10.244.1.5/32 iif cni0 lookup 42",
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
        #expect(AttachmentRecord(json: try JSONValue.parse(#"{"containerID":"a"}"#)) == nil)
    }
}
