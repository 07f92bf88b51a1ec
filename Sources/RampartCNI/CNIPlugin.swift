import RampartNetlink

/// What one invocation prints and how it exits.
///
/// ```swift
/// let output = CNIPlugin().run(environment: ["CNI_COMMAND": "VERSION"], input: [])
/// output.exitCode   // 0
/// ```
public struct CNIOutput: Sendable, Hashable {
    /// Standard output: a result, VERSION's answer, an error object, or nothing.
    public var standardOutput: String
    public var exitCode: Int32
}

/// The chained plugin: one call per invocation, from the environment and standard input
/// to standard output and an exit status. Never traps on its inputs; every failure is a
/// spec error object.
///
/// ```swift
/// let output = CNIPlugin().run(environment: ProcessInfo.processInfo.environment, input: stdinBytes)
/// print(output.standardOutput, terminator: ""); exit(output.exitCode)
/// ```
public struct CNIPlugin: Sendable {
    public init() {}

    public func run(environment variables: [String: String], input: [UInt8]) -> CNIOutput {
        var version = CNIVersion.current
        do throws(CNIError) {
            let environment = try CNIEnvironment(variables)
            if environment.command == .version { return versionAnswer(input) }
            let json: JSONValue
            do { json = try JSONValue.parse(input) } catch {
                throw CNIError(.decodeFailure, "network configuration on standard input is not valid JSON", details: "\(error)")
            }
            if let text = json["cniVersion"]?.stringValue { version = text }
            let configuration = try PluginConfiguration(json: json)
            let context = CommandContext(environment: environment, configuration: configuration)
            let output: String
            switch environment.command {
            case .add: output = try context.add()
            case .del: output = try context.delete()
            case .check: output = try context.check()
            case .status: output = try context.status()
            case .gc: output = try context.collectGarbage()
            case .version: output = ""
            }
            return CNIOutput(standardOutput: output, exitCode: 0)
        } catch {
            let answerVersion = CNIVersion.isSupported(version) ? version : CNIVersion.current
            return CNIOutput(standardOutput: error.json(cniVersion: answerVersion).serialized() + "\n", exitCode: 1)
        }
    }

    private func versionAnswer(_ input: [UInt8]) -> CNIOutput {
        let answer = JSONValue.object([
            ("cniVersion", .string(CNIVersion.current)),
            ("supportedVersions", .array(CNIVersion.supported.map { .string($0) })),
        ])
        return CNIOutput(standardOutput: answer.serialized() + "\n", exitCode: 0)
    }
}

/// One command's inputs, with the agent, store and log the configuration names.
struct CommandContext {
    let environment: CNIEnvironment
    let configuration: PluginConfiguration
    let agent: AgentClient
    let store: AttachmentStore
    let log: PluginLog

    init(environment: CNIEnvironment, configuration: PluginConfiguration) {
        self.environment = environment
        self.configuration = configuration
        agent = AgentClient(socketPath: configuration.agentSocket, timeout: .milliseconds(configuration.agentTimeoutMilliseconds))
        store = AttachmentStore(directory: configuration.stateDirectory)
        log = PluginLog(path: configuration.logFile)
    }

    var key: AttachmentKey { AttachmentKey(containerID: environment.containerID, interfaceName: environment.interfaceName) }
    var fields: [(String, String)] {
        [("containerID", environment.containerID), ("ifname", environment.interfaceName),
         ("namespace", environment.podNamespace ?? ""), ("pod", environment.podName ?? "")]
    }

    func nodeSocket() throws(CNIError) -> NetlinkSocket {
        do { return try NetlinkSocket(timeout: .seconds(2)) } catch {
            throw CNIError(.ioFailure, "opening a netlink socket in the node namespace", details: "\(error)")
        }
    }

    /// The previous result, required (code 7) for chained ADD and CHECK.
    func requirePreviousResult() throws(CNIError) -> JSONValue {
        guard let previous = configuration.prevResult else {
            throw CNIError(.invalidConfiguration, "rampart-cni is a chained plugin and received no prevResult",
                           details: "list it after the primary plugin (bridge, ptp, calico, ...) in a conflist's \"plugins\"")
        }
        return previous
    }

    /// The result to print: the previous one unchanged, its cniVersion filled in if absent.
    func passOn(_ previous: JSONValue) -> String {
        let out = previous["cniVersion"] == nil ? previous.setting("cniVersion", to: .string(configuration.cniVersion)) : previous
        return out.serialized() + "\n"
    }
}
