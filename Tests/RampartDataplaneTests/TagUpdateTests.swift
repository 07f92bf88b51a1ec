@testable import RampartDataplane
import RampartInspect
import RampartPolicy
import RampartWire
import Testing

@Suite("Address-to-tag updates")
struct TagUpdateTests {
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
        """

    @Test func parsesAndRefusesBadBodies() throws {
        let update = try TagUpdate(json: #"{"sequence": 3, "address": "10.0.0.9", "tags": ["ns:shop"]}"#)
        #expect(update == TagUpdate(sequence: 3, address: IPAddress("10.0.0.9")!, tags: [Tag(validating: "ns:shop")!]))
        #expect(throws: TagUpdateError.self) { try TagUpdate(json: "nope") }
        #expect(throws: TagUpdateError.self) { try TagUpdate(json: #"{"sequence": 0, "address": "10.0.0.9", "tags": []}"#) }
        #expect(throws: TagUpdateError.self) { try TagUpdate(json: #"{"sequence": 1, "address": "x", "tags": []}"#) }
    }

    @Test func staleAndDuplicateSequencesAreRefused() throws {
        let board = MetricsBoard(workers: 2)
        let server = try AdminServer(bind: SocketAddress(parsing: "127.0.0.1:0")!, board: board)
        let body = { (n: Int) in #"{"sequence": \#(n), "address": "10.0.0.9", "tags": ["ns:shop"]}"# }
        #expect(server.respond(method: "POST", path: "/tags", body: body(5)).0.hasPrefix("202"))
        #expect(server.respond(method: "POST", path: "/tags", body: body(5)).0.hasPrefix("409"))
        #expect(server.respond(method: "POST", path: "/tags", body: body(4)).0.hasPrefix("409"))
        #expect(server.respond(method: "POST", path: "/tags", body: "{").0.hasPrefix("400"))
        #expect(server.respond(method: "POST", path: "/tags", body: body(6)).0.hasPrefix("202"))
        let (updates, cursor) = board.tagUpdates(after: 0)
        #expect(updates.map(\.sequence) == [5, 6] && cursor == 2)
        #expect(board.tagUpdates(after: cursor).updates.isEmpty)
        #expect(board.tagUpdates(after: 1, worker: 1).updates.map(\.sequence) == [6])  // another worker's cursor
    }

    @Test func updatesReachTheNextPacketWithoutAReload() throws {
        let document = try PolicyLoader.load(yaml: Self.policy, file: "t.yaml")
        let matcher = try PolicyMatcher(document, tags: [])
        let engine = Engine(policy: matcher)
        let worker = FirewallWorker(engine: engine, sink: try EventLog(path: "/dev/null"), batchSize: 2, slotSize: 4096)
        let socket = try TunnelSocket(bind: SocketAddress(parsing: "127.0.0.1:0")!)
        let board = MetricsBoard()
        let endpoint = TunnelEndpoint(socket: socket, worker: worker, board: board, signals: nil)
        let server = IPAddress("10.77.0.2")!
        let query = PolicyQuery(source: IPAddress("10.77.0.1")!, destination: server, ipProtocol: .tcp, destinationPort: 80)
        #expect(worker.engine.policy.decide(query).action == .deny)
        #expect(board.submit(TagUpdate(sequence: 1, address: server, tags: [Tag(validating: "ns:shop")!])))
        endpoint.applyTagUpdates()
        #expect(worker.engine.policy.decide(query).action == .allow)
        #expect(worker.counters.tagUpdates == 1)
        #expect(board.submit(TagUpdate(sequence: 2, address: server, tags: [])))
        endpoint.applyTagUpdates()
        #expect(worker.engine.policy.decide(query).action == .deny)
    }
}
