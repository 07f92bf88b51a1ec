import Testing
@testable import RampartCNI

@Suite struct AgentProtocolTests {
    @Test func requestLinesAreTheDocumentedOnes() throws {
        #expect(AgentRequest.decide(namespace: "shop", pod: "web-1", containerID: "abc").line()
                == #"{"op":"decide","namespace":"shop","pod":"web-1","containerID":"abc"}"# + "\n")
        #expect(AgentRequest.detach(containerID: "abc", ifname: "eth0").line() == #"{"op":"detach","containerID":"abc","ifname":"eth0"}"# + "\n")
        #expect(AgentRequest.status.line() == #"{"op":"status"}"# + "\n")
        let attach = AgentRequest.attach(containerID: "abc", ifname: "eth0", netns: "/run/netns/p", namespace: "shop", pod: "web-1",
                                         ips: ["10.244.1.5"], hostInterface: "veth1", steered: true)
        #expect(try AgentRequest.parse(line: attach.line()) == attach)
    }

    @Test func responsesRoundTrip() throws {
        for response in [AgentResponse(steer: true, reason: "namespace shop has rampart.io/firewall=enabled"), AgentResponse(ok: true),
                         AgentResponse(ready: false, reasons: ["tunnel rampart0 missing", "firewall unhealthy"]), AgentResponse(error: "x")] {
            #expect(try AgentResponse.parse(line: response.line()) == response)
        }
    }

    @Test(arguments: [#"{"op":"fly"}"#, #"{"pod":"x"}"#, "[]", "nope", #"{"op":"decide","pod":3}"#, #"{"op":"attach","ips":[1]}"#])
    func badRequestsAreNamed(line: String) {
        #expect(throws: AgentProtocolError.self) { try AgentRequest.parse(line: line) }
    }

    @Test func badResponsesAreNamed() {
        #expect(throws: AgentProtocolError.self) { try AgentResponse.parse(line: #"{"steer":"yes"}"#) }
        #expect(throws: AgentProtocolError.self) { try AgentResponse.parse(line: #"{"reasons":"x"}"#) }
    }
}
