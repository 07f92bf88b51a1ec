/// `flow`, `flowbits`, `xbits`, `flowint`, `stream_size`: the session's state and direction.
extension RuleBuilder {
    mutating func flow(_ raw: String?) throws(RuleProblem) {
        if explicitFlow { throw problem(.conflict, "a rule may have only one flow keyword") }
        explicitFlow = true
        var f = FlowCondition()
        let args = RuleBuilder.arguments(try requireValue(raw))
        guard args.count <= 4 else { throw problem(.invalidValue, "too many options") }
        for a in args {
            func once<T>(_ current: T?, _ new: T) throws(RuleProblem) -> T {
                if current != nil { throw problem(.conflict, "'\(a)' conflicts with an earlier option of this flow keyword") }
                return new
            }
            switch a.lowercased() {
            case "established": f.state = try once(f.state, .established)
            case "not_established": f.state = try once(f.state, .notEstablished)
            case "stateless": f.state = try once(f.state, .stateless)
            case "to_server", "from_client": f.side = try once(f.side, .toServer)
            case "to_client", "from_server": f.side = try once(f.side, .toClient)
            case "only_stream": f.stream = try once(f.stream, .onlyStream)
            case "no_stream":
                f.stream = try once(f.stream, .noStream)
                packetKeyword = packetKeyword ?? "flow:no_stream"
            case "only_frag": f.fragment = try once(f.fragment, .onlyFragmented)
            case "no_frag": f.fragment = try once(f.fragment, .noFragmented)
            default:
                throw problem(.invalidValue, "unknown option '\(a)' (established, not_established, stateless, to_server, to_client, from_server, from_client, only_stream, no_stream, only_frag, no_frag)")
            }
        }
        f.sideIsExplicit = f.side != nil
        rule.flow = f
    }

    static func isBitName(_ s: String) -> Bool {
        !s.isEmpty && s.utf8.count <= 255 && !s.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == UInt8(ascii: ",") })
    }

    mutating func flowbits(_ raw: String?) throws(RuleProblem) {
        let text = try requireValue(raw)
        let parts = text.split(separator: ",", maxSplits: 1, omittingEmptySubsequences: false).map { String($0).trimmingBlanks }
        if parts[0] == "noalert" {
            guard parts.count == 1 else { throw problem(.invalidValue, "flowbits:noalert takes no name") }
            rule.noAlert = true
            return
        }
        guard let command = BitCommand(rawValue: parts[0]) else {
            throw problem(.invalidValue, "unknown command '\(parts[0])' (set, unset, toggle, isset, isnotset, noalert)")
        }
        guard parts.count == 2 else { throw problem(.invalidValue, "flowbits:\(parts[0]) needs a name") }
        let names = parts[1].split(separator: "|", omittingEmptySubsequences: false).map { String($0).trimmingBlanks }
        for n in names where !RuleBuilder.isBitName(n) {
            throw problem(.invalidValue, "'\(n)' is not a flowbit name (no spaces or commas)")
        }
        rule.state.append(.flowbit(FlowbitOperation(command: command, names: names)))
    }

    mutating func xbits(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        if args.first == "noalert" { rule.noAlert = true; return }
        guard args.count >= 3, let command = BitCommand(rawValue: args[0]) else {
            throw problem(.invalidValue, "expected set|unset|toggle|isset|isnotset,NAME,track ip_src|ip_dst|ip_pair[,expire SECONDS]")
        }
        guard RuleBuilder.isBitName(args[1]) else { throw problem(.invalidValue, "'\(args[1])' is not an xbit name") }
        let trackWords = args[2].split(separator: " ", omittingEmptySubsequences: true)
        guard trackWords.count == 2, trackWords[0] == "track", let track = XbitOperation.Track(rawValue: String(trackWords[1])) else {
            throw problem(.invalidValue, "expected 'track ip_src', 'track ip_dst' or 'track ip_pair', found '\(args[2])'")
        }
        var op = XbitOperation(command: command, name: args[1], track: track)
        if args.count > 3 {
            let e = args[3].split(separator: " ", omittingEmptySubsequences: true)
            guard args.count == 4, e.count == 2, e[0] == "expire" else { throw problem(.invalidValue, "expected 'expire SECONDS' after the track") }
            op.expireSeconds = UInt32(try number(String(e[1]), what: "expire", range: 1...Int64(UInt32.max)))
        }
        rule.state.append(.xbit(op))
    }

    mutating func flowint(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        guard args.count >= 2, RuleBuilder.isBitName(args[0]) else { throw problem(.invalidValue, "expected NAME,OPERATOR[,VALUE]") }
        guard let op = FlowintOperation.Op(rawValue: args[1]) ?? (args[1] == "notset" ? .isNotSet : nil) else {
            throw problem(.invalidValue, "unknown operator '\(args[1])' (= + - == != < > <= >= isset isnotset)")
        }
        var f = FlowintOperation(name: args[0], op: op)
        if op == .isSet || op == .isNotSet {
            guard args.count == 2 else { throw problem(.invalidValue, "\(args[1]) takes no value") }
        } else {
            guard args.count == 3, !args[2].isEmpty else { throw problem(.invalidValue, "\(args[1]) needs a value") }
            if let n = UInt32(args[2]) { f.value = .number(n) } else if RuleBuilder.isBitName(args[2]) { f.value = .variable(args[2]) } else {
                throw problem(.invalidValue, "'\(args[2])' is neither a number nor a flowint name")
            }
        }
        rule.state.append(.flowint(f))
    }

    mutating func streamSize(_ raw: String?) throws(RuleProblem) {
        let args = RuleBuilder.arguments(try requireValue(raw))
        guard args.count == 3, ["client", "server", "both", "either"].contains(args[0]) else {
            throw problem(.invalidValue, "expected client|server|both|either,OPERATOR,N")
        }
        let op = args[1]
        guard ["<", ">", "=", "!=", "<=", ">="].contains(op) else { throw problem(.invalidValue, "unknown operator '\(op)' (< > = != <= >=)") }
        let cond = try numericCondition(op + args[2], max: UInt64(UInt32.max))
        rule.conditions.append(.streamSize(side: args[0], condition: cond))
    }
}
