import ArgumentParser
import RampartVersion
import RampartConfig
import RampartDataplane
import RampartHTTP
import RampartInspect
import RampartLog
import RampartPolicy
import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif

@main
struct FirewallCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rampart-firewall",
        abstract: "Stand in the traffic: receive tunnelled frames, decide by the policy, send the allowed ones back.",
        discussion: """
            Listens for VXLAN (RFC 7348) and Geneve (RFC 8926) datagrams from the nodes,
            runs each inner frame through the same engine as `rampart inspect`, and
            sends allowed frames back to the node they came from (inner MACs swapped,
            checksums completed). Denied frames are dropped; reset rules send TCP resets
            through the tunnel.

            The configuration file holds a FirewallConfiguration document (listen
            address, admin address, VNIs, event log) and the SecurityPolicy (and
            AddressTags) documents; see docs/firewall.md. Options given here override
            the file.

            Signals: SIGHUP reloads the policy (a bad one is rejected and the running
            one stays); SIGTERM or SIGINT stop after writing the records of open
            sessions. Admin API (default 127.0.0.1:9680; bearer tokens from
            spec.auth.tokensFile, required off loopback): /tags, POST /reload, /metrics.
            Probe listener (default 127.0.0.1:9681, no credentials): /healthz, /readyz,
            /metrics.

            Exit codes: 0 stopped by a signal; 1 could not start (socket, log file);
            2 the configuration is invalid; 64 the command line is wrong.

            Example:
              rampart-firewall --config /etc/rampart/firewall.yaml
            """,
        version: RampartVersion.current
    )

    @Option(name: .long, help: "The configuration file (FirewallConfiguration + SecurityPolicy documents).")
    var config: String

    @Option(name: .long, help: "Tunnel listen address, e.g. 0.0.0.0:6080 (overrides spec.listen).")
    var listen: String?

    @Option(name: .long, help: "Admin API address, e.g. 127.0.0.1:9680, or 'off' (overrides spec.admin).")
    var admin: String?

    @Option(name: .long, help: "Probe listener address (/healthz /readyz /metrics, no credentials), e.g. 0.0.0.0:9681, or 'off' (overrides spec.probes).")
    var probes: String?

    @Option(name: .long, help: "Where to write EVE JSON events, a path or '-' (overrides spec.events).")
    var events: String?

    @Option(name: .long, parsing: .upToNextOption, help: "Accepted VNIs (overrides spec.vnis).")
    var vni: [UInt32] = []

    @Option(name: .long, help: "Worker threads, 0 for one per core (overrides spec.workers).")
    var workers: Int?

    @Flag(name: .long, help: "Check the configuration and exit.")
    var check = false

    func validate() throws {
        if let workers, workers < 0 || workers > 256 {
            throw ValidationError("--workers must be between 0 (one per core) and 256 (got \(workers)).")
        }
        if let listen, SocketAddress(parsing: listen) == nil {
            throw ValidationError("--listen must be address:port, e.g. 0.0.0.0:6080 (got '\(listen)').")
        }
        if let admin, admin != "off", SocketAddress(parsing: admin) == nil {
            throw ValidationError("--admin must be address:port, e.g. 127.0.0.1:9680, or off (got '\(admin)').")
        }
        if let probes, probes != "off", SocketAddress(parsing: probes) == nil {
            throw ValidationError("--probes must be address:port, e.g. 127.0.0.1:9681, or off (got '\(probes)').")
        }
    }

    func run() throws {
        // Before any other thread starts, so every thread inherits the blocked mask.
        let signals: SignalSource
        do { signals = try SignalSource() } catch { fail("error: \(error)", 1) }

        // The policy a manager pushed last (spec.policyState) runs in place of the file's;
        // the file's section is read first to learn where that state is kept.
        var file: ConfigurationFile
        let pushedPolicy = PushedPolicyState(path: FirewallCommand.policyStatePath(config))
        var saved: PushedPolicy?
        if !check {
            do { saved = try pushedPolicy.restore() } catch {
                firewallLog.warning("policy-state-unreadable", "\(error); running the configuration file's policy")
            }
        }
        if let pushed = saved, let loaded = try? ConfigurationFile.load(path: config, pushed: pushed) {
            file = loaded
            firewallLog.info("policy-state-restored", "running policy commit \(pushed.commit) pushed by the manager (from \(pushedPolicy.path ?? "-"))",
                             [("commit", .string(pushed.commit))])
        } else {
            if let pushed = saved {
                pushedPolicy.adopt(nil)
                firewallLog.error("policy-state-unusable", "the pushed policy commit \(pushed.commit) does not load with this configuration; running the configuration file's policy until the manager pushes again")
            }
            do {
                file = try ConfigurationFile.load(path: config)
            } catch {
                fail("\(error)\n\(error.errors.count) error\(error.errors.count == 1 ? "" : "s") in \(config); fix them and run again (see docs/firewall.md).", 2)
            }
        }
        for warning in file.document.warnings {
            firewallLog.warning("policy-warning", "\(warning.file):\(warning.line):\(warning.column): warning: \(warning.message)")
        }
        var settings = file.firewall
        if let listen, let address = SocketAddress(parsing: listen) { settings.listen = address }
        if let admin { settings.admin = admin == "off" ? nil : SocketAddress(parsing: admin) }
        if let probes {
            settings.probesEnabled = probes != "off"
            settings.probes = SocketAddress(parsing: probes)
        }
        // Fail closed: an admin API off loopback needs tokens or mutual TLS; a tokens file
        // and the TLS files must be sound.
        var tokens: BearerTokens?
        do {
            if let path = settings.tokensFile { tokens = try BearerTokens.load(path: path) }
        } catch {
            fail("\(error)\nfix spec.auth.tokensFile in \(config) and run again (see docs/firewall.md).", 2)
        }
        var tls: TLSServerContext?
        if let configuration = settings.tls, settings.admin != nil {
            do { tls = try TLSServerContext(configuration, setting: "spec.tls") } catch {
                fail("\(config): \(error)\nfix spec.tls in \(config) and run again (see docs/firewall.md, \"Admin API over TLS\").", 2)
            }
        }
        if let admin = settings.admin, tokens == nil, tls?.configuration.requiresClientCertificates != true,
           ListenAddress(admin.description)?.isLoopback != true {
            fail("\(config): spec.admin is \(admin), not a loopback address, and neither spec.auth.tokensFile nor spec.tls with clientCA (client certificates required) is set: anyone who reaches it could change tags and reload the policy. Add spec.auth.tokensFile (lines 'ROLE NAME TOKEN', mode 0600) or spec.tls with certificate, key, clientCA and clientRoles, or set spec.admin to 127.0.0.1:9680 (docs/firewall.md).", 2)
        }
        if let events { settings.events = events }
        if !vni.isEmpty { settings.allowedVNIs = vni }
        if let workers { settings.workers = workers }
        if check {
            print("\(config): valid (\(file.matcher.rules.count) rules; listen \(settings.listen); admin \(settings.admin.map { "\($0) " + FirewallCommand.adminAccess(tokens: tokens, tls: tls) } ?? "off"); probes \(settings.probeAddress?.description ?? "off"); tunnel senders \(settings.tunnelSourcesDescription))")
            return
        }
        let workerCount = settings.workers > 0 ? settings.workers : max(Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))), 1)

        let board = MetricsBoard(workers: workerCount, maxTaggedAddresses: settings.maxTaggedAddresses, waitForTags: settings.readyAfterTags)
        let tagFile = settings.tagState.map(TagStateFile.init(path:))
        if let tagFile {
            do {
                if let saved = try tagFile.load() {
                    board.restore(saved)
                    firewallLog.info("tag-state-restored", "tag state restored from \(tagFile.path): \(saved.updates.count) addresses, sequence \(saved.sequence)",
                             [("addresses", .integer(saved.updates.count)), ("sequence", .integer(Int(saved.sequence)))])
                }
            } catch {
                firewallLog.warning("tag-state-unreadable", "\(error); starting with no admin tags")
            }
        }
        // A reload reads and compiles the file once, on the thread that asked (admin API or
        // signals), and every worker adopts the result between batches.
        let path = config
        let startedWith = file.firewall
        board.setPolicyLoader({
            let reloaded = try ConfigurationFile.load(path: path, pushed: pushedPolicy.forReload)
            for change in startedWith.changesNeedingRestart(in: reloaded.firewall) {
                firewallLog.warning("restart-needed", "\(path): \(change) takes effect only after a restart; the policy is reloaded, the running value stays")
            }
            return PolicyRelease.Content(reloaded)
        }, log: { firewallLog.error("policy-reload-rejected", $0) })
        board.addMetrics { pushedPolicy.prometheusText }
        let sourceSeed = UInt64.random(in: .min ... .max)
        var endpoints: [TunnelEndpoint] = []
        var logs: [EventLog] = []
        var bound = settings.listen
        // TCP syslog can acknowledge delivery: one shipper sends the event files and rotation
        // keeps what it has not delivered. UDP (and events on standard output, which leave no
        // file to read back) keep sending each record from memory.
        let delivery = settings.syslog?.transport == .tcp && settings.events != "-"
            ? EventDelivery(events: settings.events, keep: settings.eventsKeep, holdMaxBytes: settings.eventsHoldMaxBytes) : nil
        let forwardedSyslog = delivery == nil ? settings.syslog : nil
        do {
            for index in 0 ..< workerCount {
                // One socket per worker in an SO_REUSEPORT group; the kernel steers each
                // datagram by its inner addresses so both directions of a session meet.
                let socket = try TunnelSocket(bind: bound, reusePort: workerCount > 1)
                if index == 0 {
                    bound = socket.local
                    if workerCount > 1 { try ReuseportSteering.attach(to: socket, workers: workerCount) }
                }
                let log = try EventLog(path: settings.events, maxBytes: settings.eventsMaxBytes, keep: settings.eventsKeep,
                                       syslog: try forwardedSyslog.map { try SyslogForwarder(target: $0) }, delivery: delivery)
                let matcher = index == 0
                    ? file.matcher : try PolicyMatcher(compiled: file.matcher.compiled, tags: file.document.addressTags)
                var engineConfiguration = EngineConfiguration()
                engineConfiguration.sessions = SessionTableConfiguration(capacity: max(settings.sessions / workerCount, 16))
                // Per-source limits count clients in hashed buckets: a seed of this run's own,
                // so no client can aim at another's bucket (docs/sessions.md, Limits).
                engineConfiguration.sources.seed = sourceSeed
                // Budgets are per firewall; each worker's engine gets its share.
                var records = settings.records
                if records.flowsPerSecond > 0 { records.flowsPerSecond = max(1, records.flowsPerSecond / workerCount) }
                engineConfiguration.records = records
                engineConfiguration.anomalyRateLimit = AnomalyRateLimit(perKindPerSecond: settings.anomaliesPerSecond)
                engineConfiguration.tunnelOriginCheck = settings.innerSourceCheck
                // Inline: a drop or reject rule's verdict is the packet's and the session's.
                engineConfiguration.detection.blocking = true
                if let files = settings.files { engineConfiguration.files = files.limits }
                var engine = Engine(configuration: engineConfiguration, policy: matcher, rules: file.rules, files: file.files)
                engine.adoptIndicators(file.indicators)
                let worker = FirewallWorker(
                    engine: engine, sink: log,
                    allowedVNIs: settings.allowedVNIs, returnPort: settings.returnPort, innerMTU: settings.innerMTU)
                worker.admission = settings.tunnelAdmission
                worker.blockPages = file.blockPages
                let endpoint = TunnelEndpoint(socket: socket, worker: worker, board: board,
                                              signals: workerCount == 1 ? signals : nil, index: index)
                endpoint.rematchOnReload = settings.rematchOnReload
                let offloads = endpoint.enableOffloads(receive: settings.udpGRO, send: settings.udpGSO)
                if index == 0, let files = file.files {
                    firewallLog.info("files-loaded", "files tracked (fileinfo records): \(files.summary.isEmpty ? "no hash lists or YARA rules" : files.summary)")
                }
                if index == 0, let summary = file.rulesSummary {
                    firewallLog.info("rules-loaded", "signatures from \(settings.rules ?? "-"): \(summary); drop and reject rules block inline")
                }
                if index == 0, let summary = file.listsSummary {
                    firewallLog.info("lists-loaded", "indicator lists: \(summary)")
                }
                if index == 0 && (settings.udpGRO || settings.udpGSO) {
                    firewallLog.info("offloads", "UDP GRO \(offloads.receive ? "on" : "off"), UDP GSO \(offloads.send ? "on" : "off")")
                }
                endpoints.append(endpoint)
                logs.append(log)
            }
        } catch {
            fail("error: \(error)", 1)
        }
        // Started in order, stopped in reverse once the workers end: the listeners stop
        // taking requests, then the shipper drains what the last records added.
        let services = ServiceGroup()
        var shipper: EventShipper?
        if let delivery, let target = settings.syslog {
            do { shipper = try EventShipper(delivery: delivery, target: target) } catch { fail("error: \(error)", 1) }
            shipper?.reloadGeneration = { [board] in board.reloadGeneration }
            board.attach(delivery)
            // Before the first packet: the cursor of a first start marks where shipping begins.
            if let shipper {
                // What the collector does not take in 2 s goes after the next start, from the saved cursor.
                try? services.start("shipper", shipper.start, stop: { shipper.stop(drainSeconds: 2) })
            }
            firewallLog.info("syslog-shipping", "syslog \(target): shipped from \(settings.events) and its rotated files (cursor \(delivery.cursorPath); unsent files held up to \(settings.eventsHoldMaxBytes) bytes)")
        }
        // External dynamic lists: fetched on their own thread; a new copy is published by a
        // reload, which every worker adopts between batches like a new policy.
        let feeds = file.firewall.lists.compactMap { $0.feed(configurationFile: path) }
        if !feeds.isEmpty {
            for feed in feeds {
                let folder = String(feed.cachePath[..<(feed.cachePath.lastIndex(of: "/") ?? feed.cachePath.startIndex)])
                if !folder.isEmpty && access(folder, W_OK) != 0 {
                    fail("\(config): list '\(feed.name)' keeps its copy in \(folder), which is not a writable folder; create it or give the list a path (docs/firewall.md, \"External dynamic lists\")", 2)
                }
            }
            let fetcher = ListFeedFetcher(feeds: feeds, log: firewallLog) { [board] in _ = board.requestReload() }
            board.addMetrics(fetcher.prometheusText)
            try? services.start("list feeds", fetcher.start, stop: fetcher.stop)
            firewallLog.info("list-feeds", "\(feeds.count) external dynamic list(s): \(feeds.map { "\($0.name) every \(Int($0.refreshSeconds)) s" }.joined(separator: ", "))")
        }
        let listeners = HTTPListenerSet()
        do {
            // Probes first: a kubelet asks them while the admin API may be busy.
            if let address = settings.probeAddress {
                let probes = try AdminServer.probeListener(bind: address, board: board, listeners: listeners)
                try services.start("probes", probes.start, stop: probes.stop)
                firewallLog.info("probes-listening", "probes on http://\(probes.local) (/healthz /readyz /metrics, no credentials)")
            }
            if let address = settings.admin {
                let server = try AdminServer(bind: address, board: board, tokens: tokens, tls: tls, listeners: listeners,
                                             pushedPolicy: pushedPolicy)
                server.tagStateFile = tagFile
                try services.start("admin", server.start, stop: server.stop)
                firewallLog.info("admin-listening", "admin API on \(tls == nil ? "http" : "https")://\(server.local) (\(FirewallCommand.adminAccess(tokens: tokens, tls: tls)))")
            }
        } catch {
            fail("error: \(error)", 1)
        }
        firewallLog.info("tunnel-sources", "tunnel datagrams admitted from \(settings.tunnelSourcesDescription); inner-source check \(settings.innerSourceCheck ? "on" : "off")")
        firewallLog.info("listening", "listening on \(bound) with \(workerCount) worker\(workerCount == 1 ? "" : "s") (VNIs: \(settings.allowedVNIs.isEmpty ? "any" : settings.allowedVNIs.map(String.init).joined(separator: ",")))")
        if workerCount == 1 {
            endpoints[0].run()
        } else {
            WorkerThreads.run(endpoints, board: board, signals: signals)
        }
        var allWritten = true
        for log in logs where !log.close() { allWritten = false }
        services.stopAll()
        if !allWritten { fail("error: could not write all events to \(settings.events)", 1) }
        firewallLog.info("stopped", "stopped")
    }
}
extension FirewallCommand {
    /// `spec.policyState` of the configuration file, read before the policy is (nil: none,
    /// or the file does not parse: the full load reports why).
    static func policyStatePath(_ config: String) -> String? {
        guard let text = try? readTextFile(config), let documents = try? YAMLReader.documents(in: text, file: config) else { return nil }
        for document in documents where document.scalar(forKey: "kind") == FirewallConfiguration.kind {
            guard case .mapping(let pairs, _) = document,
                  let spec = pairs.first(where: { if case .scalar("spec", _, _) = $0.0 { true } else { false } })?.1,
                  let path = spec.scalar(forKey: "policyState"), path != "off", path != "false", !path.isEmpty else { return nil }
            return path
        }
        return nil
    }

    /// How the admin API knows its callers, for the start-up line and --check.
    static func adminAccess(tokens: BearerTokens?, tls: TLSServerContext?) -> String {
        var parts: [String] = []
        if let tls { parts.append(tls.configuration.summary) }
        if let tokens { parts.append("\(tokens.count) bearer tokens from \(tokens.path)") }
        if tokens == nil && tls?.configuration.requiresClientCertificates != true { parts.append("no authentication: loopback only") }
        return parts.joined(separator: "; ")
    }
}

/// The firewall's log: JSON lines on standard error (docs/firewall.md, "Logs").
let firewallLog = LogWriter(component: "rampart-firewall")

/// A start-up error for the person who ran the command (plain text, then exit): the
/// firewall never ran, so there is no log to keep.
func fail(_ message: String, _ code: Int32) -> Never {
    LogWriter.writeLine(message, to: 2)
    exit(code)
}
