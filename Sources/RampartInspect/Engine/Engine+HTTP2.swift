import RampartWire

extension Engine {
    /// Whether this direction's first stream bytes open HTTP/2: the client's preface
    /// (`PRI * HTTP/2.0`, prior knowledge), or a server's first frame being SETTINGS (an h2c
    /// server may speak before the client's preface reaches it). Only at the stream's start,
    /// before either HTTP/1 parser has read a message.
    func startsHTTP2(state: Int32, toServer: Bool, input: UnsafeRawBufferPointer) -> Bool {
        let s = detector!.states[Int(state)]
        guard s.httpRequest.messages == 0, s.httpResponse.messages == 0, s.httpRequest.mode != .headers,
              s.httpResponse.mode != .headers, s.application == .none || s.application == .http2 else { return false }
        if toServer {
            guard s.httpRequest.mode == .start, input.count >= 4 else { return false }
            return input[0] == UInt8(ascii: "P") && input[1] == UInt8(ascii: "R") && input[2] == UInt8(ascii: "I")
                && input[3] == 0x20
        }
        // length (a multiple of 6), type 4 (SETTINGS), flags 0, stream 0
        guard s.httpResponse.mode == .start, input.count >= 9, input[0] == 0, input[3] == 4, input[4] == 0 else { return false }
        let length = Int(input[1]) << 8 | Int(input[2])
        return length % 6 == 0 && input[5] == 0 && input[6] == 0 && input[7] == 0 && input[8] == 0
    }

    /// Makes the session an HTTP/2 one: its streams are read from here on (`detectHTTP2`).
    /// `upgradedRequest`: the HTTP/1 request of an h2c upgrade (in the to-server message
    /// buffer), which becomes stream 1.
    mutating func beginHTTP2(state: Int32, upgradedRequest: Int? = nil) {
        let s = Int(state)
        detector!.states[s].http2 = true
        detector!.states[s].application = .http2
        detector!.states[s].httpRequest.mode = .off
        detector!.states[s].httpResponse.mode = .off
        let table = detector!.http2
        table.begin(state)
        if let length = upgradedRequest {
            // The server's first bytes are frames; the client's next ones its preface.
            let slot = table.add(state, 1)
            guard slot >= 0 else {
                detector!.limitsHit |= Detector.http2StreamLimit
                return
            }
            let n = min(length, table.sideBytes)
            table.buffer(slot, request: true).copyMemory(from: detector!.message(state, toServer: true), byteCount: n)
            table.streams[Int(slot)].request = HTTP2StreamTable.Side(length: n, headerEnd: n, started: true, ended: true)
            table.streams[Int(slot)].aiOperation = detector!.states[s].aiOperation
            let nameLength = detector!.states[s].requestNameLength
            table.streams[Int(slot)].nameLength = nameLength
            if nameLength > 0 { table.name(slot).copyMemory(from: detector!.fileName(state, toServer: false), byteCount: nameLength) }
        }
    }

    /// Reads this packet's new stream bytes of an HTTP/2 session: frames into stream events,
    /// each handed to the same stages as an HTTP/1 message (signature phases and buffers,
    /// files, AI inspection).
    mutating func detectHTTP2(state: Int32, input: UnsafeRawBufferPointer, _ ctx: inout DetectContext) {
        let s = Int(state)
        let table = detector!.http2
        guard table.hasConnection(state) else { return }
        let toServer = ctx.toServer
        let blockBuffer = detector!.message(state, toServer: toServer)
        let capacity = detector!.messageCapacity
        if toServer {
            table.connections[s].client.packetStart = table.connections[s].client.position
            table.connections[s].highestBeforePacket = table.connections[s].highestClientStream
        } else {
            table.connections[s].server.packetStart = table.connections[s].server.position
        }
        var rest = input
        while true {
            var reader = toServer ? table.connections[s].client : table.connections[s].server
            let (consumed, event) = reader.advance(rest, block: blockBuffer, capacity: capacity)
            if toServer { table.connections[s].client = reader } else { table.connections[s].server = reader }
            let base = rest
            rest = UnsafeRawBufferPointer(rebasing: rest[consumed...])
            guard let event else {
                if rest.isEmpty || reader.mode == .off { return }
                continue
            }
            switch event {
            case .headers(let id, let endStream, let promised):
                http2Headers(state: state, stream: id, endStream: endStream, promised: promised,
                             block: UnsafeRawBufferPointer(start: blockBuffer, count: reader.blockLength), &ctx)
            case .data(let id, let range):
                http2Data(state: state, stream: id, bytes: UnsafeRawBufferPointer(rebasing: base[range]), &ctx)
            case .endStream(let id):
                let slot = table.find(state, id)
                if slot >= 0 { http2End(state: state, slot: slot, request: toServer, &ctx) }
            case .reset(let id):
                let slot = table.find(state, id)
                if slot >= 0 { closeHTTP2Stream(state: state, slot: slot) }
            case .dataFrame(let id, let length):
                // Flow control, for the frames the firewall may send in the server's place.
                guard !toServer else { continue }
                let slot = table.find(state, id)
                if slot >= 0 { table.streams[Int(slot)].serverData &+= Int64(length) }
            case .windowUpdate(let id, let increment):
                guard toServer else { continue }
                let slot = table.find(state, id)
                if slot >= 0 { table.streams[Int(slot)].clientGrants &+= Int64(increment) }
            }
        }
    }

    /// A whole header block: a request opens its stream, a response starts its answer;
    /// either is written as an HTTP/1 block and inspected as one. Trailers end their side.
    mutating func http2Headers(state: Int32, stream id: UInt32, endStream: Bool, promised: Bool, block: UnsafeRawBufferPointer,
                               _ ctx: inout DetectContext) {
        let s = Int(state)
        let table = detector!.http2
        let toServer = ctx.toServer
        // Every block is decoded, to keep the connection's HPACK table in step.
        let decoded = toServer ? table.connections[s].clientDecoder.decode(block) : table.connections[s].serverDecoder.decode(block)
        guard case .success(let fields) = decoded else {
            // The dynamic table is lost: nothing more of this direction can be read.
            if toServer { table.connections[s].client.mode = .off } else { table.connections[s].server.mode = .off }
            return
        }
        guard !promised else { return }   // a pushed response's request: not the client's
        if toServer && id > table.connections[s].highestClientStream { table.connections[s].highestClientStream = id }
        var slot = table.find(state, id)
        if slot >= 0 && table.side(slot, request: toServer).started {
            // Trailers (or the final answer after a 1xx one): the message goes on.
            if endStream { http2End(state: state, slot: slot, request: toServer, &ctx) }
            return
        }
        if toServer {
            guard slot < 0 else { return }
            slot = table.add(state, id)
            guard slot >= 0 else {
                detector!.limitsHit |= Detector.http2StreamLimit
                return
            }
        } else if slot < 0 {
            return   // an answer to a stream not tracked
        }
        let buffer = table.buffer(slot, request: toServer)
        guard let (length, facts) = HTTP2Message.write(fields, isResponse: !toServer, into: buffer, capacity: table.sideBytes)
        else {
            if toServer { table.remove(state, slot) }
            return
        }
        if !toServer && facts.status >= 100 && facts.status < 200 { return }   // informational: the answer is to come
        var side = HTTP2StreamTable.Side()
        side.started = true
        side.length = length
        side.headerEnd = length
        table.setSide(slot, request: toServer, side)
        let message = UnsafeRawBufferPointer(start: buffer, count: length)
        let fieldsRead = HTTPHeaderFields(message)
        detector!.statistics.httpMessages &+= 1
        let txID: UInt32
        if toServer {
            txID = detector!.states[s].requests
            detector!.states[s].requests &+= 1
            table.streams[Int(slot)].head = facts.isHead
            if let line = fieldsRead.startLine, let parts = HTTPHeaderFields.requestLine(line) {
                let target = UnsafeRawBufferPointer(rebasing: line[parts.target])
                let path = UnsafeRawBufferPointer(rebasing: target[..<(target.firstIndex(of: UInt8(ascii: "?")) ?? target.count)])
                let n = min(path.count, FileTable.nameBytes)
                if n > 0 { table.name(slot).copyMemory(from: path.baseAddress!, byteCount: n) }
                table.streams[Int(slot)].nameLength = n
            }
        } else {
            txID = detector!.states[s].responses
            detector!.states[s].responses &+= 1
        }
        let noBody = endStream || (!toServer && (table.streams[Int(slot)].head || facts.status == 204 || facts.status == 304))
        if let files = detector!.files, !noBody {
            let name = UnsafeRawBufferPointer(start: table.name(slot), count: table.streams[Int(slot)].nameLength)
            let file = openBodyFile(files, state: state, toServer: toServer, txID: txID, name: name, fields: fieldsRead)
            if toServer { table.streams[Int(slot)].request.file = file } else { table.streams[Int(slot)].response.file = file }
        }
        if ai != nil && !toServer {
            table.streams[Int(slot)].aiRunawayReported = false
            if !noBody {
                table.streams[Int(slot)].aiStream = openAIStream(operation: table.streams[Int(slot)].aiOperation, block: message,
                                                                 owner: AIStreamTable.owner(state: state, stream: id))
            }
        }
        inspectHTTP2Phase(toServer ? .httpRequest : .httpResponse, block: message, body: nil, toServer: toServer, &ctx)
        if endStream { http2End(state: state, slot: slot, request: toServer, &ctx) }
    }

    /// DATA bytes of a stream: to its file (all of them) and its message buffer (what fits).
    mutating func http2Data(state: Int32, stream id: UInt32, bytes: UnsafeRawBufferPointer, _ ctx: inout DetectContext) {
        let table = detector!.http2
        let toServer = ctx.toServer
        let slot = table.find(state, id)
        guard slot >= 0 else { return }
        var side = table.side(slot, request: toServer)
        guard side.started, !side.ended else { return }
        if side.file >= 0 { detector!.files?.write(side.file, bytes) }
        side.bodyBytes &+= Int64(bytes.count)
        let buffer = table.buffer(slot, request: toServer)
        let take = min(table.sideBytes - side.length, bytes.count)
        if take > 0 {
            (buffer + side.length).copyMemory(from: bytes.baseAddress!, byteCount: take)
            side.length += take
        }
        let full = take < bytes.count && !side.bodyFullReported
        if full { side.bodyFullReported = true }
        table.setSide(slot, request: toServer, side)
        if full { inspectHTTP2Body(state: state, slot: slot, request: toServer, cut: true, &ctx) }
        let stream = table.streams[Int(slot)].aiStream
        if !toServer && stream >= 0, let ai {
            // A streamed answer, looked at as each DATA frame's bytes pass.
            let owner = AIStreamTable.owner(state: state, stream: id)
            ai.streams.feed(stream, bytes, owner: owner)
            inspectAIStream(stream, owner: owner, final: false)
            noteHTTP2AnswerBlock(state: state, slot: slot)
        }
        if let ai, ai.profile >= 0, !toServer, !table.streams[Int(slot)].aiRunawayReported,
           let operation = AIOperation(rawValue: table.streams[Int(slot)].aiOperation),
           side.bodyBytes > Int64(ai.settings[ai.profile].maxStreamBytes) {
            table.streams[Int(slot)].aiRunawayReported = true
            ai.runaway(operation, bytes: side.bodyBytes)
            noteHTTP2AnswerBlock(state: state, slot: slot)
        }
    }

    /// END_STREAM: the side's message is whole. Its file ends, its body is inspected; the
    /// stream is done when its answer is.
    mutating func http2End(state: Int32, slot: Int32, request: Bool, _ ctx: inout DetectContext) {
        let table = detector!.http2
        var side = table.side(slot, request: request)
        guard side.started, !side.ended else { return }
        side.ended = true
        let file = side.file
        side.file = -1
        table.setSide(slot, request: request, side)
        if file >= 0, let result = detector!.files?.close(file, complete: true) { detector!.endedFiles.append(result) }
        let stream = table.streams[Int(slot)].aiStream
        if !request && stream >= 0 {
            // The slot is freed; its index stays (a slot taken again has another owner).
            inspectAIStream(stream, owner: AIStreamTable.owner(state: state, stream: table.streams[Int(slot)].id), final: true)
            noteHTTP2AnswerBlock(state: state, slot: slot)
        }
        if side.length > side.headerEnd && !side.bodyFullReported {
            inspectHTTP2Body(state: state, slot: slot, request: request, cut: false, &ctx)
        }
        if !request { table.remove(state, slot) }
    }

    /// A stream side's body (whole, or up to a full buffer: `cut`) to AI inspection and the
    /// body phase of the signatures.
    mutating func inspectHTTP2Body(state: Int32, slot: Int32, request: Bool, cut: Bool, _ ctx: inout DetectContext) {
        let s = Int(state)
        let table = detector!.http2
        let side = table.side(slot, request: request)
        let buffer = table.buffer(slot, request: request)
        let block = UnsafeRawBufferPointer(start: buffer, count: side.headerEnd)
        let body = UnsafeRawBufferPointer(start: buffer + side.headerEnd, count: side.length - side.headerEnd)
        if ai != nil && (request || table.streams[Int(slot)].aiStream < 0) {
            // The operation is the stream's: streams of one connection interleave.
            if !request { detector!.states[s].aiOperation = table.streams[Int(slot)].aiOperation }
            inspectAIMessage(state: state, toServer: request, block: block, body: body, cut: cut)
            if request { table.streams[Int(slot)].aiOperation = detector!.states[s].aiOperation }
            ai!.http2 = true
            if request && ai!.blockedRequest != nil && ai!.http2Stream == 0 {
                let stream = table.streams[Int(slot)]
                let connection = table.connections[s]
                ai!.http2Stream = stream.id
                ai!.http2Window = connection.clientWindow(grants: stream.clientGrants, sent: 0)
                // Streams the client opened in this packet never reached the server: it may retry them.
                ai!.http2LastStream = max(stream.id, connection.highestBeforePacket)
            }
            if !request { noteHTTP2AnswerBlock(state: state, slot: slot) }
        }
        detector!.statistics.httpBodies &+= 1
        inspectHTTP2Phase(request ? .httpRequestBody : .httpResponseBody, block: block, body: body, toServer: request, &ctx)
    }

    /// A blocked answer on `slot`'s stream: what the verdict (`finishAI`) needs to end that
    /// stream in the client's view. Where the frame that carried the block began in this
    /// server packet (the frames before it pass, it and what follows are replaced; -1 when it
    /// began in an earlier packet, part of it already forwarded), whether the answer is an
    /// event stream, the room the client's flow control leaves on the stream (counting the
    /// replaced frames as sent: a little less than the truth, never more), and the highest
    /// stream the client opened (all reached the server). The first block of a packet counts.
    mutating func noteHTTP2AnswerBlock(state: Int32, slot: Int32) {
        guard let ai, ai.blockedResponse, ai.http2Stream == 0 else { return }
        let table = detector!.http2
        let connection = table.connections[Int(state)]
        let reader = connection.server
        let stream = table.streams[Int(slot)]
        let start = reader.isBlockFrame ? reader.blockStart : reader.frameStart
        ai.http2 = true
        ai.http2Stream = stream.id
        ai.http2Keep = start >= reader.packetStart ? Int(start - reader.packetStart) : -1
        ai.http2Window = connection.clientWindow(grants: stream.clientGrants, sent: stream.serverData)
        ai.http2LastStream = connection.highestClientStream
        let buffer = table.buffer(slot, request: false)
        let head = UnsafeRawBufferPointer(start: buffer, count: stream.response.headerEnd)
        let body = UnsafeRawBufferPointer(start: buffer + stream.response.headerEnd,
                                          count: stream.response.length - stream.response.headerEnd)
        if let operation = AIOperation(rawValue: stream.aiOperation) {
            ai.http2EventStream = AIExchangeParser.framing(operation, contentType: HTTPHeaderFields(head).value(named: "content-type"),
                                                           body: body) != nil
        }
    }

    /// The HTTP buffers of a stream's message, inspected as HTTP (`alert http` rules read
    /// HTTP/2 messages as Suricata's do).
    mutating func inspectHTTP2Phase(_ phase: DetectPhase, block: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer?,
                                    toServer: Bool, _ ctx: inout DetectContext) {
        let scratch = detector!.scratch
        scratch.beginInspection()
        scratch.setSource(.payload, UnsafeRawBufferPointer(start: scratch.window, count: scratch.windowLength))
        HTTPBuffers.fill(scratch, block: block, isResponse: !toServer, body: body)
        let application = ctx.application
        ctx.application = .http1
        detector!.inspectPhase(phase, &ctx)
        ctx.application = application
    }

    /// A stream reset (or its session's end): its open files end, cut; its slot is freed.
    mutating func closeHTTP2Stream(state: Int32, slot: Int32, sink: ((EndedFile) -> Void)? = nil) {
        let table = detector!.http2
        let stream = table.streams[Int(slot)].aiStream
        if stream >= 0, let ai, ai.streams.owns(stream, AIStreamTable.owner(state: state, stream: table.streams[Int(slot)].id)) {
            ai.streams.close(stream)
        }
        for request in [true, false] {
            let file = table.side(slot, request: request).file
            guard file >= 0, let result = detector!.files?.close(file, complete: false) else { continue }
            if let sink { sink(result) } else { detector!.endedFiles.append(result) }
        }
        table.remove(state, slot)
    }

    /// A session leaves the table: its HTTP/2 streams end, their open files cut (`TRUNCATED`).
    mutating func endHTTP2Streams<Sink: EventSink>(_ session: Session, sink: inout Sink) {
        let state = session.detectionState
        guard detector != nil, state >= 0, Int(state) < detector!.states.count, detector!.states[Int(state)].http2 else { return }
        let table = detector!.http2
        var ended: [EndedFile] = []
        while table.hasConnection(state), table.connections[Int(state)].head >= 0 {
            closeHTTP2Stream(state: state, slot: table.connections[Int(state)].head) { ended.append($0) }
        }
        for result in ended { sink.fileInfo(fileRecord(result, session: session, packetNumber: 0, action: "allowed")) }
        detector!.states[Int(state)].http2 = false
    }
}
