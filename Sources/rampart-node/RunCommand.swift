import ArgumentParser
import RampartLog
import RampartNode
import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the agent until SIGTERM or SIGINT.",
        discussion: """
            Exit codes: 0 stopped by a signal; 1 could not start (socket or port
            taken, credentials unreadable); 2 the configuration is invalid.

            Example:
              rampart-node run --config /etc/rampart/node.yaml --node worker-1
            """
    )

    @Option(name: .long, help: "The NodeConfiguration file.")
    var config: String

    @Option(name: .long, help: "This node's name (overrides spec.nodeName and $NODE_NAME).")
    var node: String?

    @Option(name: .long, help: "A kubeconfig to use instead of the pod's service account.")
    var kubeconfig: String?

    @Option(name: .long, help: "Where to write events, a path or '-' (overrides spec.events).")
    var events: String?

    @Option(name: .long, help: "The /metrics, /healthz, /readyz address, or 'off' (overrides spec.metrics).")
    var metrics: String?

    func run() throws {
        // Before any thread starts: every thread inherits the mask, and the signals are read
        // by ProcessSignals.wait below only.
        let signals = ProcessSignals.block()
        var configuration: NodeConfiguration
        do {
            configuration = try NodeConfiguration.load(path: config)
        } catch {
            printError("rampart-node: \(error)")
            throw ExitCode(2)
        }
        if let node { configuration.nodeName = node }
        if let kubeconfig { configuration.credentials = .kubeconfig(path: kubeconfig, context: nil) }
        if let events { configuration.events = events }
        if let metrics { configuration.metricsListen = metrics == "off" ? nil : metrics }

        let services = ServiceGroup()
        do {
            let agent = try NodeAgent(configuration: configuration)
            try services.start("agent", agent.start, stop: { agent.shutdown() })
        } catch {
            printError("rampart-node: \(error)")
            throw ExitCode(1)
        }
        let log = LogWriter(component: "rampart-node")
        log.info("started", "node \(configuration.nodeName), socket \(configuration.socketPath), tunnel \(configuration.tunnel.name) (VNI \(configuration.clusterID))",
                 [("node", .string(configuration.nodeName))])
        var received = ProcessSignals.wait(signals)
        while received == SIGHUP {
            log.info("signal", "SIGHUP ignored: restart the agent to read its configuration again", [("signal", .integer(Int(received)))])
            received = ProcessSignals.wait(signals)
        }
        log.info("stopping", "stopping (signal \(received))", [("signal", .integer(Int(received)))])
        services.stopAll()
    }
}

func printError(_ text: String) {
    var line = Array((text + "\n").utf8)
    _ = line.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
