import Testing
@testable import RampartCNI

@Suite struct CNIEnvironmentTests {
    @Test func readsArgumentsWithIgnoreUnknown() throws {
        let env = try CNIEnvironment(Fixtures.environment)
        #expect(env.command == .add)
        #expect(env.podNamespace == "shop")
        #expect(env.podName == "web-1")
        #expect(env.argument("IgnoreUnknown") == "1")
        #expect(env.path == ["/opt/cni/bin"])
    }

    @Test(arguments: [
        (["CNI_COMMAND": nil], "CNI_COMMAND is not set"),
        (["CNI_COMMAND": "ADDD"], "not a CNI command"),
        (["CNI_CONTAINERID": nil], "CNI_CONTAINERID is not set"),
        (["CNI_CONTAINERID": "../etc"], "not a valid container id"),
        (["CNI_IFNAME": nil], "CNI_IFNAME is not set"),
        (["CNI_IFNAME": "a/b"], "not a valid interface name"),
        (["CNI_IFNAME": "abcdefghijklmnopq"], "not a valid interface name"),
        (["CNI_NETNS": nil], "CNI_NETNS is not set"),
        (["CNI_ARGS": "K8S_POD_NAME"], "is not KEY=VALUE"),
        (["CNI_ARGS": "=x"], "is not KEY=VALUE"),
    ] as [([String: String?], String)])
    func invalidEnvironmentIsCode4(changes: [String: String?], fragment: String) {
        do {
            _ = try CNIEnvironment(Fixtures.environment("ADD", changes))
            Issue.record("accepted \(changes)")
        } catch {
            #expect(error.code == .invalidEnvironment)
            #expect(error.message.contains(fragment), "\(error)")
        }
    }

    @Test func delAcceptsMissingNetnsAndVersionNeedsNothingElse() throws {
        _ = try CNIEnvironment(Fixtures.environment("DEL", ["CNI_NETNS": nil]))
        _ = try CNIEnvironment(["CNI_COMMAND": "VERSION"])
        _ = try CNIEnvironment(["CNI_COMMAND": "GC", "CNI_PATH": "/opt/cni/bin"])
        _ = try CNIEnvironment(["CNI_COMMAND": "STATUS"])
    }
}
