// libFuzzer target for what rampart-cni and rampart-node read from outside: CNI stdin JSON,
// plugin configurations and prevResults, CNI_* environments, agent protocol lines, and
// rtnetlink replies. The first byte picks the parser. Built by Fuzz/cni/build.sh.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    guard size > 0 else { return 0 }
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    let text = String(decoding: bytes, as: UTF8.self)
    switch data[0] % 5 {
    case 0:
        if let json = try? JSONValue.parse(bytes) {
            _ = try? PluginConfiguration(json: json)
            _ = json.serialized()
        }
    case 1:
        if let json = try? JSONValue.parse(bytes) { _ = try? PreviousResult(json: json) }
    case 2:
        // KEY=VALUE lines as the environment.
        var environment: [String: String] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { environment[String(parts[0])] = String(parts[1]) }
        }
        _ = try? CNIEnvironment(environment)
    case 3:
        _ = try? AgentRequest.parse(line: text)
        _ = try? AgentResponse.parse(line: text)
    default:
        _ = try? NetlinkMessage.parse(bytes, operation: "fuzz")
    }
    // The whole plugin is not run here: a mutated configuration names files (logFile,
    // stateDir) it would write to.
    return 0
}
