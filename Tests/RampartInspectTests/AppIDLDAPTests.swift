import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect
import RampartTestSupport

/// LDAP (slapd with ldapsearch/ldapwhoami) and CLDAP (scripts/appid/udp.sh).
@Suite("App-ID LDAP")
struct AppIDLDAPTests {
    static let ldap = ApplicationCatalog.id(named: "ldap")!

    static func probe(_ flow: CapturedFlow, complete: Bool = true) -> (ProbeResult, ApplicationMetadata) {
        var metadata = ApplicationMetadata()
        let result = flow.withPrefix(complete: complete) { LDAP.probe($0, into: &metadata) }
        return (result, metadata)
    }

    @Test("real binds and searches on 389 and 1389, CLDAP on UDP")
    func realTraffic() throws {
        let labels = try AppIDCaptures.labels("Tests/Captures/appid/udp.labels")
        var operations: [String] = []
        for flow in try CapturedFlows.load("Tests/Captures/appid/udp.pcap") where labels[AppIDCaptures.key(flow)] == "ldap" {
            let (result, metadata) = Self.probe(flow)
            #expect(result == .identified(Self.ldap), "\(AppIDCaptures.key(flow))")
            operations.append(metadata.detail["ldap.operation"] ?? "?")
            #expect(metadata.detail["ldap.result"] == "0", "\(AppIDCaptures.key(flow))")
            if flow.ipProtocol == .tcp {
                #expect(metadata.detail["ldap.bind_dn"] != nil)
                // While the first message is arriving: a valid prefix waits.
                for cut in 1..<min(flow.toServer.count, 14) {
                    var partial = flow
                    partial.toServer = Array(flow.toServer.prefix(cut))
                    #expect(Self.probe(partial, complete: false).0 == .needMore, "cut \(cut)")
                }
            } else {
                #expect(metadata.detail["ldap.base_dn"] == "")
            }
        }
        #expect(operations.sorted() == ["bindRequest", "bindRequest", "bindRequest", "searchRequest", "searchRequest"])
    }

    @Test("other protocols' captures are not LDAP")
    func otherProtocols() throws {
        for path in AppIDCaptures.allCaptures() {
            let labels = (try? AppIDCaptures.labels(path.replacingOccurrences(of: ".pcap", with: ".labels"))) ?? [:]
            for flow in try CapturedFlows.load(path) where labels[AppIDCaptures.key(flow)] != "ldap" {
                #expect(Self.probe(flow).0 == .notThis, "\(path) \(AppIDCaptures.key(flow))")
                #expect(Self.probe(flow, complete: false).0 != .identified(Self.ldap), "\(path) \(AppIDCaptures.key(flow))")
            }
        }
    }

    @Test("lying lengths, SNMP, bad versions, random bytes")
    func hostile() {
        // Anonymous simple bind, version 3.
        let bind: [UInt8] = [0x30, 0x0C, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x80, 0x00]
        #expect(AppIDCaptures.probe(bind, port: 1389, LDAP.probe).0 == .identified(Self.ldap))
        #expect(AppIDCaptures.probe(bind, proto: .udp, port: 389, LDAP.probe).0 == .identified(Self.ldap))
        for cut in 0..<bind.count {
            #expect(AppIDCaptures.probe(Array(bind[..<cut]), LDAP.probe).0 == .needMore, "cut \(cut)")
            #expect(AppIDCaptures.probe(Array(bind[..<cut]), complete: true, LDAP.probe).0 == .notThis, "cut \(cut)")
        }
        var badVersion = bind; badVersion[9] = 9
        #expect(AppIDCaptures.probe(badVersion, LDAP.probe).0 == .notThis)
        var lying = bind; lying[6] = 0x7F
        #expect(AppIDCaptures.probe(lying, complete: true, LDAP.probe).0 == .notThis)
        var huge = bind; huge[1] = 0x84
        #expect(AppIDCaptures.probe(huge, complete: true, LDAP.probe).0 == .notThis)
        #expect(AppIDCaptures.probe(bind + [0x00], proto: .udp, LDAP.probe).0 == .notThis)
        // A response from the client side is not a request.
        let response: [UInt8] = [0x30, 0x0C, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0A, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00]
        #expect(AppIDCaptures.probe(response, LDAP.probe).0 == .notThis)
        #expect(AppIDCaptures.probe([], reply: response, LDAP.probe).0 == .identified(Self.ldap))
        // SNMPv2c get-request: SEQUENCE { INTEGER 1, OCTET STRING "public", GetRequest-PDU }.
        let snmp: [UInt8] = [0x30, 0x19, 0x02, 0x01, 0x01, 0x04, 0x06] + Array("public".utf8) + [0xA0, 0x0C] + Array(repeating: 0x02, count: 12)
        #expect(AppIDCaptures.probe(snmp, proto: .udp, LDAP.probe).0 == .notThis)
        var random = SeededRandom(seed: 0x389)
        for i in 0..<4000 {
            var bytes = bind
            if i % 2 == 0 {
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            } else {
                bytes = [0x30] + (0..<Int.random(in: 0..<100, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            }
            _ = AppIDCaptures.probe(bytes, reply: bytes, proto: i % 3 == 0 ? .udp : .tcp, complete: Bool.random(using: &random), LDAP.probe)
        }
    }
}
