import FoundationEssentials
import RampartHTTP
import RampartJSON
import RampartKube
import RampartPOSIX

/// Image trust in the manager (docs/image-trust.md): the rules in force, handed to every
/// cluster's state so each running pod is judged and tagged (`image-trust:…`); the
/// admission webhook's decisions on pods and pod templates; what the API and metrics show.
///
/// ```swift
/// let trust = ImageTrust(configuration: config.imageTrust, admission: config.admission, log: log)
/// trust.register(cluster: "prod", state: state)      // judges its pods from now on
/// trust.replace(newConfig.imageTrust)                 // a reload: every pod judged again
/// trust.review(body: request.body, cluster: "prod")   // an AdmissionReview's answer
/// ```
public final class ImageTrust: @unchecked Sendable {
    private let lock = Lock()
    private var configuration: ImageTrustConfiguration?
    private var states: [(cluster: String, state: ClusterState)] = []
    private let exemptNamespaces: [String]
    private let admissionLog: AdmissionLog?
    private let clock: @Sendable () -> Double
    private let log: @Sendable (String) -> Void
    /// Real decisions per cluster and decision; dry runs; exempt; unreadable requests.
    private var decisions: [String: [String: Int]] = [:]
    private var counts = (dryRuns: 0, exempt: 0, malformed: 0, reloads: 0)
    /// From the request read to the answer written, per review.
    public let latency = LatencyHistogram()

    /// - Parameter statePath: the manager's SQLite file, where real admission decisions are
    ///   kept (nil: not kept).
    public init(configuration: ImageTrustConfiguration?, admission: AdmissionConfiguration?, statePath: String?, retentionDays: Int = 90,
                clock: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 },
                log: @escaping @Sendable (String) -> Void = { _ in }) throws(StoreError) {
        self.configuration = configuration
        exemptNamespaces = admission?.exemptNamespaces ?? ["kube-system"]
        self.clock = clock
        self.log = log
        admissionLog = try statePath.map { path throws(StoreError) in
            try AdmissionLog(path: path, retentionDays: retentionDays) { message in
                log(ManagerLog.line("error", event: "admission-store-failed", message: message))
            }
        }
    }

    /// Writes the decisions still queued and ends the log's writer.
    public func stop() { admissionLog?.stop() }

    /// The rules in force (nil: none).
    public var current: ImageTrustConfiguration? { lock.withLock { configuration } }

    /// Hands a cluster's state the rules that apply to it; its pods are judged from now on.
    public func register(cluster: String, state: ClusterState) {
        let policy = lock.withLock {
            states.append((cluster, state))
            return configuration?.policy.forCluster(cluster)
        }
        state.setImageTrust(policy, reason: "image trust rules set")
    }

    /// New rules (a configuration reload): every pod of every cluster is judged again, and
    /// each address whose verdict changed gets its new tag at once.
    public func replace(_ new: ImageTrustConfiguration?) {
        let registered = lock.withLock {
            configuration = new
            counts.reloads += 1
            return states
        }
        for (cluster, state) in registered {
            state.setImageTrust(new?.policy.forCluster(cluster), reason: "image trust rules reloaded")
        }
        log(ManagerLog.line("info", event: "image-trust-reloaded",
                            message: new.map { "\($0.policy.rules.count) rules, default \($0.policy.defaultEffect.rawValue); every pod judged again" } ?? "no rules: pods are no longer judged"))
    }

    // MARK: running pods

    /// A judged pod whose verdict is not `allow`.
    public struct PodReport: Sendable, Codable, Equatable {
        public var cluster: String
        public var pod: String
        public var verdict: String
        public var tag: String
        public var images: [ImageReport]
    }

    public struct ImageReport: Sendable, Codable, Equatable {
        public var container: String
        public var kind: String
        public var image: String
        public var digest: String?
        public var effect: String
        public var rule: String?
        public var reason: String
    }

    /// Pods judged `deny` (and `alert` with `alerts`), sorted by cluster and pod; each with
    /// the images that gave it its verdict.
    public func untrustedPods(cluster: String? = nil, alerts: Bool = false) -> [PodReport] {
        let registered = lock.withLock { states }
        var reports: [PodReport] = []
        for (name, state) in registered where cluster == nil || cluster == name {
            for (pod, verdict) in state.podVerdicts() where verdict.effect == .deny || (alerts && verdict.effect == .alert) {
                reports.append(PodReport(cluster: name, pod: pod, verdict: verdict.effect.rawValue, tag: verdict.tag, images: verdict.deciding.map {
                    ImageReport(container: $0.container.name, kind: $0.container.kind.rawValue, image: $0.container.image, digest: $0.digest,
                                effect: $0.effect.rawValue, rule: $0.rule, reason: $0.explanation)
                }))
            }
        }
        return reports.sorted { ($0.cluster, $0.pod) < ($1.cluster, $1.pod) }
    }

    // MARK: admission

    /// Answers one AdmissionReview (the body the API server POSTed to `/admission/CLUSTER`).
    /// A review that cannot be read gets a 400, which the API server treats as a failure
    /// of the webhook (its `failurePolicy` decides).
    public func review(body: [UInt8], cluster: String) -> HTTPReply {
        let started = clock()
        defer { latency.record(max(0, clock() - started)) }
        let review: AdmissionReview
        do { review = try AdmissionReview.decode(body) } catch {
            lock.withLock { counts.malformed += 1 }
            log(ManagerLog.line("warning", cluster: cluster, event: "admission-malformed", message: error.description))
            return .error(400, error.description)
        }
        let request = review.request
        let namespace = request.namespace ?? request.object?.metadata?.namespace ?? ""
        let dryRun = request.dryRun == true
        let (configuration, state) = lock.withLock { (self.configuration, states.first { $0.cluster == cluster }?.state) }
        var kind = request.kind.kind
        if let sub = request.subResource, !sub.isEmpty { kind += "/" + sub }
        guard let configuration, ["CREATE", "UPDATE"].contains(request.operation), let spec = review.podSpec else {
            return HTTPReply(200, AdmissionReview.answer(uid: request.uid, allowed: true))
        }
        if exemptNamespaces.contains(namespace) {
            lock.withLock { counts.exempt += 1 }
            return HTTPReply(200, AdmissionReview.answer(uid: request.uid, allowed: true))
        }
        let policy = configuration.policy.forCluster(cluster)
        let labels = state?.namespaceLabels(namespace) ?? [:]
        var verdict = policy.judge(spec: spec, status: nil, namespace: namespace, namespaceLabels: labels)
        if request.operation == "UPDATE" {
            // Only images the update brings: removing a finalizer or scaling an existing
            // workload is never refused for what it already ran (the running pods carry
            // their verdict as a tag).
            let before = Set(AdmissionReview.containerImages(of: review.oldPodSpec).map { "\($0.name)\u{0}\($0.image)" })
            verdict.images.removeAll { before.contains("\($0.container.name)\u{0}\($0.container.image)") }
        }
        let effect = verdict.effect
        let deciding = verdict.deciding
        let object = "\(kind) \(namespace.isEmpty ? "" : namespace + "/")\(review.objectName)"
        let explanations = deciding.map(\.explanation)
        let message = "\(object): " + explanations.joined(separator: "; ")
        let rules = Set(deciding.map { $0.rule ?? "default" }).sorted().joined(separator: ",")
        let answer: String
        switch effect {
        case .allow: answer = AdmissionReview.answer(uid: request.uid, allowed: true)
        case .alert: answer = AdmissionReview.answer(uid: request.uid, allowed: true, warnings: explanations.map { "rampart image trust: " + $0 })
        case .deny: answer = AdmissionReview.answer(uid: request.uid, allowed: false, message: "rampart image trust: " + message)
        }
        if dryRun {
            lock.withLock { counts.dryRuns += 1 }
            return HTTPReply(200, answer)
        }
        let now = clock()
        lock.withLock { decisions[cluster, default: [:]][effect.rawValue, default: 0] += 1 }
        let record = AdmissionRecord(
            time: now, cluster: cluster, namespace: namespace, kind: kind, name: review.objectName, operation: request.operation,
            user: request.userInfo?.username ?? "", uid: request.uid, decision: effect.rawValue, rules: effect == .allow && deciding.isEmpty ? "" : rules,
            message: effect == .allow ? "" : message)
        keep(record)
        if effect != .allow {
            log(ManagerLog.line(effect == .deny ? "warning" : "info", event: effect == .deny ? "admission-denied" : "admission-alert", fields: [
                "cluster": .string(cluster), "namespace": .string(namespace), "object": .string(object), "operation": .string(request.operation),
                "user": .string(record.user), "uid": .string(request.uid), "rules": .string(rules), "message": .string(message),
            ]))
        }
        return HTTPReply(200, answer)
    }

    /// Queued for the state file; the answer never waits for the disk.
    private func keep(_ record: AdmissionRecord) { admissionLog?.record(record) }

    /// The real decisions kept, oldest first.
    public func admissions(from: Double, to: Double, decision: String = "", limit: Int = 10_000) throws(StoreError) -> [AdmissionRecord] {
        try admissionLog?.records(from: from, to: to, decision: decision, limit: limit) ?? []
    }

    // MARK: metrics

    /// Prometheus text: judged pods per cluster and verdict, admission decisions, dry runs,
    /// exempt and unreadable reviews, the review latency histogram.
    public func metrics() -> String {
        var page = PrometheusText()
        let (registered, decided, counted) = lock.withLock { (states, decisions, counts) }
        var pods: [(labels: [(String, String)], value: Int)] = []
        for (cluster, state) in registered {
            var byEffect: [ImageTrustEffect: Int] = [:]
            for verdict in state.podVerdicts().values { byEffect[verdict.effect, default: 0] += 1 }
            for effect in ImageTrustEffect.allCases { pods.append(([("cluster", cluster), ("verdict", effect.rawValue)], byEffect[effect] ?? 0)) }
        }
        page.family("rampart_manager_image_trust_pods", .gauge, "Running pods judged by the image trust rules, by verdict.", pods)
        var admitted: [(labels: [(String, String)], value: Int)] = []
        for (cluster, byDecision) in decided.sorted(by: { $0.key < $1.key }) {
            for effect in ImageTrustEffect.allCases { admitted.append(([("cluster", cluster), ("decision", effect.rawValue)], byDecision[effect.rawValue] ?? 0)) }
        }
        page.family("rampart_manager_admission_reviews_total", .counter, "Admission reviews decided (dry runs not counted), by decision.", admitted)
        page.single("rampart_manager_admission_dry_runs_total", .counter, "Dry-run admission reviews answered (not recorded).", counted.dryRuns)
        page.single("rampart_manager_admission_exempt_total", .counter, "Admission reviews from exempt namespaces, allowed unjudged.", counted.exempt)
        page.single("rampart_manager_admission_malformed_total", .counter, "Admission reviews that could not be read (answered 400).", counted.malformed)
        let lost = admissionLog?.lost ?? (dropped: 0, failures: 0)
        page.single("rampart_manager_admission_store_errors_total", .counter, "Admission decisions that could not be written to the state file (failed writes, or dropped with 100,000 queued).",
                    lost.dropped + lost.failures)
        page.single("rampart_manager_image_trust_reloads_total", .counter, "Image trust rule reloads (each judges every pod again).", counted.reloads)
        page.header("rampart_manager_admission_seconds", .histogram, "Time to answer one admission review.")
        page.raw(latency.exposition(name: "rampart_manager_admission_seconds", labels: ""))
        return page.text
    }
}
