import RampartPolicy
import RampartWire

extension Engine {
    /// The URL filtering stage, for a TCP packet of an allowed session whose URL filtering is
    /// not settled: once App-ID has named the application and read the request head
    /// (plaintext HTTP: host and target) or the ClientHello (TLS: SNI; without one, the
    /// certificate's name once the server sent it), the rule's URL filtering profile decides,
    /// once per session, from one lookup in the indicator store:
    ///
    /// - `allow`, `alert`: the session goes on (the decision is logged in its records);
    /// - `block`: an HTTP/1 request is answered with the block page
    ///   (`.respond`: the request never reaches the server, which is reset); a TLS session
    ///   (or HTTP/2) is reset both ways;
    /// - `continue`: as `block`, with the continue page, unless this client continued to
    ///   this host within the profile's `continueMinutes` (then it passes);
    /// - `override`: as `continue`, with a password form; the firewall itself answers the
    ///   form's request (`/.well-known/rampart-override`, never sent to the server): the
    ///   right password lets the client through for `overrideMinutes` (`303` back to the URL).
    ///
    /// Returns the packet's verdict when the stage decides it, nil to go on. Not inlined
    /// into `process`: sessions without a URL filtering profile pay a branch and one call.
    @usableFromInline
    mutating func filterURL<Sink: EventSink>(
        _ slot: SessionSlot, direction: FlowDirection, packet: DecodedPacket, packetNumber: UInt64, sink: inout Sink
    ) -> Verdict? {
        // The final rule is known once the application is: wait for App-ID.
        guard sessions[slot].decisionIsFinal, sessions[slot].application != nil else { return nil }
        let profile = Int(policy.profiles(ofRule: sessions[slot].ruleIndex).url)
        let state = sessions[slot].applicationState
        guard profile >= 0, profile < urlProfiles.profiles.count, sessions[slot].action == RuleAction.allow.rawValue,
              let metadata = appID.metadata(state)
        else {
            sessions[slot].profileFlags.insert(.urlDecided)
            return nil
        }
        let fromClient = sessions[slot].streamDirection(of: direction) == .toServer
        if metadata.httpMethod != nil {
            let isHTTP1 = metadata.httpProtocol.map { $0.hasPrefix("HTTP/1") } ?? true
            let (verdict, refused) = filterHTTP(slot, profile: profile, host: metadata.httpHost ?? "", target: metadata.httpURI ?? "/",
                                                isHTTP1: isHTTP1, fromClient: fromClient)
            if refused { limitReached(.urlContinues, packet: packet, packetNumber: packetNumber, sink: &sink) }
            return verdict
        }
        let isTLS = metadata.tlsSNI != nil || metadata.tlsVersion != nil || metadata.tlsJA4 != nil
        guard isTLS else {
            // Neither HTTP nor TLS: nothing to look up.
            sessions[slot].profileFlags.insert(.urlDecided)
            return nil
        }
        let name: String
        if let sni = metadata.tlsSNI, !sni.isEmpty {
            name = sni
        } else if let subject = metadata.tlsSubject, !subject.isEmpty {
            name = subject
        } else {
            // No SNI: the certificate may still come (TLS 1.2 and older send it in clear).
            if appID.wantsData(state) { return nil }
            sessions[slot].profileFlags.insert(.urlDecided)
            return nil
        }
        let match: IndicatorMatch? = indicatorStore.flatMap { store in
            name.utf8.withContiguousStorageIfAvailable { store.domain(UnsafeRawBufferPointer($0)) } ?? store.domain(name)
        }
        var verdict = urlProfiles.decide(profile, match: match, store: indicatorStore)
        sessions[slot].profileFlags.insert(.urlDecided)
        if verdict.action == .continue || verdict.action == .override, allowedToContinue(slot, host: name) {
            verdict.continued = true
        }
        record(verdict, slot: slot)
        switch verdict.action {
        case .allow, .alert: return nil
        case .continue where verdict.continued, .override where verdict.continued: return nil
        case .continue, .override, .block:
            // No page can be shown inside TLS: the session is reset both ways.
            sessions[slot].profileFlags.insert(.urlBlocked)
            return .reset(toClient: true, toServer: true)
        }
    }

    /// The plaintext HTTP part, for each request of the session (the first from App-ID's
    /// metadata, later ones from the request heads the HTTP parser completes): host and
    /// request target looked up, the page asked for. `continueRefused`: the continue table
    /// was full (the caller counts the limit).
    mutating func filterHTTP(
        _ slot: SessionSlot, profile: Int, host: String, target: String, isHTTP1: Bool, fromClient: Bool, later: Bool = false
    ) -> (verdict: Verdict?, continueRefused: Bool) {
        var host = host
        var target = target
        var continueRefused = false
        // An absolute-form target (a request through a proxy) names the host itself.
        if let rest = URLOverrideQuery.afterScheme(target) {
            let slash = rest.firstIndex(of: "/") ?? rest.endIndex
            if host.isEmpty { host = String(rest[..<slash]) }
            target = slash == rest.endIndex ? "/" : String(rest[slash...])
        }
        sessions[slot].profileFlags.insert(.urlDecided)
        // The override form's answer is judged by the URL it names (on this host), not by the
        // form's own path: an override on a URL prefix must still catch the password.
        let formQuery = URLOverrideQuery.query(of: target)
        let lookedUp = formQuery.map { URLOverrideQuery.sameHostPath(URLOverrideQuery.value($0, name: "url") ?? [], host: host) } ?? target
        var verdict: URLFilteringVerdict
        if host.isEmpty {
            // HTTP/1.0 without Host: nothing names the site.
            verdict = urlProfiles.decide(profile, match: nil, store: indicatorStore)
        } else {
            let match: IndicatorMatch? = indicatorStore.flatMap { store in
                Self.withBytes(host) { h in
                    Self.withBytes(lookedUp) { t in store.classify(host: h, path: t, buffer: &urlScratch.buffer).match }
                }
            }
            verdict = urlProfiles.decide(profile, match: match, store: indicatorStore)
        }
        // The override form's answer is the firewall's to take, even from a client already let through.
        let answer = verdict.action == .override ? formQuery : nil
        if let answer {
            let hash = urlProfiles.profiles[profile].overridePasswordSHA256
            let password = URLOverrideQuery.value(answer, name: "password") ?? []
            let right = hash.map { URLOverrideQuery.sameDigest(SHA256.hash(password).bytes, $0) } ?? false
            verdict.overrideAnswer = right ? .accepted : .refused
            if !right { stats.urlOverridesRefused &+= 1 }
        } else if verdict.action == .continue || verdict.action == .override, allowedToContinue(slot, host: host) {
            verdict.continued = true
        }
        record(verdict, slot: slot, later: later)
        switch verdict.action {
        case .allow, .alert: return (nil, false)
        case .continue where verdict.continued, .override where verdict.continued: return (nil, false)
        case .continue, .override, .block: break
        }
        sessions[slot].profileFlags.insert(.urlBlocked)
        guard fromClient && isHTTP1 else { return (.reset(toClient: true, toServer: true), false) }
        let settings = urlProfiles.profiles[profile]
        let minutes = verdict.action == .override ? settings.overrideMinutes : settings.continueMinutes
        if let answer {
            // The URL the form came from, on this host only (never an open redirect).
            let path = URLOverrideQuery.sameHostPath(URLOverrideQuery.value(answer, name: "url") ?? [], host: host)
            let url = "http://\(host)\(path)"
            if verdict.overrideAnswer == .accepted {
                let key = continueKey(slot, host: host)
                let until = now.nanosecondsSinceEpoch &+ Int64(minutes) &* 60_000_000_000
                if !urlContinues.insert(key, until: until, now: now) { continueRefused = true }
            }
            urlResponse = URLFilteringResponse(profile: Int32(profile), verdict: verdict, url: url, continueMinutes: minutes,
                                               redirect: verdict.overrideAnswer == .accepted ? url : nil)
            noteResponseSequence(slot)
            return (.respond, continueRefused)
        }
        if verdict.action == .continue {
            // The page's link repeats the request: this client may then pass to this host.
            let key = continueKey(slot, host: host)
            let until = now.nanosecondsSinceEpoch &+ Int64(minutes) &* 60_000_000_000
            if !urlContinues.insert(key, until: until, now: now) { continueRefused = true }
        }
        urlResponse = URLFilteringResponse(
            profile: Int32(profile), verdict: verdict, url: "http://\(host)\(target.hasPrefix("/") ? "" : "/")\(target)",
            continueMinutes: minutes)
        noteResponseSequence(slot)
        return (.respond, continueRefused)
    }

    /// A later request of a kept-alive HTTP/1 session (the parser completed its head): judged
    /// as the first was, so `GET /` then `GET /blocked/path`, or a second `Host:`, on one
    /// connection is not let through by the first request's verdict. The verdict waits in
    /// `urlLaterVerdict` for `detect` to return; the packet's later heads are not looked at
    /// once one is held. The first head is App-ID's (`filterURL`).
    mutating func filterLaterRequest(_ slot: SessionSlot, state: Int32, block: UnsafeRawBufferPointer) {
        let s = Int(state)
        detector!.states[s].urlRequestHeads &+= 1
        guard detector!.states[s].urlRequestHeads > 1, urlLaterVerdict == nil,
              sessions[slot].profileFlags.contains(.urlDecided), !sessions[slot].profileFlags.contains(.urlBlocked),
              sessions[slot].action == RuleAction.allow.rawValue else { return }
        let profile = Int(policy.profiles(ofRule: sessions[slot].ruleIndex).url)
        guard profile >= 0, profile < urlProfiles.profiles.count else { return }
        let fields = HTTPHeaderFields(block)
        guard let line = fields.startLine, let parts = HTTPHeaderFields.requestLine(line) else { return }
        let target = String(decoding: UnsafeRawBufferPointer(rebasing: line[parts.target]), as: UTF8.self)
        let host = fields.value(named: "host").map { String(decoding: $0, as: UTF8.self) } ?? ""
        let (verdict, refused) = filterHTTP(slot, profile: profile, host: host, target: target, isHTTP1: true, fromClient: true,
                                            later: true)
        stats.urlLaterRequests &+= 1
        urlLaterContinueRefused = urlLaterContinueRefused || refused
        urlLaterVerdict = verdict
    }

    /// Keeps the decision for the session's records and counts it. A later request's
    /// `allow` does not replace the session's recorded decision (the first request's, or a
    /// later alert or page), so the record keeps what mattered.
    mutating func record(_ verdict: URLFilteringVerdict, slot: SessionSlot, later: Bool = false) {
        if !later || verdict.action != .allow {
            appID.noteURLFiltering(sessions[slot].applicationState, verdict)
        }
        stats.urlFiltering[URLFilteringCountKey(category: verdict.category, action: verdict.action), default: 0] &+= 1
    }

    var hasURLProfiles: Bool { !urlProfiles.profiles.isEmpty }

    func continueKey(_ slot: SessionSlot, host: String) -> UInt64 {
        Self.withBytes(host) { URLContinueTable.key(client: sessions[slot].client.address, host: $0) }
    }

    func allowedToContinue(_ slot: SessionSlot, host: String) -> Bool {
        urlContinues.allows(continueKey(slot, host: host), now: now)
    }

    /// A string's UTF-8 bytes, borrowed (native strings: no copy).
    static func withBytes<R>(_ s: String, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable({ body(UnsafeRawBufferPointer($0)) }) { return r }
        return Array(s.utf8).withUnsafeBytes(body)
    }
}
