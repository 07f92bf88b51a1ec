import Testing
@testable import RampartWire

@Suite struct IPAddressTests {
    @Test func parsesAndPrintsIPv4() {
        let a = IPAddress("10.0.1.7")
        #expect(a?.isIPv4 == true)
        #expect(a?.ipv4Value == 0x0A00_0107)
        #expect(a?.description == "10.0.1.7")
    }

    @Test(arguments: ["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "01.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.4 "])
    func rejectsBadIPv4(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test(arguments: [
        ("::", "::"), ("::1", "::1"), ("fd00::1", "fd00::1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:DB8::", "2001:db8::"), ("1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"),
        ("64:ff9b::192.0.2.33", "64:ff9b::c000:221"),
    ])
    func parsesAndPrintsIPv6(_ text: String, _ canonical: String) {
        #expect(IPAddress(text)?.description == canonical)
        #expect(IPAddress(text)?.isIPv4 == false)
    }

    @Test(arguments: [":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", ":1", "1:", "g::1", "1:2:3:4:5:6:7"])
    func rejectsBadIPv6(_ text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func networksContainTheirAddresses() {
        let net = IPNetwork("10.1.0.0/16")!
        #expect(net.contains(IPAddress("10.1.200.3")!))
        #expect(!net.contains(IPAddress("10.2.0.1")!))
        #expect(IPNetwork("10.1.2.3/8")!.description == "10.0.0.0/8")
        #expect(IPNetwork("fd00::/8")!.contains(IPAddress("fd12::1")!))
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
        #expect(!IPNetwork("0.0.0.0/0")!.contains(IPAddress("::1")!))
        #expect(IPNetwork("10.0.0.0/24")!.lastAddress.description == "10.0.0.255")
    }
}
