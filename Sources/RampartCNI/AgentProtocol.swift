/// The node agent's unix-socket protocol, shared by `rampart-cni` (client) and
/// `rampart-node` (server): one newline-terminated JSON request per connection, one
/// newline-terminated JSON answer back.
///
/// ```
/// {"op":"decide","namespace":"shop","pod":"web-1","containerID":"abc"}
///     → {"steer":true,"reason":"namespace shop has rampart.io/firewall=enabled"}
/// {"op":"attach","containerID":"abc","ifname":"eth0","netns":"/var/run/netns/x","namespace":"shop",
///  "pod":"web-1","ips":["10.244.1.5"],"hostInterface":"veth1234","steered":true}  → {"ok":true}
/// {"op":"detach","containerID":"abc","ifname":"eth0"}                             → {"ok":true}
/// {"op":"status"}                                     → {"ready":false,"reasons":["firewall unhealthy"]}
/// ```
///
/// Both types are `Codable` with exactly these member names (nil members are left out), and
/// also read and write themselves through `JSONValue` so the plugin needs no Foundation.
///
/// ```swift
/// let request = AgentRequest.decide(namespace: "shop", pod: "web-1", containerID: "abc")
/// let line = request.line()                        // what the plugin sends
/// let back = try AgentRequest.parse(line: line)    // what the agent reads
/// ```
public struct AgentRequest: Codable, Sendable, Hashable {
    /// `op`: what the plugin asks.
    public enum Operation: String, Codable, Sendable, Hashable {
        case decide, attach, detach, status
    }

    public var op: Operation
    public var namespace: String?
    public var pod: String?
    public var containerID: String?
    public var ifname: String?
    public var netns: String?
    public var ips: [String]?
    public var hostInterface: String?
    public var steered: Bool?

    /// A request with every optional member unset.
    public init(op: Operation, namespace: String? = nil, pod: String? = nil, containerID: String? = nil,
                ifname: String? = nil, netns: String? = nil, ips: [String]? = nil, hostInterface: String? = nil,
                steered: Bool? = nil) {
        self.op = op
        self.namespace = namespace
        self.pod = pod
        self.containerID = containerID
        self.ifname = ifname
        self.netns = netns
        self.ips = ips
        self.hostInterface = hostInterface
        self.steered = steered
    }

    /// "Should this pod's traffic go through the firewall?"
    public static func decide(namespace: String, pod: String, containerID: String) -> AgentRequest {
        AgentRequest(op: .decide, namespace: namespace, pod: pod, containerID: containerID)
    }

    /// "This attachment now exists" (sent after a successful ADD).
    public static func attach(containerID: String, ifname: String, netns: String, namespace: String, pod: String,
                              ips: [String], hostInterface: String, steered: Bool) -> AgentRequest {
        AgentRequest(op: .attach, namespace: namespace, pod: pod, containerID: containerID, ifname: ifname,
                     netns: netns, ips: ips, hostInterface: hostInterface, steered: steered)
    }

    /// "This attachment is gone" (sent on DEL and GC).
    public static func detach(containerID: String, ifname: String) -> AgentRequest {
        AgentRequest(op: .detach, containerID: containerID, ifname: ifname)
    }

    /// "Can new pods be served?"
    public static let status = AgentRequest(op: .status)

    /// The request as a JSON object (members in the documented order, nil ones left out).
    public var json: JSONValue {
        var members: [(String, JSONValue)] = [("op", .string(op.rawValue))]
        func add(_ key: String, _ value: String?) { if let value { members.append((key, .string(value))) } }
        add("namespace", namespace)
        add("pod", pod)
        add("containerID", containerID)
        add("ifname", ifname)
        add("netns", netns)
        if let ips { members.append(("ips", .array(ips.map { .string($0) }))) }
        add("hostInterface", hostInterface)
        if let steered { members.append(("steered", .bool(steered))) }
        return .object(members)
    }

    /// One protocol line, newline included.
    public func line() -> String { json.serialized() + "\n" }

    /// Reads a request line (trailing newline optional).
    ///
    /// - Throws: `AgentProtocolError` naming the member and what was expected.
    public static func parse(line: String) throws(AgentProtocolError) -> AgentRequest {
        let value: JSONValue
        do { value = try JSONValue.parse(line) } catch { throw AgentProtocolError(reason: "not JSON: \(error)") }
        guard value.objectValue != nil else { throw AgentProtocolError(reason: "expected a JSON object, found \(value.kindName)") }
        guard let opText = value["op"]?.stringValue else { throw AgentProtocolError(reason: "member \"op\": expected a string") }
        guard let op = Operation(rawValue: opText) else {
            throw AgentProtocolError(reason: "member \"op\": \"\(opText)\" is not one of decide, attach, detach, status")
        }
        var request = AgentRequest(op: op)
        request.namespace = try AgentProtocolError.string(value, "namespace")
        request.pod = try AgentProtocolError.string(value, "pod")
        request.containerID = try AgentProtocolError.string(value, "containerID")
        request.ifname = try AgentProtocolError.string(value, "ifname")
        request.netns = try AgentProtocolError.string(value, "netns")
        request.hostInterface = try AgentProtocolError.string(value, "hostInterface")
        request.steered = try AgentProtocolError.bool(value, "steered")
        request.ips = try AgentProtocolError.strings(value, "ips")
        return request
    }
}

/// The agent's answer; which members are set depends on the request's `op`.
///
/// ```swift
/// AgentResponse(steer: true, reason: "pod annotation rampart.io/inspect=secure").line()
/// AgentResponse(ok: true).line()
/// AgentResponse(ready: false, reasons: ["tunnel rampart0 missing"]).line()
/// ```
public struct AgentResponse: Codable, Sendable, Hashable {
    /// decide: steer this pod's traffic through the firewall.
    public var steer: Bool?
    /// decide: why (shown in the plugin's log).
    public var reason: String?
    /// attach/detach: accepted.
    public var ok: Bool?
    /// status: tunnel up and a firewall healthy.
    public var ready: Bool?
    /// status: why not ready.
    public var reasons: [String]?
    /// Any op: the agent could not serve the request.
    public var error: String?

    /// An answer with the given members set.
    public init(steer: Bool? = nil, reason: String? = nil, ok: Bool? = nil, ready: Bool? = nil,
                reasons: [String]? = nil, error: String? = nil) {
        self.steer = steer
        self.reason = reason
        self.ok = ok
        self.ready = ready
        self.reasons = reasons
        self.error = error
    }

    /// The answer as a JSON object (nil members left out).
    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        if let steer { members.append(("steer", .bool(steer))) }
        if let reason { members.append(("reason", .string(reason))) }
        if let ok { members.append(("ok", .bool(ok))) }
        if let ready { members.append(("ready", .bool(ready))) }
        if let reasons { members.append(("reasons", .array(reasons.map { .string($0) }))) }
        if let error { members.append(("error", .string(error))) }
        return .object(members)
    }

    /// One protocol line, newline included.
    public func line() -> String { json.serialized() + "\n" }

    /// Reads an answer line (trailing newline optional).
    public static func parse(line: String) throws(AgentProtocolError) -> AgentResponse {
        let value: JSONValue
        do { value = try JSONValue.parse(line) } catch { throw AgentProtocolError(reason: "not JSON: \(error)") }
        guard value.objectValue != nil else { throw AgentProtocolError(reason: "expected a JSON object, found \(value.kindName)") }
        return AgentResponse(
            steer: try AgentProtocolError.bool(value, "steer"),
            reason: try AgentProtocolError.string(value, "reason"),
            ok: try AgentProtocolError.bool(value, "ok"),
            ready: try AgentProtocolError.bool(value, "ready"),
            reasons: try AgentProtocolError.strings(value, "reasons"),
            error: try AgentProtocolError.string(value, "error"))
    }
}

/// A protocol line that could not be read, with the member and what was expected.
public struct AgentProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public init(reason: String) { self.reason = reason }
    public var description: String { reason }

    static func string(_ object: JSONValue, _ key: String) throws(AgentProtocolError) -> String? {
        guard let member = object[key], !member.isNull else { return nil }
        guard let text = member.stringValue else { throw AgentProtocolError(reason: "member \"\(key)\": expected a string, found \(member.kindName)") }
        return text
    }

    static func bool(_ object: JSONValue, _ key: String) throws(AgentProtocolError) -> Bool? {
        guard let member = object[key], !member.isNull else { return nil }
        guard let flag = member.boolValue else { throw AgentProtocolError(reason: "member \"\(key)\": expected true or false, found \(member.kindName)") }
        return flag
    }

    static func strings(_ object: JSONValue, _ key: String) throws(AgentProtocolError) -> [String]? {
        guard let member = object[key], !member.isNull else { return nil }
        guard let items = member.arrayValue else { throw AgentProtocolError(reason: "member \"\(key)\": expected an array of strings, found \(member.kindName)") }
        var result: [String] = []
        for (i, item) in items.enumerated() {
            guard let text = item.stringValue else { throw AgentProtocolError(reason: "member \"\(key)\"[\(i)]: expected a string, found \(item.kindName)") }
            result.append(text)
        }
        return result
    }
}
