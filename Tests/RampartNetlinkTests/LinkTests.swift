import Foundation
import Testing
import RampartNetlink

@Suite(.serialized, .enabled(if: isRoot, "creates network namespaces"))
struct LinkTests {
    @Test func vethPeerIsCreatedInSecondNamespace() throws {
        try withNamespaces(2) { ns in
            let (host, pod) = (ns[0], ns[1])
            let socket = try host.openSocket()
            try socket.addVeth(name: "rmp-h", peerName: "eth0", peerNamespace: NetworkNamespace(path: pod.path), mtu: 1400)

            let hostLink = try #require(try host.ipJSON("-d link show rmp-h").first)
            #expect((hostLink["linkinfo"] as? [String: Any])?["info_kind"] as? String == "veth")
            #expect(hostLink["mtu"] as? Int == 1400)
            let podLink = try #require(try pod.ipJSON("-d link show eth0").first)
            #expect((podLink["linkinfo"] as? [String: Any])?["info_kind"] as? String == "veth")
            #expect(try host.ipJSON("link show").contains { $0["ifname"] as? String == "eth0" } == false)

            let link = try socket.link("rmp-h")
            #expect(link.kind == "veth")
            #expect(link.mtu == 1400)
            #expect(link.linkNetnsID != nil)
            #expect(link.index == hostLink["ifindex"] as? Int32 ?? Int32(hostLink["ifindex"] as? Int ?? -1))
            #expect(try socket.link(.index(link.index)).name == "rmp-h")
            #expect(try socket.links().map(\.name).sorted() == ["lo", "rmp-h"])

            // Deleting one end removes the peer in the other namespace too.
            try socket.deleteLink("rmp-h")
            #expect(try pod.ipJSON("link show").map { $0["ifname"] as? String } == ["lo"])
        }
    }

    @Test func linkAttributesChangeAndMove() throws {
        try withNamespaces(2) { ns in
            let socket = try ns[0].openSocket()
            try socket.addVeth(name: "va", peerName: "vb")
            try socket.setMTU("va", 1450)
            try socket.setMACAddress("va", MACAddress("02:00:00:00:aa:01")!)
            try socket.setLinkUp("va")
            var json = try #require(try ns[0].ipJSON("link show va").first)
            #expect(json["mtu"] as? Int == 1450)
            #expect(json["address"] as? String == "02:00:00:00:aa:01")
            #expect((json["flags"] as? [String])?.contains("UP") == true)
            let link = try socket.link("va")
            #expect(link.isUp && link.mtu == 1450 && link.macAddress == MACAddress("02:00:00:00:aa:01"))

            try socket.setLinkDown("va")
            try socket.renameLink("va", to: "vrenamed")
            json = try #require(try ns[0].ipJSON("link show vrenamed").first)
            #expect((json["flags"] as? [String])?.contains("UP") == false)

            try socket.moveLink("vb", to: NetworkNamespace(path: ns[1].path))
            #expect(try ns[1].ipJSON("link show").contains { $0["ifname"] as? String == "vb" })
            #expect(try socket.links().map(\.name).sorted() == ["lo", "vrenamed"])
        }
    }

    @Test func vxlanWithRemoteAndFDBEntries() throws {
        try withNamespaces(1) { ns in
            let host = ns[0]
            try host.run("ip link add under0 type veth peer name under1")
            try host.run("ip addr add 192.0.2.1/24 dev under0")
            try host.run("ip link set under0 up")
            let socket = try host.openSocket()
            let under = try socket.link("under0")
            try socket.addVXLAN(VXLANConfiguration(
                name: "vx0", vni: 4242, port: 4789, remote: NetlinkAddress("192.0.2.10"),
                local: NetlinkAddress("192.0.2.1"), underlyingIndex: under.index, learning: false, ttl: 64))

            let json = try #require(try host.ipJSON("-d link show vx0").first)
            let info = try #require(json["linkinfo"] as? [String: Any])
            #expect(info["info_kind"] as? String == "vxlan")
            let data = try #require(info["info_data"] as? [String: Any])
            #expect(data["id"] as? Int == 4242)
            #expect(data["port"] as? Int == 4789)
            #expect(data["learning"] as? Bool == false)
            #expect(data["ttl"] as? Int == 64)
            #expect(data["remote"] as? String == "192.0.2.10")
            #expect(data["local"] as? String == "192.0.2.1")
            #expect(data["link"] as? String == "under0")
            #expect(try socket.link("vx0").kind == "vxlan")

            for peer in ["192.0.2.11", "192.0.2.12"] {
                try socket.appendFDBEntry(link: "vx0", destination: NetlinkAddress(peer)!)
            }
            var fdb = try host.json(host.run("bridge -j fdb show dev vx0"))
            var remotes = Set(fdb.filter { $0["mac"] as? String == "00:00:00:00:00:00" }.compactMap { $0["dst"] as? String })
            #expect(remotes == ["192.0.2.10", "192.0.2.11", "192.0.2.12"])
            #expect(fdb.allSatisfy { ($0["state"] as? String) == "permanent" || $0["mac"] as? String != "00:00:00:00:00:00" })
            let listed = try socket.fdbEntries(link: "vx0").filter { $0.macAddress == .zero }
            #expect(Set(listed.compactMap { $0.address?.description }) == remotes)

            try socket.deleteFDBEntry(link: "vx0", destination: NetlinkAddress("192.0.2.11")!)
            fdb = try host.json(host.run("bridge -j fdb show dev vx0"))
            remotes = Set(fdb.compactMap { $0["dst"] as? String })
            #expect(remotes == ["192.0.2.10", "192.0.2.12"])

            // IPv6 underlay: GROUP6 and an IPv6 FDB remote.
            try socket.addVXLAN(VXLANConfiguration(name: "vx6", vni: 7, remote: NetlinkAddress("fd00::10")))
            try socket.appendFDBEntry(link: "vx6", destination: NetlinkAddress("fd00::11")!)
            let data6 = try #require(((try host.ipJSON("-d link show vx6").first)?["linkinfo"] as? [String: Any])?["info_data"] as? [String: Any])
            #expect(data6["id"] as? Int == 7)
            #expect(data6["remote6"] as? String == "fd00::10")
            let fdb6 = try host.json(host.run("bridge -j fdb show dev vx6"))
            #expect(Set(fdb6.compactMap { $0["dst"] as? String }) == ["fd00::10", "fd00::11"])
        }
    }
}
