import Foundation
import Testing

@Suite("rampart bench ai")
struct AIBenchCommandTests {
    @Test("--answers runs only the lines named; a line it does not know is refused with the ones it does")
    func answers() throws {
        let one = try RampartProcess.run(["bench", "ai", "--answers", "flowing", "--transactions", "50", "--list-entries", "1000"])
        #expect(one.status == 0, "\(one.stderr)")
        #expect(one.stdout.contains("ai flowing"))
        #expect(!one.stdout.contains("ai whole"))
        #expect(!one.stdout.contains("ai streamed"))
        // The same answers are found however they are read: a blocked-category link in every
        // fourth answer, and nothing else.
        let two = try RampartProcess.run(["bench", "ai", "--answers", "whole,flowing", "--transactions", "16", "--list-entries", "1000"])
        #expect(two.status == 0, "\(two.stderr)")
        let counts = two.stdout.split(separator: "\n").filter { $0.hasPrefix("ai ") }.map { line in
            line.components(separatedBy: "; ").last?.components(separatedBy: " ").first ?? ""
        }
        #expect(counts == ["4", "4"], "\(two.stdout)")
        // Every event parsed in full (no event templates): the same detections.
        let parsed = try RampartProcess.run(["bench", "ai", "--answers", "streamed,flowing", "--no-templates", "--transactions", "16",
                                             "--list-entries", "1000"])
        #expect(parsed.status == 0, "\(parsed.stderr)")
        #expect(parsed.stdout.contains("Event templates: off"))
        let parsedCounts = parsed.stdout.split(separator: "\n").filter { $0.hasPrefix("ai ") }.map { line in
            line.components(separatedBy: "; ").last?.components(separatedBy: " ").first ?? ""
        }
        #expect(parsedCounts == ["4", "4"], "\(parsed.stdout)")
        let bad = try RampartProcess.run(["bench", "ai", "--answers", "whole,bogus"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("'bogus'"))
        #expect(bad.stderr.contains("whole, streamed or flowing"))
    }
}
