import RampartNetlink

extension CommandContext {
    /// DEL: remove exactly the recorded rules (or, with no record, the rules recomputed from
    /// prevResult), forget the attachment, tell the agent. Anything already gone is fine.
    func delete() throws(CNIError) -> String {
        let socket = try nodeSocket()
        var rules: [Rule] = []
        if let record = store.load(key) {
            rules = record.rules
        } else if let previousJSON = configuration.prevResult, let previous = try? PreviousResult(json: previousJSON) {
            let addresses = previous.podAddresses(interfaceName: environment.interfaceName)
            if !addresses.isEmpty, let site = try? HostInterfaceLocator(node: socket).locate(
                netns: environment.netns, interfaceName: environment.interfaceName, previous: previous, addresses: addresses) {
                rules = SteeringPlan(configuration: configuration, site: site).rules
            }
        }
        do { try SteeringPlan.remove(rules, from: socket) } catch {
            throw CNIError(.steeringFailed, "removing the steering rules of \(key)", details: "\(error)")
        }
        store.delete(key)
        do { _ = try agent.send(.detach(containerID: environment.containerID, ifname: environment.interfaceName)) } catch {
            log.record(.warning, event: "agent_detach_failed", "could not tell the agent: \(error)", fields)
        }
        log.record(.info, event: "deleted", "attachment removed (\(rules.count) rules)", fields)
        return ""
    }

    /// CHECK: the attachment's recorded rules, the shared rules and the table routes must
    /// all be in the kernel (code 101 lists what is missing).
    func check() throws(CNIError) -> String {
        let previousJSON = try requirePreviousResult()
        _ = try PreviousResult(json: previousJSON)
        do { _ = try NetworkNamespace(path: environment.netns) } catch {
            throw CNIError(.containerUnknown, "network namespace \(environment.netns) does not exist", details: "\(error)")
        }
        guard let record = store.load(key) else {
            throw CNIError(.drift, "no record of attachment \(key)", details: "ADD did not complete here, or \(configuration.stateDirectory) was cleared")
        }
        guard record.steered else { return "" }
        let socket = try nodeSocket()
        let previous = try PreviousResult(json: previousJSON)
        let site = AttachmentSite(addresses: previous.podAddresses(interfaceName: environment.interfaceName), hostInterface: record.hostInterface)
        var plan = SteeringPlan(configuration: configuration, site: site)
        plan.rules = record.rules
        let problems: [String]
        do { problems = try plan.drift(on: socket) } catch {
            throw CNIError(.ioFailure, "reading the kernel's rules and routes", details: "\(error)")
        }
        guard problems.isEmpty else {
            throw CNIError(.drift, "steering of \(key) drifted: \(problems.count) item(s) missing", details: problems.joined(separator: "; "))
        }
        return ""
    }

    /// STATUS: ready only when the agent answers ready (tunnel up, a firewall healthy).
    func status() throws(CNIError) -> String {
        let answer: AgentResponse
        do { answer = try agent.send(.status) } catch {
            throw CNIError(.notAvailable, "node agent unavailable", details: "\(error)")
        }
        guard answer.ready == true else {
            let reasons = answer.reasons ?? [answer.error ?? "agent not ready"]
            throw CNIError(.notAvailableLimitedConnectivity, "rampart is not ready; steered pods may have limited connectivity",
                           details: reasons.joined(separator: "; "))
        }
        return ""
    }

    /// GC: forget every recorded attachment not in `cni.dev/valid-attachments` (rules
    /// removed, agent told).
    func collectGarbage() throws(CNIError) -> String {
        guard let valid = configuration.validAttachments else {
            throw CNIError(.invalidConfiguration, "cni.dev/valid-attachments: missing",
                           details: "GC needs the list of attachments still in use; nothing was removed")
        }
        let keep = Set(valid)
        let socket = try nodeSocket()
        var removed = 0
        for record in store.all() where !keep.contains(record.key) {
            do { try SteeringPlan.remove(record.rules, from: socket) } catch {
                log.record(.warning, event: "gc_failed", "removing rules of \(record.key): \(error)", fields)
                continue
            }
            store.delete(record.key)
            _ = try? agent.send(.detach(containerID: record.key.containerID, ifname: record.key.interfaceName))
            removed += 1
        }
        log.record(.info, event: "gc", "removed \(removed) stale attachment(s)", [])
        return ""
    }
}
