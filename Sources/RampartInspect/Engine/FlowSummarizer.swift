import RampartPolicy
import RampartWire

/// The sessions being counted instead of written, per (source, destination port, rule),
/// for the current interval (`RecordBudget`). Bounded: at most `maxSummaries` keys, then
/// one overflow entry per rule and reason. Touched only when a session ends (the cold
/// path, where a flow record would otherwise be built) and once per interval.
@usableFromInline
struct FlowSummarizer {
    struct Key: Hashable {
        var client: IPAddress?
        var serverPort: UInt16
        var ipProtocol: UInt8
        var rule: Int32
        var tunnelVNI: UInt32
        var reason: FlowSummary.Reason
    }

    struct Entry {
        /// Sessions counted (not written); 0 for a key whose only session was written whole.
        var sessions: UInt64 = 0
        var packets: UInt64 = 0
        var bytes: UInt64 = 0
        var start = Timestamp.zero
        var end = Timestamp.zero
        var destinations: [IPAddress] = []
        /// The first counted session's source tag set, held in the engine's policy.
        var clientTagSet: UInt32 = 0
        var clientZone: UInt16 = Session.zoneNotTaken
        var serverZone: UInt16 = Session.zoneNotTaken
        var action: UInt8 = 0

        /// Counts one more session; the first one counted gives the identity shown.
        mutating func count(_ session: Session, policy: PolicyMatcher) {
            if sessions == 0 {
                start = session.firstSeen
                clientTagSet = policy.holdTags(inSet: session.clientTagSet)
                clientZone = session.clientZone
                serverZone = session.serverZone
                action = session.action
            }
            sessions &+= 1
            packets &+= session.toServer.packets
            bytes &+= session.toServer.bytes
            if session.lastSeen > end { end = session.lastSeen }
            let server = session.server.address
            if destinations.count < FlowSummary.sampledDestinations && !destinations.contains(server) {
                destinations.append(server)
            }
        }
    }

    let budget: RecordBudget
    var entries: [Key: Entry] = [:]
    /// The second of packet time `written` counts flow records for.
    var second: Int64 = .min
    var written = 0
    /// When the current interval ends (seconds of packet time); `.max` while nothing is held.
    @usableFromInline var intervalEnd: Int64 = .max

    init(_ budget: RecordBudget) {
        self.budget = budget
        if budget.isOn { entries.reserveCapacity(min(budget.maxSummaries, 1 << 16) + 64) }
    }
}

extension Engine {
    /// Whether a session's end record is written whole; otherwise it is counted in a
    /// summary (and its tag set held there until the summary is written).
    @usableFromInline
    mutating func admitRecord<Sink: EventSink>(of session: Session, sink: inout Sink) -> Bool {
        let budget = summarizer.budget
        guard budget.isOn else { return true }
        let denied = session.action != RuleAction.allow.rawValue && session.toClient.packets == 0
        let summariseDenied = denied && budget.summaryIntervalSeconds > 0
        if now.seconds != summarizer.second {
            summarizer.second = now.seconds
            summarizer.written = 0
        }
        let withinBudget = budget.flowsPerSecond == 0 || summarizer.written < budget.flowsPerSecond
        if !summariseDenied && withinBudget {
            summarizer.written &+= 1
            return true
        }
        let reason: FlowSummary.Reason = summariseDenied ? .deniedUnanswered : .overBudget
        var key = FlowSummarizer.Key(
            client: session.client.address, serverPort: session.server.port, ipProtocol: session.key.ipProtocol.rawValue,
            rule: session.ruleIndex, tunnelVNI: session.key.tunnelVNI, reason: reason)
        if summarizer.intervalEnd == .max {
            let interval = Int64(budget.intervalSeconds)
            summarizer.intervalEnd = (now.seconds / interval + 1) * interval
        }
        if summarizer.entries[key] == nil {
            if summarizer.entries.count >= budget.maxSummaries {
                // Full: this rule's further sessions are counted together, without a source.
                key.client = nil
                if summarizer.entries[key] == nil { noteSummaryTableFull(session, sink: &sink) }
            } else if summariseDenied && withinBudget {
                // The first of its key this interval is written whole; the rest are counted.
                summarizer.entries[key] = FlowSummarizer.Entry()
                summarizer.written &+= 1
                return true
            }
        }
        stats.flowsSummarised &+= 1
        // In place: the entry's destination list is not copied to be appended to.
        summarizer.entries[key, default: FlowSummarizer.Entry()].count(session, policy: policy)
        return false
    }
}

extension Engine {
    /// The summary table is full: counted, and logged as an anomaly (rate-limited) naming
    /// the source that found it full.
    mutating func noteSummaryTableFull<Sink: EventSink>(_ session: Session, sink: inout Sink) {
        stats.limits.count(.flowSummaries)
        anomalyLimiter.admit(
            AnomalyRecord(
                timestamp: now, event: EngineLimit.flowSummaries.event, packetNumber: 0,
                sourceAddress: session.client.address, sourcePort: session.client.port,
                destinationAddress: session.server.address, destinationPort: session.server.port,
                ipProtocol: session.key.ipProtocol),
            sink: &sink)
    }
}

extension Engine {
    /// Writes one summary per key that counted sessions this interval, oldest first, and
    /// starts a new interval. Called when packet time passes the interval's end, before a
    /// policy swap (rule numbers and tag sets belong to the running policy) and at the end.
    @usableFromInline
    mutating func flushSummaries<Sink: EventSink>(sink: inout Sink) {
        guard !summarizer.entries.isEmpty else {
            summarizer.intervalEnd = .max
            return
        }
        let end = Timestamp(seconds: min(summarizer.intervalEnd, now.seconds), nanoseconds: 0)
        let rules = policy.rules
        var counted = summarizer.entries.filter { $0.value.sessions > 0 }
            .sorted { ($0.value.start, $0.key.serverPort) < ($1.value.start, $1.key.serverPort) }
        for (key, entry) in counted {
            let rule = Int(key.rule)
            let action = RuleAction(rawValue: entry.action) ?? .drop
            func zone(_ id: UInt16) -> String { id == Session.zoneNotTaken ? "" : policy.zoneName(ZoneID(rawValue: id)) }
            sink.flowSummary(FlowSummary(
                timestamp: max(end, entry.end), start: entry.start, end: entry.end,
                clientAddress: key.client, serverPort: key.serverPort,
                ipProtocol: IPProtocol(rawValue: key.ipProtocol), tunnelVNI: key.tunnelVNI, reason: key.reason,
                sessions: entry.sessions, packetsToServer: entry.packets, bytesToServer: entry.bytes,
                destinations: entry.destinations,
                rule: rule >= 0 && rule < rules.count ? rules[rule].name : "", action: action.name,
                sourceZone: zone(entry.clientZone), destinationZone: zone(entry.serverZone),
                sourceTags: policy.tags(inSet: entry.clientTagSet).map(\.description)))
            policy.releaseTags(entry.clientTagSet)
            stats.flowSummaries &+= 1
        }
        counted.removeAll()
        summarizer.entries.removeAll(keepingCapacity: true)
        summarizer.intervalEnd = .max
    }
}
