import RampartNetlink
import Testing
@testable import RampartCNI

@Suite struct PluginConfigurationTests {
    @Test func defaults() throws {
        let c = try Fixtures.parsedConfig()
        #expect(c.cniVersion == "1.1.0")
        #expect(c.name == "k8s-pod-network")
        #expect(c.port == 6080)
        #expect(c.vni == 7)
        #expect(c.table == 6080)
        #expect(c.rulePriority == 6000)
        #expect(c.failMode == .open)
        #expect(c.agentSocket == "/run/rampart/node.sock")
        #expect(c.tunnelDevice == "rampart0")
        #expect(c.tunnelGateway == NetlinkAddress("169.254.77.1"))
        #expect(c.stateDirectory == "/var/lib/cni/rampart")
        #expect(c.trustCIDRs == [NetlinkPrefix("10.96.0.0/12")!, NetlinkPrefix("fd00:96::/108")!])
        #expect(c.prevResult?["cniVersion"]?.stringValue == "1.0.0")
        #expect(c.validAttachments == nil)
    }

    @Test func everyOption() throws {
        let c = try Fixtures.parsedConfig(extra: #""port":4789,"failMode":"closed","agentSocket":"/tmp/a.sock","logFile":"/tmp/cni.log","tunnelDevice":"rmp0","table":100,"rulePriority":500,"exemptNodeTraffic":false,"stateDir":"/tmp/st","cni.dev/valid-attachments":[{"containerID":"a","ifname":"eth0"}]"#)
        #expect(c.port == 4789 && c.failMode == .closed && c.agentSocket == "/tmp/a.sock" && c.logFile == "/tmp/cni.log")
        #expect(c.tunnelDevice == "rmp0" && c.table == 100 && c.rulePriority == 500 && !c.exemptNodeTraffic)
        #expect(c.validAttachments == [AttachmentKey(containerID: "a", interfaceName: "eth0")])
    }

    @Test(arguments: [
        (#""vni":0"#, "vni: expected an integer 1..2048, found 0"),
        (#""vni":"7""#, "vni: expected an integer 1..2048, found a string"),
        (#""port":70000"#, "port: expected an integer 1..65535"),
        (#""failMode":"maybe""#, "failMode: \"maybe\""),
        (#""trustCIDRs":["10.0.0.1"]"#, "trustCIDRs[0]: \"10.0.0.1\" is not a CIDR"),
        (#""trustCIDRs":"10.0.0.0/8""#, "trustCIDRs: expected an array"),
        (#""firewallEndpoints":["fw.example"]"#, "firewallEndpoints[0]"),
        (#""firewallEndpoints":[]"#, "firewallEndpoints: missing or empty"),
        (#""table":254"#, "reserved table"),
        (#""tunnelDevice":"much-too-long-name""#, "tunnelDevice"),
        (#""type":"bridge""#, "type: expected \"rampart-cni\""),
        (#""agentSocket":"relative.sock""#, "not an absolute path"),
        (#""rulePriority":32760"#, "rulePriority"),
        (#""cni.dev/valid-attachments":[{"containerID":1}]"#, "valid-attachments[0]"),
    ])
    func invalidIsCode7(extra: String, fragment: String) throws {
        // Later members win in our reader only if unique: build the object with the override.
        var json = try JSONValue.parse(Fixtures.config())
        let override = try JSONValue.parse("{" + extra + "}")
        for (key, value) in override.objectValue ?? [] { json = json.setting(key, to: value) }
        do {
            _ = try PluginConfiguration(json: json)
            Issue.record("accepted \(extra)")
        } catch {
            #expect(error.code == .invalidConfiguration)
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    @Test func unsupportedVersionIsCode1() throws {
        for version in ["0.3.1", "2.0.0", "banana"] {
            do {
                _ = try PluginConfiguration(json: JSONValue.parse(Fixtures.config(version: version)))
                Issue.record("accepted \(version)")
            } catch {
                #expect((error as? CNIError)?.code == .incompatibleVersion)
            }
        }
    }

    @Test func previousResultReading() throws {
        let previous = try PreviousResult(json: JSONValue.parse(Fixtures.previousResult))
        #expect(previous.hostInterfaceNames == ["cni0", "veth1234"])
        #expect(previous.podAddresses(interfaceName: "eth0") == [NetlinkAddress("10.244.1.5")!, NetlinkAddress("fd00:244::5")!])
        #expect(previous.podAddresses(interfaceName: "net1").isEmpty)
        // 0.4.0 results carry "version"; IPs without "interface" all count.
        let old = try PreviousResult(json: JSONValue.parse(#"{"cniVersion":"0.4.0","ips":[{"version":"4","address":"10.1.0.9/16"}]}"#))
        #expect(old.podAddresses(interfaceName: "eth0") == [NetlinkAddress("10.1.0.9")!])
    }

    @Test(arguments: [
        #"{"ips":{}}"#, #"{"ips":[{"address":"10.0.0.1"}]}"#, #"{"ips":[{"address":"10.0.0.1/24","interface":5}]}"#,
        #"{"interfaces":[{"mac":"x"}]}"#, #"{"ips":[{"address":"10.0.0.1/24","gateway":"nope"}]}"#,
    ])
    func badPreviousResultIsCode6(text: String) throws {
        #expect(throws: CNIError.self) { try PreviousResult(json: JSONValue.parse(text)) }
        do { _ = try PreviousResult(json: JSONValue.parse(text)) } catch { #expect((error as? CNIError)?.code == .decodeFailure) }
    }
}
