import RampartHTTP
import RampartInspect
import RampartWire

/// A copy of the firewall's counters, published by the I/O thread every few hundred
/// milliseconds (off the per-packet path) and read by the admin server.
///
/// ```swift
/// board.publish(FirewallSnapshot(counters: c, engine: e.statistics, activeSessions: e.activeSessions, ruleNames: names))
/// print(board.snapshot.prometheusText())
/// ```
public struct FirewallSnapshot: Sendable {
    public var counters = DataplaneCounters()
    public var engine = EngineStatistics()
    public var activeSessions = 0
    public var ruleNames: [String] = []
    /// True once the socket is bound and the policy loaded.
    public var ready = false
    /// Per worker: datagrams received and sessions tracked (filled by `sum`).
    public var workerLoad: [(datagrams: UInt64, sessions: Int)] = []
    /// The generation of the policy this worker runs (0: the one it started with); per
    /// worker after `sum`.
    public var policyGeneration = 0
    public var workerPolicyGenerations: [Int] = []
    /// The generation the board published last (filled by `MetricsBoard.snapshot`).
    public var publishedPolicyGeneration = 0
    /// Tag batches refused for passing `maxTaggedAddresses` (filled by `MetricsBoard.snapshot`).
    public var oversizeTagBatches = 0
    /// Addresses in the admin tag map, and its bound (filled by `MetricsBoard.snapshot`).
    public var taggedAddresses = 0
    public var maxTaggedAddresses = 0
    /// Shipping of the event files and what rotation held (`EventDelivery`; the board adds
    /// it to the workers' sum, all zero without TCP syslog to an event file).
    public var events = EventDeliveryCounters()

    public init() {}

    public init(counters: DataplaneCounters, engine: EngineStatistics, activeSessions: Int, ruleNames: [String], ready: Bool) {
        self.counters = counters
        self.engine = engine
        self.activeSessions = activeSessions
        self.ruleNames = ruleNames
        self.ready = ready
    }

    /// The workers' snapshots added up: counters summed, rule hits per rule, ready when all are.
    public static func sum(_ parts: [FirewallSnapshot]) -> FirewallSnapshot {
        guard var total = parts.first else { return FirewallSnapshot() }
        total.workerLoad = parts.map { ($0.counters.datagramsReceived, $0.activeSessions) }
        total.workerPolicyGenerations = parts.map(\.policyGeneration)
        for part in parts.dropFirst() {
            let c = part.counters
            total.counters.datagramsReceived &+= c.datagramsReceived
            total.counters.bytesReceived &+= c.bytesReceived
            total.counters.datagramsSent &+= c.datagramsSent
            total.counters.bytesSent &+= c.bytesSent
            total.counters.framesForwarded &+= c.framesForwarded
            total.counters.resetsSent &+= c.resetsSent
            total.counters.urlPagesSent &+= c.urlPagesSent
            total.counters.checksumsCompleted &+= c.checksumsCompleted
            total.counters.framesSegmented &+= c.framesSegmented
            total.counters.segmentsCreated &+= c.segmentsCreated
            total.counters.receiveBatches &+= c.receiveBatches
            total.counters.coalescedReceives &+= c.coalescedReceives
            total.counters.coalescedDatagrams &+= c.coalescedDatagrams
            total.counters.segmentedSends &+= c.segmentedSends
            total.counters.segmentedDatagrams &+= c.segmentedDatagrams
            total.counters.segmentedSendFallbacks &+= c.segmentedSendFallbacks
            total.counters.syslogMessages &+= c.syslogMessages
            total.counters.syslogTruncated &+= c.syslogTruncated
            total.counters.syslogConnects &+= c.syslogConnects
            for i in 0 ..< min(total.counters.syslogErrors.count, c.syslogErrors.count) { total.counters.syslogErrors[i] &+= c.syslogErrors[i] }
            // Reloads and tag updates happen in every worker at once: counted once (worker 0's).
            for i in 0 ..< min(total.counters.drops.count, c.drops.count) { total.counters.drops[i] &+= c.drops[i] }
            let e = part.engine
            total.engine.packets &+= e.packets
            total.engine.bytes &+= e.bytes
            total.engine.nonIPPackets &+= e.nonIPPackets
            total.engine.malformedPackets &+= e.malformedPackets
            total.engine.sessionsCreated &+= e.sessionsCreated
            total.engine.sessionsEnded &+= e.sessionsEnded
            total.engine.sessionsEvicted &+= e.sessionsEvicted
            total.engine.flowsSummarised &+= e.flowsSummarised
            total.engine.flowSummaries &+= e.flowSummaries
            total.engine.packetsForwarded &+= e.packetsForwarded
            total.engine.packetsDropped &+= e.packetsDropped
            total.engine.packetsReset &+= e.packetsReset
            total.engine.anomalies.add(e.anomalies)
            total.engine.limits.add(e.limits)
            total.engine.appIDUnbuffered &+= e.appIDUnbuffered
            for (key, count) in e.urlFiltering { total.engine.urlFiltering[key, default: 0] &+= count }
            total.engine.urlPages &+= e.urlPages
            total.engine.urlOverridesRefused &+= e.urlOverridesRefused
            total.engine.detection.alerts &+= e.detection.alerts
            total.engine.detection.blocked &+= e.detection.blocked
            total.engine.detection.matches &+= e.detection.matches
            total.engine.detection.suppressed &+= e.detection.suppressed
            total.engine.detection.scannedBytes &+= e.detection.scannedBytes
            total.engine.dnsSecurity.add(e.dnsSecurity)
            total.engine.fragmentsHeld &+= e.fragmentsHeld
            total.engine.fragmentsForwarded &+= e.fragmentsForwarded
            total.engine.fragmentsDropped &+= e.fragmentsDropped
            total.engine.fragmentDatagramsPending &+= e.fragmentDatagramsPending
            total.engine.fragmentBytesHeld &+= e.fragmentBytesHeld
            total.engine.datagramsReassembled &+= e.datagramsReassembled
            if part.ruleNames == total.ruleNames {
                for i in 0 ..< min(total.engine.ruleHits.count, e.ruleHits.count) { total.engine.ruleHits[i] &+= e.ruleHits[i] }
            }
            total.activeSessions += part.activeSessions
            total.ready = total.ready && part.ready
        }
        return total
    }

    /// The Prometheus text exposition (version 0.0.4).
    public func prometheusText() -> String {
        var page = PrometheusText()
        func metric(_ name: String, _ type: PrometheusText.Kind, _ help: String, _ samples: [(String, UInt64)]) {
            page.header(name, type, help)
            page.raw(samples.map { "\(name)\($0.0) \($0.1)\n" }.joined())
        }
        let escape = PrometheusText.escape
        metric("rampart_datagrams_received_total", .counter, "Tunnel datagrams received.", [("", counters.datagramsReceived)])
        metric("rampart_bytes_received_total", .counter, "Tunnel bytes received (UDP payload).", [("", counters.bytesReceived)])
        metric("rampart_datagrams_sent_total", .counter, "Tunnel datagrams sent back.", [("", counters.datagramsSent)])
        metric("rampart_bytes_sent_total", .counter, "Tunnel bytes sent back (UDP payload).", [("", counters.bytesSent)])
        metric("rampart_frames_forwarded_total", .counter, "Inner frames allowed and sent back.", [("", counters.framesForwarded)])
        metric("rampart_resets_sent_total", .counter, "TCP resets sent by reset rules.", [("", counters.resetsSent)])
        metric("rampart_checksums_completed_total", .counter, "Inner checksums completed (offload left them unfinished).", [("", counters.checksumsCompleted)])
        metric("rampart_frames_segmented_total", .counter, "Oversized TCP packets cut to the inner MTU.", [("", counters.framesSegmented)])
        metric("rampart_segments_created_total", .counter, "Segments made from oversized TCP packets.", [("", counters.segmentsCreated)])
        metric("rampart_receive_batches_total", .counter, "recvmmsg calls that returned datagrams.", [("", counters.receiveBatches)])
        metric("rampart_gro_receives_total", .counter, "Receives holding several datagrams coalesced by UDP GRO.", [("", counters.coalescedReceives)])
        metric("rampart_gro_datagrams_total", .counter, "Datagrams that arrived in coalesced receives (over rampart_gro_receives_total: datagrams per coalesced receive).", [("", counters.coalescedDatagrams)])
        metric("rampart_gso_sends_total", .counter, "Sends carrying a run of datagrams cut by the kernel (UDP GSO).", [("", counters.segmentedSends)])
        metric("rampart_gso_datagrams_total", .counter, "Datagrams sent inside UDP GSO sends.", [("", counters.segmentedDatagrams)])
        metric("rampart_gso_fallbacks_total", .counter, "UDP GSO sends refused by the kernel and sent one datagram at a time.", [("", counters.segmentedSendFallbacks)])
        metric("rampart_drops_total", .counter, "Datagrams dropped, by reason.",
               DropReason.allCases.map { ("{reason=\"\($0.label)\"}", counters.dropped($0)) })
        metric("rampart_policy_reloads_total", .counter, "Policy reloads, by result.",
               [("{result=\"ok\"}", counters.policyReloads), ("{result=\"rejected\"}", counters.policyReloadFailures)])
        metric("rampart_policy_generation", .gauge,
               "The policy generation published last (each reload that loaded is one more; 0: the policy the firewall started with).",
               [("", UInt64(max(publishedPolicyGeneration, 0)))])
        if !workerPolicyGenerations.isEmpty {
            metric("rampart_worker_policy_generation", .gauge, "The policy generation each worker runs (all equal once a reload is adopted).",
                   workerPolicyGenerations.enumerated().map { ("{worker=\"\($0.offset)\"}", UInt64(max($0.element, 0))) })
        }
        metric("rampart_tagged_addresses", .gauge, "Addresses in the admin tag map.", [("", UInt64(max(taggedAddresses, 0)))])
        metric("rampart_tagged_addresses_limit", .gauge, "Addresses the admin tag map may hold (spec.maxTaggedAddresses).", [("", UInt64(max(maxTaggedAddresses, 0)))])
        metric("rampart_tag_batches_refused_total", .counter, "Tag batches refused whole because the admin map would pass its limit.",
               [("{reason=\"too_many_addresses\"}", UInt64(max(oversizeTagBatches, 0)))])
        metric("rampart_tag_updates_total", .counter, "Address-to-tag updates applied from the admin API.", [("", counters.tagUpdates)])
        metric("rampart_syslog_messages_total", .counter, "Syslog messages sent whole (UDP datagrams, TCP frames).", [("", counters.syslogMessages &+ events.messages)])
        metric("rampart_syslog_errors_total", .counter, "Syslog messages lost, by reason.",
               zip(["send_failed", "queue_full", "disconnected"], counters.syslogErrors).map { ("{reason=\"\($0.0)\"}", $0.1) })
        metric("rampart_syslog_truncated_total", .counter, "Syslog messages cut to 2048 bytes.", [("", counters.syslogTruncated &+ events.truncated)])
        metric("rampart_syslog_connects_total", .counter, "Syslog TCP connection attempts.", [("", counters.syslogConnects &+ events.connects)])
        metric("rampart_events_shipped_records_total", .counter,
               "Event records the TCP syslog collector acknowledged (shipped from the event files).", [("", events.shippedRecords)])
        metric("rampart_events_shipped_bytes_total", .counter,
               "Event-file bytes the TCP syslog collector acknowledged.", [("", events.shippedBytes)])
        metric("rampart_events_backlog_bytes", .gauge,
               "Event-file bytes the TCP syslog collector has not acknowledged yet.", [("", events.backlogBytes)])
        metric("rampart_events_held_files", .gauge,
               "Rotated event files kept beyond eventsKeep because the syslog collector has not received them.", [("", events.heldFiles)])
        metric("rampart_events_held_bytes", .gauge,
               "Bytes of the rotated event files kept beyond eventsKeep because unsent (bounded by eventsHoldMaxBytes).", [("", events.heldBytes)])
        metric("rampart_events_unwritten_records_total", .counter,
               "Event records not written because rotating would have deleted unsent files past eventsHoldMaxBytes.", [("", events.unwrittenRecords)])
        metric("rampart_events_unwritten_bytes_total", .counter,
               "Bytes of the event records not written because the hold was full.", [("", events.unwrittenBytes)])
        metric("rampart_packets_total", .counter, "Inner packets inspected.", [("", engine.packets)])
        metric("rampart_inner_bytes_total", .counter, "Inner bytes inspected.", [("", engine.bytes)])
        metric("rampart_verdicts_total", .counter, "Engine verdicts.",
               [("{verdict=\"forward\"}", engine.packetsForwarded), ("{verdict=\"drop\"}", engine.packetsDropped),
                ("{verdict=\"reset\"}", engine.packetsReset)])
        metric("rampart_malformed_packets_total", .counter, "Inner packets the decoder rejected.", [("", engine.malformedPackets)])
        metric("rampart_sessions_created_total", .counter, "Sessions created.", [("", engine.sessionsCreated)])
        metric("rampart_sessions_ended_total", .counter, "Sessions ended.", [("", engine.sessionsEnded)])
        metric("rampart_sessions", .gauge, "Sessions tracked now.", [("", UInt64(max(activeSessions, 0)))])
        metric("rampart_flows_summarised_total", .counter,
               "Sessions counted in a flow_summary record instead of written one by one (unanswered denials, flows over the budget).",
               [("", engine.flowsSummarised)])
        metric("rampart_flow_summaries_total", .counter, "flow_summary records written.", [("", engine.flowSummaries)])
        metric("rampart_limit_reached_total", .counter,
               "Times a fixed table or a per-source share refused something, by limit (docs/sessions.md, Limits).",
               EngineLimit.allCases.map { ("{limit=\"\($0.label)\"}", engine.limitCount($0)) })
        metric("rampart_signature_alerts_total", .counter,
               "Alert records signatures wrote (spec.rules); matches a threshold or noalert silenced are not counted here.",
               [("", engine.detection.alerts)])
        metric("rampart_signature_blocks_total", .counter,
               "Packets whose verdict a drop or reject signature made (the sessions stay blocked after).",
               [("", engine.detection.blocked)])
        metric("rampart_signature_scanned_bytes_total", .counter, "Bytes the signatures' prefilter scanned.",
               [("", engine.detection.scannedBytes)])
        let verdicts: [(String, UInt8)] = [("allow", 1), ("alert", 2), ("sinkhole", 3), ("block", 4)]
        metric("rampart_dns_security_total", .counter,
               "DNS queries the rules' DNS security profiles decided, by verdict and reason (clean, category, dga, tunnelling).",
               verdicts.flatMap { verdict, rank in
                   DNSSecurityDecision.Reason.allCases.dropFirst().map { reason in
                       ("{verdict=\"\(verdict)\",reason=\"\(reason.label)\"}",
                        engine.dnsSecurity.count(verdict: rank, reason: reason))
                   }
               })
        metric("rampart_dns_sinkhole_answers_total", .counter,
               "DNS answers rewritten to a sinkhole address (rewritten), or dropped because they could not be (dropped).",
               [("{outcome=\"rewritten\"}", engine.dnsSecurity.answersSinkholed),
                ("{outcome=\"dropped\"}", engine.dnsSecurity.answersDropped)])
        metric("rampart_url_filtering_total", .counter,
               "Sessions a URL filtering profile decided, by category (a list category, unknown or not-resolved) and action.",
               engine.urlFiltering.sorted { ($0.key.category, $0.key.action.rawValue) < ($1.key.category, $1.key.action.rawValue) }
                   .map { ("{category=\"\(escape($0.key.category))\",action=\"\($0.key.action.rawValue)\"}", $0.value) })
        metric("rampart_url_pages_sent_total", .counter, "Block and continue pages sent to clients in place of their servers.",
               [("", counters.urlPagesSent)])
        metric("rampart_url_override_refused_total", .counter,
               "Wrong passwords given on URL filtering override pages.", [("", engine.urlOverridesRefused)])
        metric("rampart_appid_unbuffered_sessions_total", .counter,
               "TCP sessions App-ID identified packet by packet for want of a stream buffer.", [("", engine.appIDUnbuffered)])
        metric("rampart_fragments_total", .counter,
               "IP fragments held until their datagram was decided, then forwarded (allowed) or dropped (denied, refused by a limit, overlapping with different bytes, timed out).",
               [("{outcome=\"held\"}", engine.fragmentsHeld), ("{outcome=\"forwarded\"}", engine.fragmentsForwarded),
                ("{outcome=\"dropped\"}", engine.fragmentsDropped)])
        metric("rampart_fragment_datagrams_reassembled_total", .counter, "Fragmented datagrams completed and decided.", [("", engine.datagramsReassembled)])
        metric("rampart_fragment_datagrams", .gauge, "Datagrams being reassembled now.", [("", engine.fragmentDatagramsPending)])
        metric("rampart_fragment_pool_bytes", .gauge, "Bytes of the held-fragment pool in use now.", [("", engine.fragmentBytesHeld)])
        metric("rampart_anomalies_total", .counter, "Anomalies by stable name (every one, logged or suppressed by the rate limit).",
               DecodeEvent.allCases.map { ("{event=\"\($0.name)\"}", engine.anomalies[$0]) })
        var hits: [(String, UInt64)] = []
        for (i, name) in ruleNames.enumerated() where i < engine.ruleHits.count {
            hits.append(("{rule=\"\(escape(name))\"}", engine.ruleHits[i]))
        }
        metric("rampart_rule_hits_total", .counter, "Sessions decided by each rule.", hits)
        if !workerLoad.isEmpty {
            metric("rampart_worker_datagrams_received_total", .counter, "Tunnel datagrams received, per worker.",
                   workerLoad.enumerated().map { ("{worker=\"\($0.offset)\"}", $0.element.datagrams) })
            metric("rampart_worker_sessions", .gauge, "Sessions tracked now, per worker.",
                   workerLoad.enumerated().map { ("{worker=\"\($0.offset)\"}", UInt64(max($0.element.sessions, 0))) })
        }
        return page.text
    }
}
