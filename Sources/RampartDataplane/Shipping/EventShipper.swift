#if canImport(Glibc)
import Glibc
#endif
import RampartJSON
import RampartPOSIX
import RampartWire

/// Sends the event files to a TCP syslog collector from one thread of its own: reads
/// eve.json.N … eve.json in order (`EventFileReader`), makes each line the RFC 5424
/// message the forwarder makes (`SyslogMessageWriter`), frames it by octet counting
/// (`SyslogStream.appendFrame`), and counts a record delivered once the collector's kernel
/// has acknowledged its last byte (`ShipConnection.unacknowledged`, SIOCOUTQ). The cursor
/// of what was delivered is saved beside the events at most every 100 ms, so a restart
/// resumes there (at least once: records after the last saved cursor may go twice), and
/// rotation keeps every file past it (`EventHold`).
///
/// A collector that is down or slow costs nothing but disk: records wait in the files and
/// go out when it answers (dialled again after 0.1 s doubling to 10 s). Workers never wait
/// for it; the shipper only reads files.
///
/// ```swift
/// let shipper = try EventShipper(delivery: delivery, target: SyslogTarget(parsing: "tcp://10.0.0.53:514")!)
/// shipper.start()              // resumes at the saved cursor, then ships on its own thread
/// shipper.stop(drainSeconds: 2)
/// ```
public final class EventShipper: @unchecked Sendable {
    // Unchecked: everything below `control` belongs to the shipping thread alone, touched
    // by `start` only before that thread exists; `control` guards the stop request.
    public let delivery: EventDelivery
    public let target: SyslogTarget
    /// Read after each policy reload: a changed value resolves the target's name again.
    public var reloadGeneration: (@Sendable () -> Int)?

    /// Bytes sent and not yet acknowledged before the shipper stops reading.
    static let window = 1 << 20
    /// Bytes of frames made per batch.
    static let batchBytes = 64 << 10
    static let saveInterval: Int64 = 100_000_000
    static let gaugeInterval: Int64 = 250_000_000

    private let control = Condition()
    private var started = false
    private var stopRequested = false
    private var drainUntil: Int64 = 0
    private var finished = false

    private var connection: ShipConnection
    private var reader: EventFileReader
    private var ledger = ShipLedger()
    private var writer = SyslogMessageWriter()
    /// A batch of frames; `outgoing[..<outgoingSent]` is with the kernel.
    private var outgoing: [UInt8] = []
    private var outgoingSent = 0
    private var frameEnds: [Int] = []
    private var framesHanded = 0
    /// The collector's kernel has every record before this.
    private var delivered: ShipCursor?
    private var saved: ShipCursor?
    private var lastSave: Int64 = 0
    private var lastGauges: Int64 = 0
    private var published = (connects: 0, truncated: 0)
    private var reportedDown = false
    private var reportedSaveFailure = false
    private var generation = 0
    private var truncationsSeen = 0
    /// Bytes of this connection's stream the collector acknowledged, as last asked.
    private var acknowledged = 0

    /// Resolves `target` (getaddrinfo: call at start).
    public init(delivery: EventDelivery, target: SyslogTarget, maximumBackoffSeconds: Double = 10) throws(SyslogTargetError) {
        self.delivery = delivery
        self.target = target
        connection = ShipConnection(destination: try target.resolve(), maximumBackoffNanoseconds: Int64(maximumBackoffSeconds * 1e9))
        reader = EventFileReader(path: delivery.events)
        outgoing.reserveCapacity(Self.batchBytes + SyslogForwarder.maximumLength + 16)
    }

    /// Finds where delivery stood (the saved cursor) and starts the shipping thread. Without
    /// a cursor (the first start with TCP syslog) shipping starts at the end of the live
    /// file, and that cursor is saved at once, before any record is written.
    public func start() {
        control.lock()
        defer { control.unlock() }
        guard !started else { return }
        started = true
        generation = reloadGeneration?() ?? 0
        resume()
        let handoff = self
        NamedThread.start(name: "rampart-shipper") { handoff.run() }
    }

    /// Asks the thread to stop once everything written is acknowledged or `drainSeconds`
    /// have passed, and waits for it; the cursor is saved on the way out.
    public func stop(drainSeconds: Double = 2) {
        control.lock()
        defer { control.unlock() }
        guard started else { return }
        stopRequested = true
        drainUntil = Self.monotonic() + Int64(max(drainSeconds, 0) * 1e9)
        control.broadcast()
        while !finished { control.wait(seconds: 0.1) }
    }

    private func resume() {
        let cursor: ShipCursor?
        do {
            cursor = try ShipCursor.load(from: delivery.cursorPath)
        } catch {
            delivery.report("warning", "ship-cursor-unreadable", "\(error); shipping starts again at the oldest event file (records may be sent twice)")
            openReader(at: nil)
            return
        }
        guard let cursor else {
            let live = EventFiles.list(delivery.events).last { $0.index == 0 }
            let end = live.map { ShipCursor(file: $0.identity, offset: $0.size) }
            delivery.report("info", "ship-cursor-new",
                            "no shipping cursor at \(delivery.cursorPath): shipping to \(target) starts at the end of \(delivery.events); records written before now are not sent")
            delivered = end
            saveCursor(now: Self.monotonic())
            openReader(at: end)
            return
        }
        delivered = cursor
        saved = cursor
        if openReader(at: cursor) == .atOldest {
            delivery.report("warning", "ship-cursor-file-gone",
                            "the event file of the shipping cursor (\(cursor)) is gone; shipping starts again at the oldest event file")
        }
    }

    @discardableResult
    private func openReader(at cursor: ShipCursor?) -> EventFileReader.Start {
        let start = reader.open(at: cursor)
        if start == .atOldest || delivered == nil { delivered = reader.isOpen ? reader.position : nil }
        return start
    }

    private enum Pause: Equatable { case idle, acknowledgements, writable, connecting(Int64) }

    private func run() {
        while true {
            let now = Self.monotonic()
            control.lock()
            let stopping = stopRequested, until = drainUntil
            control.unlock()
            let pause = step(now: now)
            // Caught up: every record written is acknowledged (`.idle` says the reader is
            // at the end of the live file with nothing in flight).
            if stopping && (now >= until || pause == .idle) { break }
            wait(pause)
        }
        acknowledge()
        saveCursor(now: Self.monotonic(), force: true)
        publishGauges(now: Self.monotonic())
        connection.close()
        reader.close()
        control.lock()
        finished = true
        control.broadcast()
        control.unlock()
    }

    private func step(now: Int64) -> Pause {
        checkReload(now: now)
        if !connection.isConnected {
            guard connection.establish(now: now, waitingMilliseconds: 20) else {
                if connection.state == .disconnected && connection.lastError != 0 { reportDown() }
                maintain(now: now)
                return connection.state == .connecting ? .connecting(0) : .connecting(connection.retryDelay(now: now))
            }
            if reportedDown {
                reportedDown = false
                delivery.report("info", "syslog-reconnected", "syslog collector \(target) (\(connection.destination)) answers again; shipping from \(delivered.map(\.description) ?? "the oldest event file")")
            }
        }
        acknowledge()
        if connection.peerHungUp(now: now) { return lost(now: now) }
        guard sendOutgoing(now: now) else { return lost(now: now) }
        while outgoingSent == outgoing.count && connection.sent - acknowledged < Self.window && fill() {
            guard sendOutgoing(now: now) else { return lost(now: now) }
        }
        maintain(now: now)
        if outgoingSent < outgoing.count { return .writable }
        return ledger.isEmpty ? .idle : .acknowledgements
    }

    private func wait(_ pause: Pause) {
        switch pause {
        case .writable:
            connection.waitWritable(milliseconds: 50)
        case .acknowledgements, .idle, .connecting:
            var seconds = 0.05
            if case .acknowledgements = pause { seconds = 0.01 }
            if case .connecting(let delay) = pause { seconds = min(max(Double(delay) / 1e9, 0.005), 0.05) }
            control.lock()
            _ = control.wait(seconds: seconds)
            control.unlock()
        }
    }

    private func acknowledge() {
        guard let unacknowledged = connection.unacknowledged() else { return }
        acknowledged = connection.sent - unacknowledged
        let done = ledger.acknowledge(upTo: acknowledged)
        if let position = done.position { delivered = position }
        if done.records > 0 || done.bytes > 0 {
            delivery.shippedRecords.add(UInt64(done.records), ordering: .relaxed)
            delivery.shippedBytes.add(UInt64(done.bytes), ordering: .relaxed)
        }
    }

    /// Frames the next records into `outgoing`; false when there was nothing new.
    private func fill() -> Bool {
        // No event file yet when shipping started: look again.
        if !reader.isOpen { openReader(at: delivered) }
        outgoing.removeAll(keepingCapacity: true)
        outgoingSent = 0
        frameEnds.removeAll(keepingCapacity: true)
        framesHanded = 0
        let base = connection.sent
        var progressed = false
        while outgoing.count < Self.batchBytes {
            switch reader.next() {
            case .record:
                let type = Self.eventType(in: reader.head)
                reader.head.withUnsafeBufferPointer {
                    writer.write(eventType: reader.head[type], severity: SyslogMessageWriter.severity(ofEventType: reader.head[type]), json: $0)
                }
                writer.message.withUnsafeBufferPointer { SyslogStream.appendFrame($0, to: &outgoing) }
                frameEnds.append(outgoing.count)
                ledger.append(ShipLedger.Entry(streamEnd: base + outgoing.count, position: reader.position, bytes: reader.recordBytes, records: 1))
                progressed = true
            case .switched:
                ledger.append(ShipLedger.Entry(streamEnd: base + outgoing.count, position: reader.position, bytes: 0, records: 0))
                progressed = true
            case .waiting:
                if reader.truncations != truncationsSeen {
                    truncationsSeen = reader.truncations
                    delivery.report("warning", "events-truncated",
                                    "\(delivery.events) was truncated in place (logrotate copytruncate?); shipping starts it again from its first byte, and what it held but had not been read is not sent. Let the firewall rotate (eventsMaxBytes) instead")
                }
                return progressed
            }
        }
        return progressed
    }

    /// Hands `outgoing` to the kernel as far as it takes it; false when the connection broke.
    private func sendOutgoing(now: Int64) -> Bool {
        while outgoingSent < outgoing.count {
            let taken = outgoing.withUnsafeBytes { connection.send(UnsafeRawBufferPointer(rebasing: $0[outgoingSent...]), now: now) }
            guard let taken else { return false }
            if taken == 0 { break }
            outgoingSent += taken
        }
        var handed = 0
        while framesHanded < frameEnds.count && frameEnds[framesHanded] <= outgoingSent {
            framesHanded += 1
            handed += 1
        }
        if handed > 0 { delivery.messages.add(UInt64(handed), ordering: .relaxed) }
        return true
    }

    /// The connection broke: what was not acknowledged is read again from the files and
    /// sent on the next connection.
    private func lost(now: Int64) -> Pause {
        if connection.state != .disconnected { connection.drop(now: now) }
        rewind()
        reportDown()
        maintain(now: now)
        return .connecting(connection.retryDelay(now: now))
    }

    /// Forgets what is in flight and reads again from the delivered cursor.
    private func rewind() {
        ledger.removeAll()
        outgoing.removeAll(keepingCapacity: true)
        outgoingSent = 0
        frameEnds.removeAll(keepingCapacity: true)
        framesHanded = 0
        acknowledged = 0
        openReader(at: delivered)
    }

    private func reportDown() {
        guard !reportedDown else { return }
        reportedDown = true
        let reason = connection.lastError == 0 ? "connection lost" : String(cString: strerror(connection.lastError))
        delivery.report("warning", "syslog-unreachable",
                        "syslog collector \(target) (\(connection.destination)): \(reason); records wait in the event files and go out when it answers (rampart_events_backlog_bytes)")
    }

    /// A reload asks for the target's name to be resolved again; a new address is used at
    /// once (what was not acknowledged goes again), a failure keeps the old one.
    private func checkReload(now: Int64) {
        guard let current = reloadGeneration?(), current != generation else { return }
        generation = current
        guard IPAddress(target.host) == nil else { return }
        do {
            let address = try target.resolve()
            guard address != connection.destination else { return }
            acknowledge()
            connection.redirect(to: address, now: now)
            rewind()
        } catch {
            delivery.report("warning", "syslog-resolve-failed", "\(error); syslog keeps sending to \(connection.destination)")
        }
    }

    private func maintain(now: Int64) {
        if delivered != saved && now - lastSave >= Self.saveInterval { saveCursor(now: now) }
        if now - lastGauges >= Self.gaugeInterval { publishGauges(now: now) }
    }

    private func saveCursor(now: Int64, force: Bool = false) {
        guard let delivered, delivered != saved || force else { return }
        lastSave = now
        do {
            try delivered.save(to: delivery.cursorPath)
            saved = delivered
            if reportedSaveFailure {
                reportedSaveFailure = false
                delivery.report("info", "ship-cursor-saved", "the shipping cursor is saved again at \(delivery.cursorPath)")
            }
        } catch {
            guard !reportedSaveFailure else { return }
            reportedSaveFailure = true
            delivery.report("error", "ship-cursor-save-failed",
                            "\(error); rotation keeps the files delivered since the last saved cursor, and a restart sends them again")
        }
    }

    private func publishGauges(now: Int64) {
        lastGauges = now
        let files = EventFiles.list(delivery.events)
        let backlog = EventHold.backlog(files, cursor: delivered)
        delivery.backlogBytes.store(UInt64(backlog), ordering: .relaxed)
        // Held as rotation sees it: by the saved cursor.
        let held = EventHold.held(files, delivered: EventHold.delivered(files, cursor: saved), keep: delivery.keep)
        delivery.setHeld(files: held.files, bytes: held.bytes)
        delivery.connects.add(UInt64(connection.connects - published.connects), ordering: .relaxed)
        delivery.truncated.add(UInt64(writer.truncated - published.truncated), ordering: .relaxed)
        published = (connection.connects, writer.truncated)
    }

    /// The range of `"event_type":"…"`'s value in a line head (empty when it has none).
    static func eventType(in head: [UInt8]) -> Range<Int> {
        let key = Array(#""event_type":""#.utf8)
        guard head.count > key.count else { return 0 ..< 0 }
        var i = 0
        while i + key.count <= head.count {
            if head[i] == key[0] && head[i ..< i + key.count].elementsEqual(key) {
                let start = i + key.count
                let end = head[start...].firstIndex(of: UInt8(ascii: "\"")) ?? start
                return start ..< end
            }
            i += 1
        }
        return 0 ..< 0
    }

    static func monotonic() -> Int64 {
        var t = timespec()
        clock_gettime(CLOCK_MONOTONIC, &t)
        return Int64(t.tv_sec) * 1_000_000_000 + Int64(t.tv_nsec)
    }
}
