import Foundation
@testable import RampartDataplane
import RampartInspect
import RampartPolicy
import RampartTestSupport
import RampartWire
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Batches, resyncs and `GET /tags` for the manager; big bodies over real HTTP; the tag
/// state file.
@Suite("Tag batches and resyncs")
struct TagBatchTests {
    static let policy = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: t}
        spec:
          zones:
            - {name: shop, tags: "ns:shop"}
          rules:
            - {name: shop-web, to: [shop], services: [tcp/80], action: allow}
          defaults:
            intrazone: {action: deny}
            interzone: {action: deny}
        ---
        apiVersion: rampart.io/v1
        kind: AddressTags
        metadata: {name: file}
        spec:
          addresses:
            - {address: 10.77.0.3, tags: ["ns:shop"]}
        """

    func endpoint(_ board: MetricsBoard) throws -> TunnelEndpoint {
        let document = try PolicyLoader.load(yaml: Self.policy, file: "t.yaml")
        let matcher = try PolicyMatcher(document, tags: document.addressTags)
        let worker = FirewallWorker(engine: Engine(policy: matcher), sink: try EventLog(path: "/dev/null"), batchSize: 2, slotSize: 4096)
        return TunnelEndpoint(socket: try TunnelSocket(bind: SocketAddress(parsing: "127.0.0.1:0")!), worker: worker, board: board, signals: nil)
    }

    func action(_ e: TunnelEndpoint, _ server: String) -> RuleAction {
        e.worker.engine.policy.decide(PolicyQuery(source: IPAddress("10.77.0.1")!, destination: IPAddress(server)!,
                                                  ipProtocol: .tcp, destinationPort: 80)).action
    }

    @Test func batchBodiesParseAndNameTheBadUpdate() throws {
        let batch = try TagBatch(json: #"{"sequence": 4, "updates": [{"address": "10.0.0.1", "tags": ["ns:a"]}, {"address": "fd00::1", "tags": []}]}"#)
        #expect(batch.sequence == 4 && !batch.replace && batch.updates.count == 2 && batch.updates[1].tags.isEmpty)
        let single = try TagBatch(json: #"{"sequence": 5, "address": "10.0.0.1", "tags": ["ns:a"]}"#)
        #expect(single.updates == [TagUpdate(sequence: 5, address: IPAddress("10.0.0.1")!, tags: [Tag(validating: "ns:a")!])])
        func error(_ json: String) -> String {
            do { _ = try TagBatch(json: json); return "" } catch { return error.description }
        }
        #expect(error(#"{"sequence": 4, "updates": [{"address": "10.0.0.1", "tags": []}, {"address": "10.0.0.300", "tags": []}]}"#)
                == "updates[1]: address must be an IPv4 or IPv6 address")
        #expect(error(#"{"sequence": 4, "updates": [{"address": "10.0.0.1", "tags": ["bad tag"]}]}"#) == "updates[0]: invalid tag 'bad tag'")
        #expect(error(#"{"sequence": 4, "updates": [{"address": "10.0.0.1", "tags": []}, {"address": "10.0.0.1", "tags": []}]}"#)
                == "updates[1]: address 10.0.0.1 appears twice in the batch")
        #expect(error(#"{"sequence": 4, "updates": [{"address": "10.0.0.1", "tag": []}]}"#).hasPrefix("updates[0]: unknown field 'tag'"))
        #expect(error(#"{"sequence": 4, "replace": true}"#).hasPrefix("replace needs an updates list"))
        #expect(error(#"{"sequence": 4, "updates": 3}"#).hasPrefix("updates must be a list"))
        #expect(error(#"{"updates": []}"#) == "sequence is missing; expected a positive integer")
    }

    // Issue 11: `1.5` and `true` were read as 1 (NSNumber bridging), 2^63-1 was accepted and
    // then locked out every later update, and a repeated key was accepted (two readers of
    // one body could see different values).
    @Test func sequencesAreIntegersInRangeAndKeysAreUnique() throws {
        func error(_ json: String) -> String {
            do { _ = try TagBatch(json: json); return "" } catch { return error.description }
        }
        let updates = #""updates": [{"address": "10.0.0.1", "tags": ["ns:a"]}]"#
        for bad in ["1.5", "true", "\"7\"", "1e3", "0", "-1", "9223372036854775807", "18446744073709551616", String(TagBatch.maximumSequence + 1)] {
            #expect(error("{\"sequence\": \(bad), \(updates)}").hasPrefix("sequence must be an integer from 1 to 9007199254740991"), "sequence \(bad)")
        }
        #expect(try TagBatch(json: "{\"sequence\": \(TagBatch.maximumSequence), \(updates)}").sequence == TagBatch.maximumSequence)
        #expect(error(#"{"sequence": 3, "sequence": 9, "updates": []}"#).contains(#"member name "sequence" appears twice"#))
        #expect(error(#"{"sequence": 3, "updates": [{"address": "10.0.0.1", "address": "10.0.0.2", "tags": []}]}"#).contains("appears twice"))
        #expect(error(#"{"sequence": 3, "updates": [{"address": "10.0.0.1", "tags": [1]}]}"#) == "updates[0]: tags must be a list of strings")
        #expect(error("{\"sequence\": 3,").hasPrefix("body is not valid JSON (line 1, column 16"))
    }

    @Test func batchesApplyWholeAndResyncsReplaceTheAdminMap() throws {
        let board = MetricsBoard()
        let e = try endpoint(board)
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        #expect(action(e, "10.77.0.3") == .allow)   // tagged by the file
        let batch = #"{"sequence": 10, "updates": [{"address": "10.77.0.2", "tags": ["ns:shop"]}, {"address": "10.77.0.4", "tags": ["ns:shop"]}, {"address": "10.77.0.3", "tags": ["ns:other"]}]}"#
        #expect(server.respond(method: "POST", path: "/tags", body: batch).0.hasPrefix("202"))
        // A bad batch changes nothing, a stale one neither.
        let bad = #"{"sequence": 11, "updates": [{"address": "10.77.0.5", "tags": ["ns:shop"]}, {"address": "nope", "tags": []}]}"#
        let refused = server.respond(method: "POST", path: "/tags", body: bad)
        #expect(refused.0.hasPrefix("400") && refused.2.contains("updates[1]"))
        let stale = server.respond(method: "POST", path: "/tags", body: batch)
        #expect(stale.0.hasPrefix("409") && stale.2.contains("\"sequence\": 10"))
        e.applyTagUpdates()
        #expect(action(e, "10.77.0.2") == .allow && action(e, "10.77.0.4") == .allow && action(e, "10.77.0.3") == .deny)
        #expect(action(e, "10.77.0.5") == .deny)
        #expect(server.respond(method: "GET", path: "/tags").2 == "{\"sequence\": 10, \"addresses\": 3, \"boot\": \"\(AdminServer.bootID)\"}\n")
        #expect(server.respond(method: "GET", path: "/tags", query: ["address": "10.77.0.2"]).2
                == "{\"sequence\": 10, \"address\": \"10.77.0.2\", \"tags\": [\"ns:shop\"]}\n")
        #expect(server.respond(method: "GET", path: "/tags", query: ["address": "10.9.9.9"]).2.contains("\"tags\": []"))
        #expect(server.respond(method: "GET", path: "/tags", query: ["address": "x"]).0.hasPrefix("400"))

        // Resync: only 10.77.0.4 stays admin-tagged; 10.77.0.2 loses its tags, 10.77.0.3 gets the file's back.
        let resync = #"{"sequence": 12, "replace": true, "updates": [{"address": "10.77.0.4", "tags": ["ns:shop"]}]}"#
        #expect(server.respond(method: "POST", path: "/tags", body: resync).0.hasPrefix("202"))
        e.applyTagUpdates()
        #expect(action(e, "10.77.0.2") == .deny && action(e, "10.77.0.4") == .allow && action(e, "10.77.0.3") == .allow)
        #expect(board.tagSummary.sequence == 12 && board.tagSummary.addresses == 1)
        // Kept across a reload.
        board.setPolicyLoader {
            let document = try PolicyLoader.load(yaml: Self.policy, file: "t.yaml")
            return PolicyRelease.Content(compiled: CompiledPolicy(document), tags: document.addressTags)
        }
        e.log = { _, _, _ in }
        board.requestReload()
        e.adoptPublishedPolicy()
        #expect(action(e, "10.77.0.4") == .allow && action(e, "10.77.0.3") == .allow && action(e, "10.77.0.2") == .deny)
    }

    /// Issue 19: a 200,000-address batch held forwarding for about 2 s. A batch is applied a
    /// slice at a time between packet batches; each address changes whole, in order.
    @Test func bigBatchesApplyASliceAtATime() throws {
        let board = MetricsBoard()
        let e = try endpoint(board)
        e.tagSliceSize = 1000
        func address(_ i: Int) -> IPAddress { IPAddress("10.78.\(i / 256).\(i % 256)")! }
        let shop = [Tag(validating: "ns:shop")!]
        #expect(board.submit(TagBatch(sequence: 1, updates: (0 ..< 5000).map { TagUpdate(sequence: 1, address: address($0), tags: shop) })))
        #expect(e.applyTagUpdates() == true)
        #expect(e.worker.counters.tagUpdates == 1000)
        #expect(action(e, "10.78.0.5") == .allow && action(e, "10.78.19.135") == .deny, "the first slice only")
        var turns = 1
        while e.applyTagUpdates() { turns += 1 }
        #expect(turns == 4 && e.worker.counters.tagUpdates == 5000)   // five calls: four left work behind
        #expect(action(e, "10.78.19.135") == .allow)
        // A resync keeping two addresses: the other 4,998 are dropped a slice at a time too,
        // and the kept ones never lose their tags on the way.
        let keep = [TagUpdate(sequence: 2, address: address(4999), tags: shop), TagUpdate(sequence: 2, address: address(7), tags: shop)]
        #expect(board.submit(TagBatch(sequence: 2, replace: true, updates: keep)))
        turns = 0
        while e.applyTagUpdates() {
            turns += 1
            #expect(action(e, "10.78.19.135") == .allow && action(e, "10.78.0.7") == .allow)
        }
        #expect(turns == 4)
        #expect(action(e, "10.78.0.5") == .deny && action(e, "10.78.19.135") == .allow && action(e, "10.78.0.7") == .allow)
        #expect(e.worker.engine.policy.taggedAddressCount == 3)   // the two kept and the file's 10.77.0.3
    }

    /// The admin tag map is a table like any other: bounded, refused whole past the bound
    /// (507, nothing applied), counted.
    @Test func theAdminMapIsBounded() throws {
        let board = MetricsBoard(maxTaggedAddresses: 100)
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        func body(_ sequence: Int, _ range: Range<Int>, replace: Bool = false, tags: String = #"["ns:shop"]"#) -> String {
            let updates = range.map { #"{"address": "10.79.\#($0 / 256).\#($0 % 256)", "tags": \#(tags)}"# }.joined(separator: ", ")
            return #"{"sequence": \#(sequence), "replace": \#(replace), "updates": [\#(updates)]}"#
        }
        let over = server.respond(method: "POST", path: "/tags", body: body(1, 0 ..< 101))
        #expect(over.0 == "507 Insufficient Storage" && over.2.contains("would hold 101 addresses") && over.2.contains("at most 100"), "\(over)")
        #expect(board.tagSummary.addresses == 0 && board.lastTagSequence == 0, "nothing of a refused batch is kept")
        #expect(server.respond(method: "POST", path: "/tags", body: body(2, 0 ..< 100)).0.hasPrefix("202"))
        #expect(server.respond(method: "POST", path: "/tags", body: body(3, 100 ..< 101)).0.hasPrefix("507"))
        // Dropping one address makes room for another in the same batch.
        let swap = #"{"sequence": 4, "updates": [{"address": "10.79.0.0", "tags": []}, {"address": "10.79.0.100", "tags": ["ns:shop"]}]}"#
        #expect(server.respond(method: "POST", path: "/tags", body: swap).0.hasPrefix("202"))
        #expect(server.respond(method: "POST", path: "/tags", body: body(5, 200 ..< 250, replace: true)).0.hasPrefix("202"))
        #expect(board.tagSummary.addresses == 50)
        let metrics = server.respond(method: "GET", path: "/metrics").2
        #expect(metrics.contains("rampart_tag_batches_refused_total{reason=\"too_many_addresses\"} 2\n"))
        #expect(metrics.contains("rampart_tagged_addresses 50\n") && metrics.contains("rampart_tagged_addresses_limit 100\n"))
    }

    @Test func theTagStateSurvivesARestartAndACorruptFileIsReported() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-tags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = TagStateFile(path: directory.appendingPathComponent("tags.json").path)
        #expect(try file.load() == nil)

        let board = MetricsBoard()
        #expect(board.submit(try TagBatch(json: #"{"sequence": 7, "updates": [{"address": "10.77.0.2", "tags": ["ns:shop", "label:app=web"]}, {"address": "fd00::2", "tags": ["ns:shop"]}]}"#)))
        let state = board.tagStateCopy
        try file.write(sequence: state.sequence, tags: state.tags)
        #expect(!FileManager.default.fileExists(atPath: file.path + ".tmp"))

        // "Restart": a new board and worker from the file.
        let restarted = MetricsBoard()
        let saved = try #require(try file.load())
        restarted.restore(saved)
        #expect(restarted.lastTagSequence == 7 && restarted.tagSummary.addresses == 2)
        #expect(!restarted.submit(TagUpdate(sequence: 7, address: IPAddress("10.77.0.9")!, tags: [])))   // stale after restart
        let e = try endpoint(restarted)
        e.applyTagUpdates()
        #expect(action(e, "10.77.0.2") == .allow)

        try Data("{\"sequence\": 3, \"updates\": [".utf8).write(to: URL(fileURLWithPath: file.path))
        #expect(throws: TagUpdateError.self) { try file.load() }
    }

    @Test func theAdminThreadSavesAcceptedUpdates() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-tags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let board = MetricsBoard()
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        let file = TagStateFile(path: directory.appendingPathComponent("tags.json").path)
        server.tagStateFile = file
        server.start()
        let body = #"{"sequence": 21, "address": "10.1.2.3", "tags": ["ns:a"]}"#
        #expect(HTTPClient.request(server.local.port, "POST /tags HTTP/1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)").hasPrefix("HTTP/1.1 202"))
        var saved: TagBatch?
        for _ in 0 ..< 100 where saved == nil {
            try await Task.sleep(nanoseconds: 50_000_000)
            saved = try? file.load()
        }
        #expect(saved?.sequence == 21 && saved?.updates.first?.address == IPAddress("10.1.2.3"))
    }

    /// A resync of 5,000 pods with 24 tags each (about 8 MiB) through curl (keep-alive on and
    /// off; curl sends `Expect: 100-continue` for a body this size) and through a plain client.
    @Test func bigBodiesOverHTTPAndOversizeOnesRefused() throws {
        let board = MetricsBoard()
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        server.start()
        let port = server.local.port
        func resync(_ sequence: Int) -> String {
            var updates: [String] = []
            for i in 0 ..< 5000 {
                let tags = (0 ..< 24).map { "\"label:key-number-\($0)=value-for-pod-\(i)-with-some-length-to-it\"" }.joined(separator: ", ")
                updates.append("{\"address\": \"10.\(64 + i / 65536).\(i / 256 % 256).\(i % 256)\", \"tags\": [\(tags)]}")
            }
            return "{\"sequence\": \(sequence), \"replace\": true, \"updates\": [\(updates.joined(separator: ",\n"))]}"
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rampart-http-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = resync(1)
        #expect(first.utf8.count > 7 << 20)
        try Data(first.utf8).write(to: directory.appendingPathComponent("a.json"))
        let url = "http://127.0.0.1:\(port)/tags"
        var (status, output) = try TestShell.run("curl -sS -w '\\n%{http_code}' -H 'Content-Type: application/json' --data-binary @a.json \(url)", in: directory)
        #expect(status == 0 && output.hasSuffix("202"), "\(output)")
        #expect(board.tagSummary == (1, 5000))
        try Data(resync(2).utf8).write(to: directory.appendingPathComponent("b.json"))
        (status, output) = try TestShell.run("curl -sS --http1.1 -H 'Connection: close' -H 'Expect:' -w '\\n%{http_code}' --data-binary @b.json \(url) \(url)?address=10.64.0.7 -X POST", in: directory)
        #expect(status == 0 && output.contains("202"), "\(output)")
        (status, output) = try TestShell.run("curl -sS '\(url)?address=10.64.0.7' \(url)", in: directory)
        #expect(output.contains("\"sequence\": 2, \"address\": \"10.64.0.7\"") && output.contains("{\"sequence\": 2, \"addresses\": 5000, \"boot\": \""), "\(output)")
        // Over the limit: 413 (curl waits for 100-continue and gets the refusal instead).
        let big = FileHandle(forWritingAtPath: directory.appendingPathComponent("c.json").path)
            ?? { FileManager.default.createFile(atPath: directory.appendingPathComponent("c.json").path, contents: nil); return FileHandle(forWritingAtPath: directory.appendingPathComponent("c.json").path)! }()
        big.write(Data(repeating: 0x20, count: AdminServer.maximumBody + 1))
        big.closeFile()
        (status, output) = try TestShell.run("curl -sS -w '\\n%{http_code}' --data-binary @c.json \(url)", in: directory)
        #expect(output.hasSuffix("413"), "\(output)")
        // A plain client that sends everything at once, without Expect.
        let head = "POST /tags HTTP/1.1\r\nContent-Length: \(AdminServer.maximumBody + 10)\r\n\r\n"
        #expect(HTTPClient.request(port, head + String(repeating: " ", count: 100_000)).hasPrefix("HTTP/1.1 413"))
        #expect(HTTPClient.request(port, "POST /tags HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n").hasPrefix("HTTP/1.1 411"))
        // Kept alive: the second request rides the first one's connection (what the manager's pushes do).
        (status, output) = try TestShell.run("curl -sS -v -o /dev/null '\(url)?address=10.64.0.7' \(url) 2>&1", in: directory)
        #expect(status == 0 && output.contains("Re-using existing connection") && !output.contains("Connection: close"), "\(output)")
        #expect(HTTPClient.request(port, "GET /tags HTTP/1.1\r\nConnection: close\r\n\r\n").contains("Connection: close"))
    }
}

/// A blocking HTTP/1.1 exchange over a real TCP connection; returns the raw response.
enum HTTPClient {
    static func request(_ port: UInt16, _ text: String) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return "" }
        let bytes = Array(closingRequest(text).utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { break }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            response += buffer[0 ..< n]
        }
        return String(decoding: response, as: UTF8.self)
    }
}
