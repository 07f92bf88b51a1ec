/// One worker's HTTP/2 connections and their streams in flight, for detection, files and AI
/// inspection: per connection (indexed by the session's detection state) each direction's
/// frame reader and HPACK decoder; per stream a slot holding its request and its response
/// as HTTP/1-shaped messages (a header block written from the decoded fields, then the body
/// up to the message buffer's size), so every body consumer reads HTTP/2 as it reads HTTP/1.
///
/// Bounded twice: `http2Streams` slots per worker (their bytes in one arena, touched only
/// when used) and `http2StreamsPerSession` per connection. A stream that finds no slot is
/// not inspected and counted (`http2_streams`, anomaly `http2.stream_table_full`). Kept out
/// of `Session`, whose stride is fixed.
final class HTTP2StreamTable {
    /// One direction of a stream: the message as HTTP/1 would have it in its buffer.
    struct Side {
        /// Bytes in the buffer (the header block, then the body); the header block's length.
        var length = 0
        var headerEnd = 0
        /// Its header block came; its END_STREAM came.
        var started = false
        var ended = false
        var bodyFullReported = false
        /// The file its body makes (a `FileTable` slot), -1 for none.
        var file: Int32 = -1
        /// Body bytes on the wire (past the buffer too), for AI's runaway streams.
        var bodyBytes: Int64 = 0
    }

    struct Stream {
        var owner: Int32 = -1
        var id: UInt32 = 0
        /// The next stream of the same connection (-1: the last).
        var next: Int32 = -1
        var request = Side()
        var response = Side()
        /// The request's URI path length (in the slot's name area), naming the response's file.
        var nameLength = 0
        /// The request was HEAD: its answer has no body.
        var head = false
        /// The AI operation the request named (`AIOperation.rawValue`, 0xFF: none), and
        /// whether its answer was reported as a runaway stream.
        var aiOperation: UInt8 = 0xFF
        var aiRunawayReported = false
        /// Flow control of the server's DATA on this stream: what the client granted by
        /// WINDOW_UPDATE beyond its initial window, and what the server sent.
        var clientGrants: Int64 = 0
        var serverData: Int64 = 0
        /// The answer's `AIStreamTable` slot (kept after its end: its AI inspection was done as
        /// it flowed, not from the buffer), -1: none.
        var aiStream: Int32 = -1
    }

    struct Connection {
        var client = HTTP2FrameReader(isClient: true)
        var server = HTTP2FrameReader(isClient: false)
        var clientDecoder = HPACKDecoder()
        var serverDecoder = HPACKDecoder()
        /// The first of its streams (-1: none), and how many it holds.
        var head: Int32 = -1
        var count = 0
        /// The highest stream the client opened, and the highest before the client's packet
        /// being read (what a GOAWAY may call processed).
        var highestClientStream: UInt32 = 0
        var highestBeforePacket: UInt32 = 0

        /// The room the client's flow control leaves for the server's DATA on a stream whose
        /// slot holds `grants` and `sent`, and on the connection: the smaller of the two.
        func clientWindow(grants: Int64, sent: Int64) -> Int64 {
            let stream = client.initialWindow + grants - sent
            let connection = 65_535 + client.connectionGrants - server.dataSent
            return min(stream, connection)
        }
    }

    let capacity: Int
    let perSession: Int
    /// Bytes of each side's buffer (the detector's `messageBytes`).
    let sideBytes: Int
    let slotBytes: Int
    var streams: [Stream]
    var freeStreams: [Int32]
    var connections: [Connection] = []
    let arena: DetectionArena
    /// Streams refused (no slot, or the connection held its share); streams opened.
    var refused: UInt64 = 0
    var opened: UInt64 = 0

    init(capacity: Int, perSession: Int, sideBytes: Int) {
        self.capacity = max(1, capacity)
        self.perSession = max(1, perSession)
        self.sideBytes = max(64, sideBytes)
        slotBytes = 2 * self.sideBytes + FileTable.nameBytes
        streams = [Stream](repeating: Stream(), count: self.capacity)
        freeStreams = (0..<Int32(self.capacity)).reversed().map { $0 }
        arena = DetectionArena(byteCount: self.capacity * slotBytes)
    }

    /// A new connection on detection state `state` (its old streams must be gone).
    func begin(_ state: Int32) {
        let s = Int(state)
        if connections.count <= s {
            connections.reserveCapacity(s + 1)
            while connections.count <= s { connections.append(Connection()) }
        }
        connections[s] = Connection()
    }

    func hasConnection(_ state: Int32) -> Bool { state >= 0 && Int(state) < connections.count }

    /// The slot of stream `id` on connection `state`, -1 when it is not tracked.
    func find(_ state: Int32, _ id: UInt32) -> Int32 {
        guard hasConnection(state) else { return -1 }
        var k = connections[Int(state)].head
        while k >= 0 {
            if streams[Int(k)].id == id { return k }
            k = streams[Int(k)].next
        }
        return -1
    }

    /// A slot for a new stream; -1 when the connection holds `perSession` streams or every
    /// slot is taken (counted in `refused`; the caller reports the limit).
    func add(_ state: Int32, _ id: UInt32) -> Int32 {
        guard hasConnection(state), connections[Int(state)].count < perSession, let slot = freeStreams.popLast() else {
            refused &+= 1
            return -1
        }
        opened &+= 1
        var stream = Stream()
        stream.owner = state
        stream.id = id
        stream.next = connections[Int(state)].head
        streams[Int(slot)] = stream
        connections[Int(state)].head = slot
        connections[Int(state)].count += 1
        return slot
    }

    /// Frees a stream's slot (its files must be closed).
    func remove(_ state: Int32, _ slot: Int32) {
        guard hasConnection(state), slot >= 0, streams[Int(slot)].owner == state else { return }
        var previous: Int32 = -1
        var k = connections[Int(state)].head
        while k >= 0 && k != slot {
            previous = k
            k = streams[Int(k)].next
        }
        guard k == slot else { return }
        if previous >= 0 {
            streams[Int(previous)].next = streams[Int(slot)].next
        } else {
            connections[Int(state)].head = streams[Int(slot)].next
        }
        connections[Int(state)].count -= 1
        streams[Int(slot)] = Stream()
        freeStreams.append(slot)
    }

    /// A stream side's message buffer (`sideBytes`).
    @inline(__always) func buffer(_ slot: Int32, request: Bool) -> UnsafeMutableRawPointer {
        arena.bytes + Int(slot) * slotBytes + (request ? 0 : sideBytes)
    }

    /// The stream's name area (its request's URI path).
    @inline(__always) func name(_ slot: Int32) -> UnsafeMutableRawPointer {
        arena.bytes + Int(slot) * slotBytes + 2 * sideBytes
    }

    @inline(__always) func side(_ slot: Int32, request: Bool) -> Side {
        request ? streams[Int(slot)].request : streams[Int(slot)].response
    }

    @inline(__always) func setSide(_ slot: Int32, request: Bool, _ side: Side) {
        if request { streams[Int(slot)].request = side } else { streams[Int(slot)].response = side }
    }
}
