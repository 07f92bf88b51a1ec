import Foundation
import Testing
@testable import RampartRules

/// Parsing helpers shared by the rule language tests.
enum RuleFixture {
    static let header = "alert tcp any any -> any any"

    static func parse(_ options: String, header: String = RuleFixture.header,
                      classifications: ClassificationConfig = ClassificationConfig()) -> Result<Rule, RuleProblem> {
        RuleParser.parse("\(header) (\(options))", location: RuleLocation(file: "test.rules", line: 7),
                         classifications: classifications)
    }

    /// The rule, or a test failure naming the problem.
    static func rule(_ options: String, header: String = RuleFixture.header,
                     sourceLocation: SourceLocation = #_sourceLocation) -> Rule? {
        switch parse(options, header: header) {
        case .success(let r): return r
        case .failure(let p):
            Issue.record("refused: \(p)", sourceLocation: sourceLocation)
            return nil
        }
    }

    /// The refusal, or a test failure when the rule loads.
    static func problem(_ options: String, header: String = RuleFixture.header,
                        sourceLocation: SourceLocation = #_sourceLocation) -> RuleProblem? {
        switch parse(options, header: header) {
        case .success: Issue.record("loaded, expected a refusal: \(options)", sourceLocation: sourceLocation); return nil
        case .failure(let p): return p
        }
    }

    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    /// The repository's root (this file is Tests/RampartRulesTests/RuleFixture.swift).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The shared data folder beside the repository (/work/shared/data README).
    static let etOpenRules = repositoryRoot.appendingPathComponent("../shared/data/et-open-2024-04/rules").standardizedFileURL
}
