import Testing
import RampartWire
@testable import RampartRules

@Suite("Rule header: action, protocol, addresses, ports, direction, variables")
struct RuleHeaderTests {
    @Test("actions and protocols, including application protocols",
          arguments: [("alert", "tcp"), ("drop", "udp"), ("reject", "http"), ("pass", "tls"), ("rejectboth", "dns"),
                      ("alert", "ip"), ("alert", "icmp"), ("alert", "tcp-pkt"), ("alert", "ftp-data"), ("alert", "http2")])
    func actionsAndProtocols(_ action: String, _ proto: String) throws {
        let r = try #require(RuleFixture.rule("sid:1;", header: "\(action) \(proto) any any -> any any"))
        #expect(r.action.rawValue == action)
        #expect(r.proto.description == proto)
        if case .application(let a) = r.proto { #expect(r.application == a) }
    }

    @Test("addresses: any, hosts, networks (host bits masked), netmasks, ranges, IPv6, groups, negation, variables")
    func addresses() throws {
        let r = try #require(RuleFixture.rule("sid:1;", header: "alert tcp [10.1.2.3/8,!10.9.0.0/16,$HOME_NET] any <> ![192.168.0.0/255.255.0.0,2001:db8::/32,1.2.3.4-1.2.3.9] any"))
        #expect(r.direction == .either)
        #expect(r.source == .group([.block(AddressBlock(first: IPAddress("10.0.0.0")!, last: IPAddress("10.255.255.255")!)),
                                    .negated(.block(AddressBlock(first: IPAddress("10.9.0.0")!, last: IPAddress("10.9.255.255")!))),
                                    .variable("HOME_NET")]))
        let s = try RuleVariables.suricataDefaults.resolve(r.source).get()
        #expect(s.contains(IPAddress("10.1.2.3")!))
        #expect(!s.contains(IPAddress("10.9.1.1")!))   // subtracted even though $HOME_NET holds it
        #expect(s.contains(IPAddress("172.16.0.1")!))
        let d = try RuleVariables.suricataDefaults.resolve(r.destination).get()
        #expect(!d.contains(IPAddress("192.168.4.4")!))
        #expect(!d.contains(IPAddress("2001:db8::1")!))
        #expect(!d.contains(IPAddress("1.2.3.5")!))
        #expect(d.contains(IPAddress("1.2.3.10")!))
        #expect(d.contains(IPAddress("8.8.8.8")!))
    }

    @Test("$EXTERNAL_NET is everything but $HOME_NET")
    func externalNet() throws {
        let v = RuleVariables.suricataDefaults
        let ext = try v.resolve(AddressSpec.variable("EXTERNAL_NET")).get()
        #expect(!ext.contains(IPAddress("192.168.1.1")!))
        #expect(ext.contains(IPAddress("8.8.8.8")!))
        #expect(ext.contains(IPAddress("2001:db8::1")!))
        var custom = v
        custom.addressGroups["HOME_NET"] = "[10.0.0.0/24]"
        #expect(try custom.resolve(AddressSpec.variable("EXTERNAL_NET")).get().contains(IPAddress("192.168.1.1")!))
    }

    @Test("ports: single, ranges, open ranges, groups, negation, variables")
    func ports() throws {
        let r = try #require(RuleFixture.rule("sid:1;", header: "alert tcp any [1024:,!8080] -> any [$HTTP_PORTS,:21,443]"))
        let sp = try RuleVariables.suricataDefaults.resolve(r.sourcePorts).get()
        #expect(sp.contains(1024) && sp.contains(65535) && !sp.contains(8080) && !sp.contains(80))
        let dp = try RuleVariables.suricataDefaults.resolve(r.destinationPorts).get()
        #expect(dp.contains(80) && dp.contains(0) && dp.contains(21) && dp.contains(443) && !dp.contains(22))
        let shell = try RuleVariables.suricataDefaults.resolve(PortSpec.variable("SHELLCODE_PORTS")).get()
        #expect(!shell.contains(80) && shell.contains(81))
    }

    @Test("malformed headers are refused with the column of the field and what was expected",
          arguments: [
            ("alrt tcp any any -> any any", 1, "not an action"),
            ("alert tcpx any any -> any any", 7, "not a protocol"),
            ("alert tcp 10.0.0.300 any -> any any", 11, "not an IP address"),
            ("alert tcp any 70000 -> any any", 15, "not a port"),
            ("alert tcp any any => any any", 19, "not a direction"),
            ("alert tcp any 90:80 -> any any", 15, "runs backwards"),
            ("alert tcp [1.2.3.4,] any -> any any", 11, "expected an item after ','"),
            ("alert tcp [1.2.3.4 any -> any any", 11, "unbalanced brackets"),
          ])
    func malformedHeader(_ header: String, _ column: Int, _ expected: String) throws {
        let p = try #require(RuleFixture.problem("sid:5;", header: header))
        #expect(p.kind == .header)
        #expect(p.line == 7 && p.file == "test.rules")
        #expect(p.column == column)
        #expect(p.message.contains(expected), "\(p)")
        #expect(p.sid == 5)
    }

    @Test("variables that are undefined, of the wrong kind, looping, or leave nothing are refused at load")
    func variableProblems() {
        var v = RuleVariables.suricataDefaults
        v.addressGroups["LOOP"] = "$LOOP2"
        v.addressGroups["LOOP2"] = "[$LOOP]"
        #expect((try? v.resolve(AddressSpec.variable("NOPE")).get()) == nil)
        #expect((try? v.resolve(AddressSpec.variable("HTTP_PORTS")).get()) == nil)
        #expect((try? v.resolve(AddressSpec.variable("LOOP")).get()) == nil)
        #expect((try? v.resolve(AddressSpec.negated(.any)).get()) == nil)
        #expect((try? v.resolve(PortSpec.group([.range(80...80), .negated(.range(80...80))])).get()) == nil)
        guard case .failure(let p) = v.resolve(AddressSpec.variable("NOPE")) else { return }
        #expect(p.kind == .missing && p.keyword == "$NOPE")
    }

    @Test("a variables file in suricata.yaml's layout overrides the defaults and is checked")
    func variablesFile() throws {
        let yaml = """
        %YAML 1.1
        ---
        vars:
          address-groups:
            HOME_NET: "[10.20.0.0/16]"   # the pods
            EXTERNAL_NET: "!$HOME_NET"
          port-groups:
            HTTP_PORTS: "[80,8080]"
        outputs:
          - eve-log:
              enabled: yes
        """
        let v = try RuleVariables.parse(yaml: yaml, file: "vars.yaml").get()
        #expect(v.addressGroups["HOME_NET"] == "[10.20.0.0/16]")
        #expect(try v.resolve(PortSpec.variable("HTTP_PORTS")).get().contains(8080))
        #expect(v.portGroups["SSH_PORTS"] == "22")
        guard case .failure(let p) = RuleVariables.parse(yaml: "vars:\n  port-groups:\n    HTTP_PORTS: \"[80,70000]\"\n", file: "v.yaml") else {
            Issue.record("a bad port was accepted"); return
        }
        #expect(p.line == 3 && p.message.contains("HTTP_PORTS"))
    }
}
