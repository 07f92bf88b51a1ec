import ArgumentParser
import RampartNode

/// `rampart-node validate`: read a NodeConfiguration as `run` would and say what it sets,
/// without touching the node (no socket, no tunnel, no API server).
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a NodeConfiguration file without touching the node.",
        discussion: """
            Reads the file exactly as `run` does (same defaults, same errors with where and
            what was expected) and prints what it sets. Exit codes: 0 valid, 2 invalid.

            Example:
              rampart-node validate --config deploy/examples/node.yaml
            """)

    @Option(name: .long, help: "The NodeConfiguration file.")
    var config: String

    func run() throws {
        let configuration: NodeConfiguration
        do {
            configuration = try NodeConfiguration.load(path: config)
        } catch {
            printError("rampart-node: \(error)")
            throw ExitCode(2)
        }
        let firewalls = configuration.firewalls.map { firewall in
            firewall.admin.map { "\(firewall.address) (health \($0)\(firewall.healthPath))" } ?? "\(firewall.address)"
        }.joined(separator: ", ")
        print("\(config): valid: node \(configuration.nodeName), cluster id \(configuration.clusterID), firewalls \(firewalls)\(configuration.balancing == .hash ? " (sessions spread over the healthy ones, \(configuration.buckets) buckets, \(configuration.hashScope == .cluster ? "the same bucket on every node" : "buckets per node"))" : ""), plugin failMode \(configuration.plugin.failMode)")
    }
}
