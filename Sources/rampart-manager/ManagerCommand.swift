import ArgumentParser
import RampartVersion
import FoundationEssentials
import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif
import RampartKube
import RampartManager
import RampartHTTP

@main
struct RampartManagerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rampart-manager",
        abstract: "Watches Kubernetes clusters and keeps every firewall's address-to-tag map current.",
        discussion: """
            Examples:
              rampart-manager run --config /etc/rampart/manager.yaml
              rampart-manager validate --config manager.yaml
              rampart-manager rbac > rbac.yaml && kubectl apply -f rbac.yaml
              rampart-manager credentials --kubeconfig admin.kubeconfig --output prod.json
              rampart-manager audit --state manager.sqlite --address 10.244.1.7 --at 2026-11-23T14:02:00Z
              rampart-manager passwd alice --role admin >> console-users
            Documentation: docs/manager.md, docs/console.md
            """,
        version: RampartVersion.current,
        subcommands: [Run.self, Validate.self, Rbac.self, Credentials.self, Audit.self, Bench.self, Passwd.self],
        defaultSubcommand: Run.self)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the manager: watch the clusters, record every tag change, push to the firewalls.",
        discussion: """
            Logs are JSON lines on standard error. The API (GET /clusters /tags?address=
            /audit?address=&at= /metrics /healthz /readyz) listens where spec.listen says,
            with bearer tokens from spec.auth.tokensFile or client certificates (spec.tls;
            one of them required off loopback); the probe listener (GET /healthz /readyz
            /metrics, no credentials) where spec.probes says. Firewalls whose admin is
            https:// are reached with spec.firewallTLS (or their own tls:).
            With spec.imageTrust every pod is judged and tagged image-trust:...; with
            spec.admission the admission webhook listens over HTTPS (POST /admission/CLUSTER);
            GET /image-trust/pods and /admission list untrusted pods and decisions
            (docs/image-trust.md). SIGHUP reloads spec.imageTrust and judges every pod again.
            SIGTERM or SIGINT stops it.

            Example:
              rampart-manager run --config /etc/rampart/manager.yaml
            """)

    @Option(help: "The ManagerConfiguration file.")
    var config: String

    @Option(help: "Append a JSON line per address a firewall accepted (for the latency benchmark).")
    var pushLog: String?

    func run() throws {
        // Before any thread starts: every thread inherits the mask, and the signals wait for
        // ProcessSignals.wait below instead of killing the process mid-write.
        let signals = ProcessSignals.block()
        let configuration: ManagerConfiguration
        do { configuration = try ManagerConfiguration.load(path: config) } catch {
            StandardError.write("\(error)\nrampart-manager: fix the configuration and start again\n")
            throw ExitCode(2)
        }
        let log: @Sendable (String) -> Void = { StandardError.write($0 + "\n") }
        // Each firewall's admin token and TLS files, read now so a missing or bad file stops
        // the start; and the API's own TLS.
        for firewall in configuration.firewalls {
            do {
                _ = try firewall.authorization()
                _ = try firewall.tlsSettings()
            } catch {
                StandardError.write("\(error)\nrampart-manager: fix the configuration and start again\n")
                throw ExitCode(2)
            }
        }
        var tls: TLSServerContext?
        if let settings = configuration.tls {
            do { tls = try TLSServerContext(settings, setting: "spec.tls") } catch {
                StandardError.write("\(config): \(error)\nrampart-manager: fix spec.tls and start again (docs/manager.md)\n")
                throw ExitCode(2)
            }
        }
        let manager: Manager
        do { manager = try Manager(configuration: configuration, pushLog: pushLog, log: log) } catch {
            log(ManagerLog.line("error", event: "start", message: error.description))
            throw ExitCode(1)
        }
        let api = ManagerAPI(manager: manager)
        let listener: HTTPServer
        var probes: HTTPServer?
        do {
            // Fail closed: an API off loopback without tokens is refused by the listener itself.
            let tokens = try configuration.tokensFile.map { path throws(HTTPConfigurationError) in try BearerTokens.load(path: path) }
            listener = try api.listener(address: configuration.listen, tokens: tokens, tls: tls)
            probes = try configuration.probeAddress.map { address throws(HTTPConfigurationError) in try api.probeListener(address: address) }
            listener.log = { log(ManagerLog.line("info", event: "api", message: $0)) }
            try manager.logs?.listen(firewalls: configuration.firewalls)
        } catch {
            log(ManagerLog.line("error", event: "start", message: error.description))
            throw ExitCode(1)
        }
        // The admission webhook (docs/image-trust.md): HTTPS always, no credentials.
        var webhook: HTTPServer?
        if let admission = configuration.admission {
            do {
                let context = try TLSServerContext(admission.tls, setting: "spec.admission.tls")
                webhook = try api.admissionListener(address: admission.listen, tls: context)
                webhook?.log = { log(ManagerLog.line("info", event: "admission", message: $0)) }
            } catch {
                StandardError.write("\(config): \(error)\nrampart-manager: fix spec.admission and start again (docs/image-trust.md)\n")
                throw ExitCode(2)
            }
        }
        let console = try Run.console(configuration, manager: manager, tls: tls, log: log)
        let services = ServiceGroup()
        do {
            // The store and the watches first, then the probes, then the API: stopped in
            // reverse, the API stops taking requests before the manager it calls stops.
            try services.start("manager", manager.start, stop: manager.stop)
            if let probes { try services.start("probes", probes.start, stop: probes.stop) }
            try services.start("api", listener.start, stop: listener.stop)
            if let webhook { try services.start("admission", webhook.start, stop: webhook.stop) }
            if let server = console?.1 { try services.start("console", server.start, stop: server.stop) }
        } catch {
            log(ManagerLog.line("error", event: "start", message: "\(error)"))
            throw ExitCode(1)
        }
        if let receiver = manager.logs?.receiver {
            log(ManagerLog.line("info", event: "logs-listening", message: "syslog (RFC 5424 over TCP, octet-counted) on \(receiver.local); store \(configuration.logs?.store ?? "-")"))
        }
        log(ManagerLog.line("info", event: "started", message: "\(webhook.map { "admission webhook on https://\($0.local); " } ?? "")API on \(tls == nil ? "http" : "https")://\(listener.local) (\(Run.access(tokens: configuration.tokensFile, tls: tls?.configuration))); probes on \(probes.map { "\($0.local)" } ?? "off"); \(configuration.clusters.count) clusters, \(configuration.firewalls.count) firewalls; state \(configuration.state)"))
        var received = ProcessSignals.wait(signals)
        while received == SIGHUP {
            // Only the image trust rules are reloaded in place; the rest is read at start.
            do {
                let reread = try ManagerConfiguration.load(path: config)
                manager.imageTrust.replace(reread.imageTrust)
                log(ManagerLog.line("info", event: "signal", message: "SIGHUP: image trust rules reloaded; other settings take effect at the next start"))
            } catch {
                log(ManagerLog.line("error", event: "reload-failed", message: "SIGHUP: \(error); the rules in force are kept"))
            }
            received = ProcessSignals.wait(signals)
        }
        log(ManagerLog.line("info", event: "stopping", message: "signal \(received)"))
        services.stopAll()
    }
}

extension Run {
    /// How the API knows its callers, for the start-up line and validate.
    static func access(tokens: String?, tls: TLSConfiguration?) -> String {
        var parts: [String] = []
        if let tls { parts.append(tls.summary) }
        if tokens != nil { parts.append("bearer tokens") }
        if tokens == nil && tls?.requiresClientCertificates != true { parts.append("no authentication: loopback only") }
        return parts.joined(separator: "; ")
    }
}

struct Validate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check a configuration file and every cluster's credentials, without connecting.",
        discussion: "Example:\n  rampart-manager validate --config manager.yaml")

    @Option(help: "The ManagerConfiguration file.")
    var config: String

    func run() throws {
        let configuration: ManagerConfiguration
        do { configuration = try ManagerConfiguration.load(path: config) } catch {
            print(error)
            throw ExitCode(2)
        }
        var failed = false
        for cluster in configuration.clusters {
            do {
                let credentials = try cluster.credentials()
                print("cluster \(cluster.name) (clusterID \(cluster.clusterID)): \(credentials.server), tags \(cluster.tagStyle.rawValue)")
            } catch {
                print("cluster \(cluster.name): \(error)")
                failed = true
            }
        }
        for firewall in configuration.firewalls {
            do {
                var credentials = [try firewall.authorization().isEmpty ? "no token" : "token from \(firewall.tokenFile ?? "")"]
                if let settings = try firewall.tlsSettings() {
                    credentials.append("TLS, " + (settings.certificateAuthority == nil ? "system CA bundle" : "CA \(firewall.tls?.ca ?? "")"))
                    if settings.clientCertificate != nil { credentials.append("client certificate \(firewall.tls?.certificate ?? "")") }
                }
                print("firewall \(firewall.name): \(firewall.admin) (\(credentials.joined(separator: ", ")))")
            } catch {
                print(error)
                failed = true
            }
        }
        var tls: TLSServerContext?
        if let settings = configuration.tls {
            do {
                tls = try TLSServerContext(settings, setting: "spec.tls")
                print("API TLS: \(settings.summary), certificate \(settings.certificate)")
            } catch {
                print("\(config): \(error)")
                failed = true
            }
        }
        if let path = configuration.tokensFile {
            do { print("API on \(configuration.listen): \(try BearerTokens.load(path: path).count) tokens from \(path)") } catch {
                print(error)
                failed = true
            }
        } else if ListenAddress(configuration.listen)?.isLoopback != true, configuration.tls?.requiresClientCertificates != true {
            print("\(config): spec.listen is \(configuration.listen), not loopback, and neither spec.auth.tokensFile nor spec.tls with clientCA (client certificates required) is set; add spec.auth.tokensFile (lines 'ROLE NAME TOKEN', mode 0600) or spec.tls with clientCA and clientRoles, or listen on 127.0.0.1")
            failed = true
        }
        _ = tls
        if let trust = configuration.imageTrust {
            print("image trust: \(trust.policy.rules.count) rules, first match; an image no rule matches: \(trust.policy.defaultEffect.rawValue)")
        }
        if let admission = configuration.admission {
            do {
                _ = try TLSServerContext(admission.tls, setting: "spec.admission.tls")
                print("admission webhook on https://\(admission.listen): certificate \(admission.tls.certificate); exempt: \(admission.exemptNamespaces.joined(separator: ", "))")
            } catch {
                print("\(config): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
        print("\(config): ok")
    }
}

struct Rbac: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the read-only RBAC manifest the cluster watcher needs.",
        discussion: "Example:\n  rampart-manager rbac --namespace rampart-system | kubectl apply -f -")

    @Option(help: "The namespace of the watcher's service account.")
    var namespace = "rampart-system"

    func run() { print(RBACManifest.yaml(namespace: namespace), terminator: "") }
}

struct Credentials: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the credential file of a remote cluster from its watcher's token Secret.",
        discussion: """
            Run it with an administrator's kubeconfig once `rampart-manager rbac` is applied;
            give the file to the manager as a cluster's credentialFile.

            Example:
              rampart-manager credentials --kubeconfig admin.kubeconfig --output prod.json
            """)

    @Option(help: "An administrator's kubeconfig for the cluster.")
    var kubeconfig: String
    @Option(help: "The kubeconfig context (default: its current context).")
    var context: String?
    @Option(help: "The namespace of the watcher's service account.")
    var namespace = "rampart-system"
    @Option(help: "The API server address the manager should use, if not the kubeconfig's.")
    var server: String?
    @Option(help: "Where to write the credential file (mode 0600).")
    var output: String

    func run() throws {
        do {
            let text = try CredentialFile.make(
                from: try .kubeconfig(at: kubeconfig, context: context), namespace: namespace, server: server)
            guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                StandardError.write("rampart-manager: cannot write \(output)\n")
                throw ExitCode(1)
            }
            print("wrote \(output)")
        } catch let error as KubeError {
            StandardError.write("rampart-manager: \(error)\n")
            throw ExitCode(1)
        }
    }
}

struct Audit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "What an address was (its tags) at a time, or every change of it, from the state file.",
        discussion: """
            Examples:
              rampart-manager audit --state manager.sqlite --address 10.244.1.7 --at 2026-11-23T14:02:00Z
              rampart-manager audit --state manager.sqlite --address 10.244.1.7
            """)

    @Option(help: "The manager's SQLite state file.")
    var state: String
    @Option(help: "The IP address.")
    var address: String
    @Option(help: "A time (RFC 3339 or Unix seconds); without it, every change.")
    var at: String?

    func run() throws {
        guard FileManager.default.fileExists(atPath: state) else {
            StandardError.write("rampart-manager: no state file at \(state)\n")
            throw ExitCode(1)
        }
        do {
            let store = try TagStore(path: state)
            if let at {
                guard let time = ManagerAPI.time(at) else {
                    StandardError.write("rampart-manager: --at must be RFC 3339 (2026-11-23T14:02:00Z) or Unix seconds\n")
                    throw ExitCode(64)
                }
                if let record = try store.tags(of: address, at: time) {
                    print("\(address) at \(ManagerAPI.format(time)): cluster \(record.cluster), since \(ManagerAPI.format(record.time)) (\(record.reason))")
                    print("  " + record.tags.joined(separator: " "))
                } else {
                    print("\(address) at \(ManagerAPI.format(time)): no tags")
                }
            } else {
                for record in try store.history(of: address) {
                    print("\(ManagerAPI.format(record.time))  \(record.cluster)  \(record.tags.isEmpty ? "(no tags)" : record.tags.joined(separator: " "))  — \(record.reason)")
                }
            }
        } catch let error as StoreError {
            StandardError.write("rampart-manager: \(error)\n")
            throw ExitCode(1)
        }
    }
}
