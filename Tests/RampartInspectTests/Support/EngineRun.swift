import Foundation
import RampartInspect
import RampartPolicy
import RampartRules
import RampartWire

/// Runs the engine over a real capture from Tests/Captures (or Samples/) and keeps
/// everything it said: flow records, anomalies, per-packet verdicts, statistics.
struct EngineRun {
    var flows: [FlowRecord] = []
    var starts: [FlowRecord] = []
    var anomalies: [AnomalyRecord] = []
    var alerts: [AlertRecord] = []
    var ai: [AIRecord] = []
    var detection = DetectionStatistics()
    var verdicts: [Verdict] = []
    var statistics = EngineStatistics()
    var matcher: PolicyMatcher

    struct Collector: EventSink {
        var flows: [FlowRecord] = []
        var starts: [FlowRecord] = []
        var anomalies: [AnomalyRecord] = []
        var summaries: [FlowSummary] = []
        var alerts: [AlertRecord] = []
        var files: [FileRecord] = []
        var ai: [AIRecord] = []
        mutating func ai(_ record: AIRecord) { ai.append(record) }
        mutating func alert(_ record: AlertRecord) { alerts.append(record) }
        mutating func fileInfo(_ record: FileRecord) { files.append(record) }
        mutating func flowStarted(_ record: FlowRecord) { starts.append(record) }
        mutating func flowSummary(_ record: FlowSummary) { summaries.append(record) }
        mutating func flowEnded(_ record: FlowRecord) { flows.append(record) }
        mutating func anomaly(_ record: AnomalyRecord) { anomalies.append(record) }
    }

    static let allowAll = """
        apiVersion: rampart.io/v1
        kind: SecurityPolicy
        metadata: {name: allow-all}
        spec:
          defaults:
            intrazone: {action: allow}
            interzone: {action: allow}
        """

    static func bytes(of relativePath: String) throws -> [UInt8] {
        try [UInt8](Data(contentsOf: CapturedFlows.packageRoot.appendingPathComponent(relativePath)))
    }

    /// - Parameters:
    ///   - capture: a path relative to the package root.
    ///   - policy: YAML text of a SecurityPolicy (default: allow and log everything).
    ///   - tags: YAML text of an AddressTags document.
    init(
        _ capture: String, policy: String = EngineRun.allowAll, tags: String? = nil, rules: String? = nil,
        indicators: IndicatorStore? = nil, configure: (inout EngineConfiguration) -> Void = { _ in }
    ) throws {
        try self.init(bytes: EngineRun.bytes(of: capture), policy: policy, tags: tags, rules: rules, indicators: indicators,
                      configure: configure)
    }

    /// A rule set from rules text, compiled for the engine (every rule must load).
    static func compile(_ rules: String, engine: PrefilterEngine = .preferred) throws -> DetectionRuleSet {
        var loader = RuleSetLoader()
        loader.add(text: rules, file: "test.rules")
        let (set, report) = loader.finish()
        if let problem = report.refused.first { throw problem }
        let compiled = try DetectionRuleSet(set, engine: engine)
        if let problem = compiled.report.refused.first { throw problem }
        return compiled
    }

    init(
        bytes: [UInt8], policy: String = EngineRun.allowAll, tags: String? = nil, rules: String? = nil,
        compiled: DetectionRuleSet? = nil, indicators: IndicatorStore? = nil,
        configure: (inout EngineConfiguration) -> Void = { _ in }
    ) throws {
        let document = try PolicyLoader.load(yaml: policy, file: "test-policy.yaml")
        let tagList = try tags.map { try TagFile.load(yaml: $0, file: "test-tags.yaml") } ?? []
        matcher = try PolicyMatcher(document, tags: tagList)
        var configuration = EngineConfiguration()
        configure(&configuration)
        var engine = Engine(configuration: configuration, policy: matcher, rules: try compiled ?? rules.map { try EngineRun.compile($0) })
        engine.adoptIndicators(indicators)
        var sink = Collector()
        var reader = try CaptureReader(bytes: bytes)
        var record = CaptureRecord()
        var number: UInt64 = 0
        try bytes.withUnsafeBytes { file in
            while try reader.next(into: &record) {
                number += 1
                verdicts.append(engine.process(
                    frame: UnsafeRawBufferPointer(rebasing: file[record.frameRange]), linkType: record.linkType,
                    timestamp: record.timestamp, packetNumber: number, snapped: record.isSnapped, sink: &sink))
            }
        }
        engine.finish(sink: &sink)
        flows = sink.flows
        starts = sink.starts
        anomalies = sink.anomalies
        alerts = sink.alerts
        ai = sink.ai
        detection = engine.detectionStatistics
        statistics = engine.statistics
    }

    /// Flows of one protocol to one server port.
    func flows(_ ipProtocol: IPProtocol, port: UInt16) -> [FlowRecord] {
        flows.filter { $0.ipProtocol == ipProtocol && $0.serverPort == port }
    }
}
