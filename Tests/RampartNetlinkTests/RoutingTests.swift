import Foundation
import Testing
import RampartNetlink

/// A namespace with veth pair `va`/`vb`, both up, without IPv6 link-local addresses (so
/// the tables change only when a test changes them).
private func withRoutedNamespace(_ body: (TestNamespace, NetlinkSocket, Int32) throws -> Void) throws {
    try withNamespaces(1) { ns in
        let host = ns[0]
        // lo up creates the local table, which an onlink gateway check consults.
        try host.run("ip link set lo up")
        try host.run("ip link add va type veth peer name vb")
        try host.run("ip link set va addrgenmode none")
        try host.run("ip link set vb addrgenmode none")
        try host.run("ip link set va up")
        try host.run("ip link set vb up")
        let socket = try host.openSocket()
        try body(host, socket, try socket.link("va").index)
    }
}

@Suite(.serialized, .enabled(if: isRoot, "creates network namespaces"))
struct AddressTests {
    @Test func addListDeleteIPv4AndIPv6() throws {
        try withRoutedNamespace { host, socket, va in
            try socket.addAddress(NetlinkPrefix("10.0.0.2/24")!, to: "va")
            try socket.addAddress(NetlinkPrefix("fd00::2/64")!, to: .index(va))
            try socket.addAddress(NetlinkPrefix("169.254.0.9/16")!, to: "va", scope: .link)

            let info = try #require(try host.ipJSON("addr show dev va").first?["addr_info"] as? [[String: Any]])
            let seen = Set(info.map { "\($0["local"] as? String ?? "")/\($0["prefixlen"] as? Int ?? -1) \($0["scope"] as? String ?? "")" })
            #expect(seen == ["10.0.0.2/24 global", "fd00::2/64 global", "169.254.0.9/16 link"])

            let listed = try socket.addresses(link: "va")
            #expect(Set(listed.map { "\($0.prefix.address)/\($0.prefix.length) \($0.scope)" }) == seen)
            #expect(try socket.addresses(family: .ipv6, link: "va").map(\.prefix) == [NetlinkPrefix("fd00::2/64")!])

            let duplicate = #expect(throws: NetlinkError.self) { try socket.addAddress(NetlinkPrefix("10.0.0.2/24")!, to: "va") }
            #expect(duplicate?.isAlreadyExists == true)

            try socket.deleteAddress(NetlinkPrefix("10.0.0.2/24")!, from: "va")
            try socket.deleteAddress(NetlinkPrefix("fd00::2/64")!, from: "va")
            let remaining = try #require(try host.ipJSON("addr show dev va").first?["addr_info"] as? [[String: Any]])
            #expect(remaining.map { $0["local"] as? String } == ["169.254.0.9"])
            let missing = #expect(throws: NetlinkError.self) { try socket.deleteAddress(NetlinkPrefix("fd00::2/64")!, from: "va") }
            #expect(missing?.isNotFound == true)
        }
    }
}

@Suite(.serialized, .enabled(if: isRoot, "creates network namespaces"))
struct RouteTests {
    @Test func customTableRoutesAndExactRestore() throws {
        try withRoutedNamespace { host, socket, va in
            let before = try host.run("ip -j route show table all") + host.run("ip -6 -j route show table all")

            let routes = [
                Route(destination: NetlinkPrefix("10.1.0.0/16")!, outputInterface: va, table: 100),
                Route(destination: .defaultRoute(.ipv4), outputInterface: va, table: 100),
                Route(destination: NetlinkPrefix("10.2.0.0/16")!, gateway: NetlinkAddress("169.254.1.1"),
                      outputInterface: va, table: 100, priority: 10, onLink: true),
                Route(destination: NetlinkPrefix("fd00:1::/64")!, outputInterface: va, table: 100),
                Route(destination: .defaultRoute(.ipv6), outputInterface: va, table: 100),
                Route(destination: NetlinkPrefix("fd00:2::/64")!, gateway: NetlinkAddress("fe80::1"),
                      outputInterface: va, table: 1000, priority: 20),
            ]
            for route in routes { try socket.addRoute(route) }

            let v4 = try host.ipJSON("route show table 100")
            #expect(Set(v4.map { $0["dst"] as? String ?? "" }) == ["default", "10.1.0.0/16", "10.2.0.0/16"])
            let viaGateway = try #require(v4.first { $0["dst"] as? String == "10.2.0.0/16" })
            #expect(viaGateway["gateway"] as? String == "169.254.1.1")
            #expect(viaGateway["metric"] as? Int == 10)
            #expect((viaGateway["flags"] as? [String])?.contains("onlink") == true)
            let defaultRoute = try #require(v4.first { $0["dst"] as? String == "default" })
            #expect(defaultRoute["dev"] as? String == "va")
            #expect(defaultRoute["scope"] as? String == "link")
            let v6 = try host.ipJSON("-6 route show table 100")
            #expect(Set(v6.map { $0["dst"] as? String ?? "" }) == ["default", "fd00:1::/64"])
            let v6Gateway = try #require(try host.ipJSON("-6 route show table 1000").first)
            #expect(v6Gateway["gateway"] as? String == "fe80::1")
            #expect(v6Gateway["metric"] as? Int == 20)

            let listed = try socket.routes(family: .ipv4, table: 100)
            #expect(Set(listed.map(\.destination.description)) == ["default", "10.1.0.0/16", "10.2.0.0/16"])
            #expect(listed.first { $0.gateway != nil }?.onLink == true)
            #expect(try socket.routes(family: .ipv6, table: 1000).first?.table == 1000)

            let duplicate = #expect(throws: NetlinkError.self) { try socket.addRoute(routes[0]) }
            #expect(duplicate?.isAlreadyExists == true)
            #expect(duplicate?.description == "adding route 10.1.0.0/16 dev #\(va) table 100: File exists (EEXIST)")

            var replaced = routes[0]
            replaced.protocol = .static
            try socket.replaceRoute(replaced)
            let afterReplace = try #require(try host.ipJSON("route show table 100 10.1.0.0/16").first)
            #expect(afterReplace["protocol"] as? String == "static")

            for route in routes { try socket.deleteRoute(route) }
            let after = try host.run("ip -j route show table all") + host.run("ip -6 -j route show table all")
            #expect(after == before)

            let missing = #expect(throws: NetlinkError.self) { try socket.deleteRoute(routes[0]) }
            #expect(missing?.isNotFound == true)
        }
    }
}

extension RouteTests {
    /// A dump larger than one datagram arrives in several NLM_F_MULTI parts.
    @Test func largeDumpSpansSeveralDatagrams() throws {
        try withRoutedNamespace { host, socket, va in
            for i in 0..<1500 {
                let prefix = NetlinkPrefix("10.\(100 + i / 256).\(i % 256).0/24")!
                try socket.addRoute(Route(destination: prefix, outputInterface: va, table: 300, priority: UInt32(i + 1)))
            }
            let listed = try socket.routes(family: .ipv4, table: 300)
            #expect(listed.count == 1500)
            #expect(Set(listed.compactMap(\.priority)).count == 1500)
            #expect(try host.run("ip route show table 300 | wc -l").trimmingCharacters(in: .whitespacesAndNewlines) == "1500")
        }
    }
}

@Suite(.serialized, .enabled(if: isRoot, "creates network namespaces"))
struct RuleTests {
    @Test func rulesForBothFamiliesAndExactRestore() throws {
        try withRoutedNamespace { host, socket, _ in
            let before = try host.run("ip -j rule") + host.run("ip -6 -j rule")
            let rules = [
                Rule(family: .ipv4, priority: 100, source: NetlinkPrefix("10.1.2.3/32"), table: 100),
                Rule(family: .ipv4, priority: 101, destination: NetlinkPrefix("10.9.0.0/16"), table: 100),
                Rule(family: .ipv4, priority: 102, inputInterface: "va", table: 200),
                Rule(family: .ipv4, priority: 103, outputInterface: "vb", fwmark: 0x10, fwmask: 0xF0, table: 201),
                Rule(family: .ipv6, priority: 100, source: NetlinkPrefix("fd00:1::/64"), table: 100),
                Rule(family: .ipv6, priority: 101, destination: NetlinkPrefix("fd00:9::/64"), inputInterface: "va", table: 1000),
            ]
            for rule in rules { try socket.addRule(rule) }

            let v4 = try host.ipJSON("rule")
            let r100 = try #require(v4.first { $0["priority"] as? Int == 100 })
            #expect(r100["src"] as? String == "10.1.2.3")
            #expect(r100["table"] as? String == "100")
            let r101 = try #require(v4.first { $0["priority"] as? Int == 101 })
            #expect(r101["dst"] as? String == "10.9.0.0")
            #expect(r101["dstlen"] as? Int == 16)
            let r102 = try #require(v4.first { $0["priority"] as? Int == 102 })
            #expect(r102["iif"] as? String == "va")
            #expect(r102["table"] as? String == "200")
            let r103 = try #require(v4.first { $0["priority"] as? Int == 103 })
            #expect(r103["oif"] as? String == "vb")
            #expect(r103["fwmark"] as? String == "0x10")
            let v6 = try host.ipJSON("-6 rule")
            let s100 = try #require(v6.first { $0["priority"] as? Int == 100 })
            #expect(s100["src"] as? String == "fd00:1::")
            #expect(s100["srclen"] as? Int == 64)
            let s101 = try #require(v6.first { $0["priority"] as? Int == 101 })
            #expect(s101["iif"] as? String == "va")
            #expect(s101["table"] as? String == "1000")

            let listed = try socket.rules(family: .ipv4).filter { ($0.priority ?? 0) >= 100 && ($0.priority ?? 0) < 200 }
            #expect(listed == Array(rules[0..<4]))
            #expect(try socket.rules(family: .ipv6).filter { $0.table == 100 || $0.table == 1000 } == Array(rules[4...]))

            let duplicate = #expect(throws: NetlinkError.self) { try socket.addRule(rules[0]) }
            #expect(duplicate?.isAlreadyExists == true)

            for rule in rules { try socket.deleteRule(rule) }
            #expect(try host.run("ip -j rule") + host.run("ip -6 -j rule") == before)
            let missing = #expect(throws: NetlinkError.self) { try socket.deleteRule(rules[5]) }
            #expect(missing?.isNotFound == true)
        }
    }

    /// Verdict rules (`prohibit`, `blackhole`, `unreachable`) in both families: written as
    /// `ip rule add prohibit` writes them (no table), read back, told apart from a lookup
    /// rule with the same selectors, and removed exactly.
    @Test func verdictRulesBothFamilies() throws {
        try withRoutedNamespace { host, socket, _ in
            let before = try host.run("ip -j rule") + host.run("ip -6 -j rule")
            let lookup = Rule(family: .ipv4, priority: 200, inputInterface: "va", table: 300)
            let rules = [
                Rule.verdict(.prohibit, family: .ipv4, priority: 200, inputInterface: "va"),
                Rule.verdict(.blackhole, family: .ipv4, priority: 201, source: NetlinkPrefix("10.1.2.3/32"), inputInterface: "va"),
                Rule.verdict(.unreachable, family: .ipv4, priority: 202, destination: NetlinkPrefix("10.9.0.0/16")),
                Rule.verdict(.prohibit, family: .ipv6, priority: 200, destination: NetlinkPrefix("fd00:9::1/128"), inputInterface: "va"),
            ]
            try socket.addRule(lookup)
            for rule in rules { try socket.addRule(rule) }
            #expect(rules.map(\.description) == [
                "200: from all iif va prohibit", "201: from 10.1.2.3/32 iif va blackhole",
                "202: from all to 10.9.0.0/16 unreachable", "200: from all to fd00:9::1/128 iif va prohibit",
            ])

            let v4 = try host.ipJSON("rule").filter { ($0["priority"] as? Int ?? 0) >= 200 && ($0["priority"] as? Int ?? 0) < 300 }
            #expect(v4.map { $0["action"] as? String ?? "lookup \($0["table"] as? String ?? "")" } == ["lookup 300", "prohibit", "blackhole", "unreachable"])
            let v6 = try #require(try host.ipJSON("-6 rule").first { $0["priority"] as? Int == 200 })
            #expect(v6["action"] as? String == "prohibit" && v6["dst"] as? String == "fd00:9::1")

            let listed = try socket.rules(family: .ipv4).filter { ($0.priority ?? 0) >= 200 && ($0.priority ?? 0) < 300 }
            #expect(listed == [lookup] + Array(rules[0..<3]))
            #expect(try socket.rules(family: .ipv6).filter { $0.priority == 200 } == [rules[3]])
            let duplicate = #expect(throws: NetlinkError.self) { try socket.addRule(rules[0]) }
            #expect(duplicate?.isAlreadyExists == true)

            // The action is part of what a deletion matches: the prohibit goes, the lookup stays.
            try socket.deleteRule(rules[0])
            #expect(try socket.rules(family: .ipv4).filter { $0.priority == 200 } == [lookup])
            for rule in rules.dropFirst() { try socket.deleteRule(rule) }
            try socket.deleteRule(lookup)
            #expect(try host.run("ip -j rule") + host.run("ip -6 -j rule") == before)
        }
    }
}

@Suite(.serialized, .enabled(if: isRoot, "creates network namespaces"))
struct NeighbourTests {
    @Test func permanentNeighboursBothFamilies() throws {
        try withRoutedNamespace { host, socket, va in
            let mac = MACAddress("ee:ee:ee:ee:ee:ee")!
            try socket.addNeighbour(Neighbour(linkIndex: va, address: NetlinkAddress("169.254.1.1"), macAddress: mac))
            try socket.addNeighbour(Neighbour(linkIndex: va, address: NetlinkAddress("fe80::1"), macAddress: mac))
            let duplicate = #expect(throws: NetlinkError.self) {
                try socket.addNeighbour(Neighbour(linkIndex: va, address: NetlinkAddress("169.254.1.1"), macAddress: mac))
            }
            #expect(duplicate?.isAlreadyExists == true)
            let other = MACAddress("02:00:00:00:00:02")!
            try socket.replaceNeighbour(Neighbour(linkIndex: va, address: NetlinkAddress("169.254.1.1"), macAddress: other))

            let json = try host.ipJSON("neigh show dev va")
            let v4 = try #require(json.first { $0["dst"] as? String == "169.254.1.1" })
            #expect(v4["lladdr"] as? String == "02:00:00:00:00:02")
            #expect((v4["state"] as? [String]) == ["PERMANENT"])
            #expect(json.first { $0["dst"] as? String == "fe80::1" }?["lladdr"] as? String == "ee:ee:ee:ee:ee:ee")
            let listed = try socket.neighbours(family: .ipv4, link: "va")
            #expect(listed.map(\.macAddress) == [other])
            #expect(listed.first?.isPermanent == true)

            try socket.deleteNeighbour(Neighbour(linkIndex: va, address: NetlinkAddress("169.254.1.1"), macAddress: nil))
            try socket.deleteNeighbour(Neighbour(linkIndex: va, address: NetlinkAddress("fe80::1"), macAddress: nil))
            #expect(try host.ipJSON("neigh show dev va").isEmpty)
            let missing = #expect(throws: NetlinkError.self) {
                try socket.deleteNeighbour(Neighbour(linkIndex: va, address: NetlinkAddress("fe80::1"), macAddress: nil))
            }
            #expect(missing?.isNotFound == true)
        }
    }
}
