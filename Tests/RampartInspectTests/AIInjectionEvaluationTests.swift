import Foundation
import Testing
@testable import RampartInspect

/// The shipped injection classifier and rules, measured on the committed samples
/// (Tests/AISamples, docs/ai-security.md): the held-out split of the training sources with
/// Python's scores (Swift must compute the same), the hand-written injections and benign
/// prompts full of trigger words, the sets written after tuning, and the three fresh sets written
/// before the retrainings and the multilingual rules (docs/ai-security.md, "Accuracy").
@Suite struct AIInjectionEvaluationTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("AISamples")

    static func lines(_ name: String) throws -> [String] {
        try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            .split(separator: "\n").map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
    }

    /// A JSON string literal's text, decoded by the AI parser's own decoder.
    static func jsonString(_ literal: Substring) -> [UInt8] {
        let raw = Array(literal.utf8.dropFirst().dropLast())
        var out = [UInt8](repeating: 0, count: raw.count)
        let n = raw.withUnsafeBytes { r in out.withUnsafeMutableBytes { JSONText.decode(r, escaped: true, into: $0.baseAddress!, capacity: $0.count) } }
        return Array(out[0..<n])
    }

    static func detect(_ bytes: [UInt8], _ detector: inout AIPromptInjectionDetector) -> Bool {
        bytes.withUnsafeBytes { detector.inspect($0, threshold: 0.8) } != nil
    }

    @Test func heldOutSplitMatchesPythonAndMeetsItsFigures() throws {
        var detector = AIPromptInjectionDetector()
        defer { detector.deallocate() }
        var tp = 0, fn = 0, fp = 0, tn = 0
        var worst: Float = 0
        for line in try Self.lines("injection-heldout.tsv") {
            let parts = line.split(separator: "\t", maxSplits: 2)
            let text = Self.jsonString(parts[2])
            detector.words.count = 0
            text.withUnsafeBytes { _ = AITextNormalizer.words($0, into: &detector.words) }
            let swift = AIInjectionClassifier.score(detector.words, from: 0, to: detector.words.count).probability
            worst = max(worst, abs(swift - Float(parts[1])!))
            let hit = Self.detect(text, &detector)
            if parts[0] == "1" { if hit { tp += 1 } else { fn += 1 } } else { if hit { fp += 1 } else { tn += 1 } }
        }
        print("held-out sample: recall \(tp)/\(tp + fn), false positives \(fp)/\(fp + tn), largest Swift-Python difference \(worst)")
        #expect(worst < 1e-3, "Swift and Python scores differ by \(worst)")
        #expect(tp + fn == 30 && fp + tn == 100)
        #expect(Double(tp) / Double(tp + fn) >= 0.85, "recall \(tp)/\(tp + fn)")
        #expect(fp == 0, "false positives \(fp)/\(fp + tn)")
    }

    @Test func handWrittenSets() throws {
        var detector = AIPromptInjectionDetector()
        defer { detector.deallocate() }
        func rate(_ file: String) throws -> (Int, Int) {
            let l = try Self.lines(file)
            return (l.filter { Self.detect(Array($0.utf8), &detector) }.count, l.count)
        }
        let injections = try rate("injections.txt")
        let benign = try rate("benign-trigger-words.txt")
        let untunedInjections = try rate("injections-untuned.txt")
        let untunedBenign = try rate("benign-untuned.txt")
        let freshInjections = try rate("injections-fresh.txt")
        let freshBenign = try rate("benign-fresh.txt")
        let fresh2Injections = try rate("injections-fresh2.txt")
        let fresh2Benign = try rate("benign-fresh2.txt")
        let fresh3Injections = try rate("injections-fresh3.txt")
        let fresh3Benign = try rate("benign-fresh3.txt")
        print("injections (tuned on) \(injections), benign (tuned on) \(benign), untuned injections \(untunedInjections), "
            + "untuned benign \(untunedBenign), fresh injections \(freshInjections), fresh benign \(freshBenign), "
            + "second fresh injections \(fresh2Injections), second fresh benign \(fresh2Benign), "
            + "third fresh injections \(fresh3Injections), third fresh benign \(fresh3Benign)")
        // The figures docs/ai-security.md reports; a change to the rules or the model that
        // lowers them fails here.
        #expect(injections.0 == injections.1)
        #expect(benign.0 <= 4)
        #expect(untunedInjections.0 >= 20)
        #expect(untunedBenign.0 == 0)
        // The fresh sets (written before a change, never tuned on). The multilingual rules and
        // the weaker English "no restrictions" rule (docs/ai-security.md) found 6, 17 and 32 more
        // of the three fresh sets' injections and flagged 2 and 0 fewer, and 2 more, of their
        // benign prompts: the bounds are the measured figures.
        #expect(freshInjections.0 >= 29 && freshInjections.1 == 40)
        #expect(freshBenign.0 <= 2 && freshBenign.1 == 60)
        #expect(fresh2Injections.0 >= 37 && fresh2Injections.1 == 63)
        #expect(fresh2Benign.0 <= 9 && fresh2Benign.1 == 107)
        #expect(fresh3Injections.0 >= 57 && fresh3Injections.1 == 68)
        #expect(fresh3Benign.0 <= 8 && fresh3Benign.1 == 118)
    }
}
