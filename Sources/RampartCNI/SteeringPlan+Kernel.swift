import RampartNetlink

extension SteeringPlan {
    /// Installs the plan in the socket's namespace: shared items first (created when
    /// missing), then the attachment's rules. A failure removes the rules this call added
    /// and rethrows, so a failed ADD leaves the kernel as it found it (shared items stay).
    ///
    /// - Returns: the attachment rules this call created (rules already present are not
    ///   counted: a repeated ADD adds nothing).
    @discardableResult
    public func apply(on socket: NetlinkSocket) throws(NetlinkError) -> [Rule] {
        let tunnelIndex = try socket.resolveIndex(.name(tunnelDevice))
        for rule in tunnelReturnRules { try Self.ensure(rule, on: socket) }
        for route in tableRoutes {
            // NLM_F_EXCL: EEXIST when the table has any default route (the agent's), whatever
            // its gateway, so an existing one is never touched and no dump is needed.
            do { try socket.addRoute(kernelRoute(route, tunnelIndex: tunnelIndex)) } catch where error.isAlreadyExists {}
        }
        var added: [Rule] = []
        do {
            for rule in rules {
                do {
                    try socket.addRule(rule)
                    added.append(rule)
                } catch where error.isAlreadyExists {}
            }
        } catch {
            for rule in added.reversed() { try? socket.deleteRule(rule) }
            throw error
        }
        return added
    }

    /// Removes the attachment's rules (reverse order), tolerating any already gone.
    /// Shared items are left for the other pods and the agent.
    ///
    /// ```swift
    /// try plan.remove(from: socket)
    /// ```
    public func remove(from socket: NetlinkSocket) throws(NetlinkError) {
        try Self.remove(rules, from: socket)
    }

    /// Removes `rules` in reverse order; missing ones are skipped.
    ///
    /// ```swift
    /// try SteeringPlan.remove(record.rules, from: socket)
    /// ```
    public static func remove(_ rules: [Rule], from socket: NetlinkSocket) throws(NetlinkError) {
        for rule in rules.reversed() {
            do { try socket.deleteRule(rule) } catch where error.isNotFound {}
        }
    }

    /// What the kernel lacks of this plan (empty when nothing drifted): missing tunnel
    /// device, shared rules, table routes or attachment rules, one line each.
    ///
    /// ```swift
    /// for problem in try plan.drift(on: socket) { print(problem) }   // "rule missing: 6030: ..."
    /// ```
    public func drift(on socket: NetlinkSocket) throws(NetlinkError) -> [String] {
        var problems: [String] = []
        var tunnelIndex: Int32?
        do { tunnelIndex = try socket.resolveIndex(.name(tunnelDevice)) } catch where error.isNotFound {
            problems.append("tunnel device \(tunnelDevice) is missing")
        }
        var present: [NetlinkAddressFamily: [Rule]] = [:]
        for family in [NetlinkAddressFamily.ipv4, .ipv6] where (tunnelReturnRules + rules).contains(where: { $0.family == family }) {
            present[family] = try socket.rules(family: family)
        }
        for rule in tunnelReturnRules + rules where !(present[rule.family] ?? []).contains(where: { Self.sameRule($0, rule) }) {
            problems.append("rule missing: \(rule)")
        }
        for route in tableRoutes {
            let routes = try socket.routes(family: route.family, table: route.table)
            let found = routes.contains {
                $0.destination.isDefault && $0.gateway == route.gateway && (tunnelIndex == nil || $0.outputInterface == tunnelIndex)
            }
            if !found { problems.append("route missing: \(route)") }
        }
        return problems
    }

    func kernelRoute(_ route: TableRoute, tunnelIndex: Int32) -> Route {
        Route(destination: .defaultRoute(route.family), gateway: route.gateway, outputInterface: tunnelIndex,
              table: route.table, protocol: .static, onLink: true)
    }

    static func ensure(_ rule: Rule, on socket: NetlinkSocket) throws(NetlinkError) {
        do { try socket.addRule(rule) } catch where error.isAlreadyExists {}
    }

    /// The selectors Rampart sets; what the kernel adds (flags, masks) is ignored.
    static func sameRule(_ a: Rule, _ b: Rule) -> Bool {
        a.family == b.family && a.priority == b.priority && a.source == b.source && a.destination == b.destination
            && a.inputInterface == b.inputInterface && a.outputInterface == b.outputInterface && a.table == b.table
            && a.action == b.action
    }
}
