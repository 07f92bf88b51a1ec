import RampartPolicy
import RampartWire

/// `rampart bench policy`: builds a synthetic Kubernetes-style policy and measures the
/// compiled matcher. Figures are nanoseconds per lookup, milliseconds for build steps and
/// mebibytes for memory.
///
/// ```swift
/// for (name, value) in PolicyBenchmark.run(ruleCount: 10_000, taggedAddressCount: 100_000, lookups: 2_000_000) {
///     print(name, value)
/// }
/// ```
enum PolicyBenchmark {
    static func run(ruleCount: Int, taggedAddressCount: Int, lookups: Int) -> [(String, Double)] {
        var rng = BenchRandom(seed: 42)
        let clusters = 4, namespaces = 200, apps = 500, nodes = 50
        let ports: [UInt16] = (0..<200).map { UInt16(1000 + $0 * 17) } + [80, 443, 53, 5432, 6379, 8080, 9092]
        let appNames = ["http", "ssl", "dns", "postgresql", "redis", "kafka", "grpc", "mysql", "openai-api", "category:database"]
        let actions = ["allow", "allow", "allow", "deny", "drop", "reset-client"]

        // --- the policy as YAML, as a user would write it --------------------------------
        var y = "apiVersion: rampart.io/v1\nkind: SecurityPolicy\nmetadata: {name: bench}\nspec:\n  zones:\n"
        y += "    - {name: pods-a, networks: [10.0.0.0/10]}\n    - {name: pods-b, networks: [10.64.0.0/10]}\n"
        y += "    - {name: edge, tags: 'cluster:c3 and ns:ingress'}\n    - {name: rest, networks: [0.0.0.0/0, '::/0']}\n"
        let groupCount = max(1, ruleCount / 2)
        y += "  addressGroups:\n"
        for g in 0..<groupCount {
            let c = rng.below(clusters), n = rng.below(namespaces), a = rng.below(apps)
            switch g % 3 {
            case 0: y += "    - {name: g\(g), match: 'cluster:c\(c) and ns:n\(n) and label:app=a\(a)'}\n"
            case 1: y += "    - {name: g\(g), match: 'cluster:c\(c) and ns:n\(n)'}\n"
            default: y += "    - {name: g\(g), match: 'ns:n\(n) and (label:app=a\(a) or label:tier=t\(a % 5)) and not label:canary=true'}\n"
            }
        }
        y += "  rules:\n"
        for r in 0..<ruleCount {
            y += "    - name: r\(r)\n"
            let src = rng.below(4) == 0 ? "10.\(rng.below(128)).\(rng.below(256)).0/24" : "g\(rng.below(groupCount))"
            let dst = rng.below(5) == 0 ? "10.\(rng.below(128)).0.0/16" : "g\(rng.below(groupCount))"
            y += "      source: [\(src)]\n      destination: [\(dst)]\n"
            if rng.below(3) == 0 { y += "      applications: [\(appNames[rng.below(appNames.count)])]\n" }
            switch rng.below(3) {
            case 0: y += "      services: [application-default]\n"
            case 1: y += "      services: [tcp/\(ports[rng.below(ports.count)])]\n"
            default: break
            }
            y += "      action: \(actions[rng.below(actions.count)])\n"
        }

        var results: [(String, Double)] = []
        let clock = ContinuousClock()
        var document: PolicyDocument?
        let loadTime = clock.measure {
            document = try? PolicyLoader.load(yaml: y, file: "bench.yaml")
        }
        guard let document else { return [("error: synthetic policy did not load", 0)] }
        results.append(("load+validate (ms)", loadTime.milliseconds))

        // --- tagged addresses ------------------------------------------------------------
        var tagged: [(IPAddress, [Tag])] = []
        tagged.reserveCapacity(taggedAddressCount)
        for i in 0..<taggedAddressCount {
            let address = IPAddress(ipv4: 0x0A00_0000 | UInt32(truncatingIfNeeded: i &* 2_654_435_761 & 0x7F_FFFF))
            var t = ["cluster:c\(rng.below(clusters))", "ns:n\(rng.below(namespaces))", "label:app=a\(rng.below(apps))",
                     "label:tier=t\(rng.below(5))", "node:w\(rng.below(nodes))", "workload:w\(i / 3)"]
            if rng.below(20) == 0 { t.append("label:canary=true") }
            tagged.append((address, t.compactMap { Tag(validating: $0) }))
        }
        var seen = Set<IPAddress>()
        tagged = tagged.filter { seen.insert($0.0).inserted }

        var matcher: PolicyMatcher?
        let compileTime = clock.measure {
            matcher = try? PolicyMatcher(document, tags: tagged)
        }
        guard let m = matcher else { return results + [("error: compile failed", 0)] }
        results.append(("compile + tag \(tagged.count) addresses (ms)", compileTime.milliseconds))
        results.append(("memory estimate (MiB)", Double(m.memoryEstimate) / 1_048_576))

        // --- queries ----------------------------------------------------------------------
        /// Three rows per matcher: a small hot set (cache hits), 65,536 random sessions
        /// cycled (the honest figure: mostly misses), and the miss path alone.
        func measureLookups(_ m: PolicyMatcher, _ tagged: [(IPAddress, [Tag])], _ label: String) -> Int64 {
            func randomQuery() -> PolicyQuery {
                let s = rng.below(4) == 0 ? IPAddress(ipv4: 0x0A00_0000 | UInt32(rng.below(1 << 23))) : tagged[rng.below(tagged.count)].0
                let d = rng.below(4) == 0 ? IPAddress(ipv4: 0x0A00_0000 | UInt32(rng.below(1 << 23))) : tagged[rng.below(tagged.count)].0
                let app: ApplicationID? = rng.below(2) == 0 ? nil : ApplicationID(rawValue: UInt16(rng.below(ApplicationCatalog.count)))
                return PolicyQuery(source: s, destination: d, ipProtocol: rng.below(5) == 0 ? .udp : .tcp,
                                   destinationPort: rng.below(2) == 0 ? ports[rng.below(ports.count)] : UInt16(rng.below(65536)),
                                   application: app)
            }
            let hot = (0..<1024).map { _ in randomQuery() }
            let cold = (0..<65536).map { _ in randomQuery() }
            var sink: Int64 = 0
            for q in hot { sink &+= Int64(m.decide(q).ruleIndex) }   // warm the cache

            let n = max(lookups, 1)
            let hitTime = clock.measure {
                for i in 0..<n { sink &+= Int64(m.decide(hot[i & 1023]).ruleIndex) }
            }
            results.append(("\(label)decide, cache hit (ns/lookup)", hitTime.nanoseconds / Double(n)))

            let randomTime = clock.measure {
                for i in 0..<n { sink &+= Int64(m.decide(cold[i & 65535]).ruleIndex) }
            }
            results.append(("\(label)decide, random queries (ns/lookup)", randomTime.nanoseconds / Double(n)))

            let missN = max(n / 20, 1)
            let missTime = clock.measure {
                for i in 0..<missN { sink &+= Int64(m.decideUncached(cold[i & 65535]).ruleIndex) }
            }
            results.append(("\(label)decide, uncached (ns/lookup)", missTime.nanoseconds / Double(missN)))
            return sink
        }
        var sink = measureLookups(m, tagged, "")

        let updates = min(tagged.count, 20_000)
        let updateTime = clock.measure {
            for i in 0..<updates {
                var t = tagged[i].1
                t[1] = Tag(validating: "ns:n\(i % namespaces)") ?? t[1]
                m.setTags(t, for: tagged[i].0)
            }
        }
        results.append(("setTags (µs/update)", updateTime.nanoseconds / Double(max(updates, 1)) / 1000))

        // --- deployment-shaped tags -------------------------------------------------------
        // Above, every pod draws its labels independently, so nearly every pod is its own
        // address class: the worst case for memory. In a cluster, pods are replicas of a
        // workload and share its namespace and labels (only the node differs). Same policy,
        // same addresses, five replicas per workload.
        var deployment: [(IPAddress, [Tag])] = []
        deployment.reserveCapacity(tagged.count)
        var workloadTags: [String] = []
        for (i, entry) in tagged.enumerated() {
            if i % 5 == 0 {
                workloadTags = ["cluster:c\(rng.below(clusters))", "ns:n\(rng.below(namespaces))", "label:app=a\(rng.below(apps))",
                                "label:tier=t\(rng.below(5))", "workload:w\(i / 5)"]
                if rng.below(20) == 0 { workloadTags.append("label:canary=true") }
            }
            let t = workloadTags + ["node:w\(rng.below(nodes))"]
            deployment.append((entry.0, t.compactMap { Tag(validating: $0) }))
        }
        if let shaped = try? PolicyMatcher(document, tags: deployment) {
            results.append(("deployment-shaped: memory estimate (MiB)", Double(shaped.memoryEstimate) / 1_048_576))
            sink &+= measureLookups(shaped, deployment, "deployment-shaped: ")
        }
        results.append(("checksum", Double(sink & 0xFFFF)))
        return results
    }
}

/// SplitMix64, so every run builds the same policy.
struct BenchRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { n <= 1 ? 0 : Int(next() % UInt64(n)) }
}

extension Duration {
    var nanoseconds: Double { Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9 }
    var milliseconds: Double { nanoseconds / 1e6 }
}
