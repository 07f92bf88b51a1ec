import Testing
import RampartPolicy
import RampartWire
@testable import RampartInspect

@Suite("App-ID: Redis")
struct AppIDRedisTests {
    let redis = DatabaseAppIDFixtures.decoder("redis")

    @Test("real redis-cli (RESP2, RESP3) and an inline PING on 6379 and 16379")
    func realTraffic() throws {
        let found = try DatabaseAppIDFixtures.identify("redis", in: "Tests/Captures/appid/db.pcap", ports: [6379, 16379])
        #expect(found.count == 5)
        let commands = found.compactMap { $0.1.detail["redis.command"] }
        #expect(commands.contains("PING"))
        #expect(commands.contains("SET") || commands.contains("GET") || commands.contains("HELLO") || commands.contains("COMMAND"))
        // The inline PING sent with socat.
        #expect(found.contains { $0.0.toServer.starts(with: Array("PING\r\n".utf8)) && $0.1.detail["redis.command"] == "PING" })
    }

    @Test("other protocols' captures are not Redis")
    func others() throws { try DatabaseAppIDFixtures.rejectOthers("redis") }

    @Test("truncations wait, never refuse")
    func truncations() throws { try DatabaseAppIDFixtures.truncations("redis", in: "Tests/Captures/appid/db.pcap") }

    @Test("RESP arrays: any well-formed command name; lengths checked")
    func arrays() {
        var metadata = ApplicationMetadata()
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*2\r\n$4\r\nauth\r\n$6\r\nsecret\r\n".utf8), metadata: &metadata)
                == .identified(redis.application))
        #expect(metadata.detail["redis.command"] == "AUTH")
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*1\r\n$9\r\nJSON.TYPE\r\n".utf8)) == .identified(redis.application))
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*1\r\n$4\r\nPI".utf8)) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*1\r\n$4\r\nPI".utf8), complete: true) == .notThis)
        // Lying lengths and bad framing.
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*1\r\n$3\r\nPING\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*1\r\n$99999\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*0\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*1\n$4\nPING\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*1\r\n$4\r\nP\u{0}NG\r\n".utf8)) == .notThis)
        // The server's reply must be RESP.
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*1\r\n$4\r\nPING\r\n".utf8), toClient: Array("+PONG\r\n".utf8))
                == .identified(redis.application))
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("*1\r\n$4\r\nPING\r\n".utf8), toClient: Array("HTTP/1.1 400".utf8))
                == .notThis)
    }

    @Test("inline commands: known names only, never HTTP or POP3")
    func inline() {
        // An inline line alone could be memcached's text protocol: the RESP reply decides.
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("ping\r\n".utf8)) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("ping\r\n".utf8), toClient: Array("+PONG\r\n".utf8))
                == .identified(redis.application))
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("get k\r\n".utf8), toClient: Array("END\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("SET k v\r\n".utf8), toClient: Array("+OK\r\n".utf8))
                == .identified(redis.application))
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("PI".utf8)) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("PING".utf8)) == .needMore)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("HELLO world\r\n".utf8), toClient: Array("-ERR".utf8))
                == .identified(redis.application))
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("EHLO mail.example.org\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("USER bob\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("AUTH PLAIN\r\n".utf8), toClient: Array("+OK Dovecot ready.\r\n".utf8))
                == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: Array("PINGPONG\r\n".utf8)) == .notThis)
        #expect(DatabaseAppIDFixtures.probe(redis, toServer: [], toClient: Array("+OK\r\n".utf8)) == .notThis)
    }

    @Test("random and mutated bytes")
    func hostile() {
        DatabaseAppIDFixtures.hostile("redis", valid: (Array("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n".utf8), Array("+OK\r\n".utf8)), seed: 6379)
    }
}
