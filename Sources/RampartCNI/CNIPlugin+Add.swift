import RampartNetlink

extension CommandContext {
    /// ADD: ask the agent, steer when told to, record the attachment, tell the agent, and
    /// pass the previous result on unchanged.
    func add() throws(CNIError) -> String {
        let previousJSON = try requirePreviousResult()
        let previous = try PreviousResult(json: previousJSON)
        let addresses = previous.podAddresses(interfaceName: environment.interfaceName)

        // The primary plugin just set the namespace up; if it is gone, the container is.
        do { _ = try NetworkNamespace(path: environment.netns) } catch {
            throw CNIError(.containerUnknown, "network namespace \(environment.netns) does not exist", details: "\(error)")
        }

        let socket = try nodeSocket()
        var site: AttachmentSite?
        do {
            site = try HostInterfaceLocator(node: socket).locate(
                netns: environment.netns, interfaceName: environment.interfaceName, previous: previous, addresses: addresses)
        } catch {
            site = nil
            log.record(.warning, event: "host_interface_unknown", "no host-side veth found for \(environment.interfaceName): \(error)", fields)
        }

        var steer = false
        if addresses.isEmpty {
            log.record(.warning, event: "no_addresses", "prevResult has no IP for \(environment.interfaceName); nothing to steer", fields)
        } else {
            steer = try decide()
        }

        // Fail-closed enrollment: once the agent says the pod is protected, a pod that
        // cannot be steered is not started (the runtime retries), whatever failMode says;
        // failMode only covers not knowing.
        var rules: [Rule] = []
        if steer {
            guard let site else {
                try protectedButUnsteerable("its host-side interface could not be found", event: "host_interface_unknown")
            }
            do { _ = try socket.resolveIndex(.name(configuration.tunnelDevice)) } catch {
                try protectedButUnsteerable("tunnel device \(configuration.tunnelDevice) is missing", event: "tunnel_missing")
            }
            let plan = SteeringPlan(configuration: configuration, site: site)
            do { try plan.apply(on: socket) } catch {
                throw CNIError(.steeringFailed, "steering \(environment.containerID)/\(environment.interfaceName) failed; rolled back", details: "\(error)")
            }
            rules = plan.rules
        }

        let record = AttachmentRecord(
            key: key, namespace: environment.podNamespace ?? "", pod: environment.podName ?? "", steered: steer,
            hostInterface: site?.hostInterface ?? "", addresses: addresses.map(\.description), rules: rules)
        do { try store.save(record) } catch {
            if let socket = try? nodeSocket() { try? SteeringPlan.remove(rules, from: socket) }
            throw error
        }
        log.record(.info, event: steer ? "steered" : "bypassed",
                   steer ? "traffic of \(addresses.map(\.description).joined(separator: ", ")) goes through the firewall"
                         : "not steered", fields)

        let attach = AgentRequest.attach(
            containerID: environment.containerID, ifname: environment.interfaceName, netns: environment.netns,
            namespace: environment.podNamespace ?? "", pod: environment.podName ?? "", ips: record.addresses,
            hostInterface: record.hostInterface, steered: steer)
        do { try agent.notify(attach) } catch {
            log.record(.warning, event: "agent_attach_failed", "could not tell the agent about the attachment: \(error)", fields)
        }
        return passOn(previousJSON)
    }

    /// The agent's steering decision; on no answer, fail open (no steering) or closed (11).
    private func decide() throws(CNIError) -> Bool {
        let request = AgentRequest.decide(namespace: environment.podNamespace ?? "", pod: environment.podName ?? "",
                                          containerID: environment.containerID)
        do {
            let answer = try agent.send(request)
            guard let steer = answer.steer else {
                try unavailable("the agent's answer has no \"steer\"\(answer.error.map { ": \($0)" } ?? "")", event: "agent_unreachable")
                return false
            }
            log.record(.info, event: "decision", "steer=\(steer): \(answer.reason ?? "")", fields)
            return steer
        } catch let failure as AgentClient.Failure {
            try unavailable("node agent at \(configuration.agentSocket) did not answer: \(failure)", event: "agent_unreachable")
            return false
        } catch {
            throw error as? CNIError ?? CNIError(.ioFailure, "\(error)")
        }
    }

    /// A protected pod that cannot be steered now: ADD fails with code 11 (try again later).
    private func protectedButUnsteerable(_ reason: String, event: String) throws(CNIError) -> Never {
        log.record(.error, event: event, "\(reason); the pod is protected, so ADD is refused rather than start it unsteered", fields)
        throw CNIError(.tryAgainLater, "rampart-cni cannot steer this protected pod now", details: reason)
    }

    /// Fail open (warn, log an event, carry on without steering) or closed (code 11).
    func unavailable(_ reason: String, event: String) throws(CNIError) {
        switch configuration.failMode {
        case .open:
            log.record(.warning, event: event, "\(reason); failMode open: the pod starts unprotected", fields)
        case .closed:
            log.record(.error, event: event, "\(reason); failMode closed: ADD refused", fields)
            throw CNIError(.tryAgainLater, "rampart-cni cannot protect this pod now (failMode closed)", details: reason)
        }
    }
}
