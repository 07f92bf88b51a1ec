import Synchronization
import Testing
@testable import RampartPOSIX

@Suite struct CFormatTests {
    @Test func formatsAsPrintfDoes() {
        #expect(cFormat("%.1f", 2.25) == "2.2")  // round half to even on the binary value, as printf
        #expect(cFormat("%.1f", 0.05) == "0.1")
        #expect(cFormat("%04x", UInt32(31)) == "001f")
        #expect(cFormat("%04d-%02d-%02dT%02d", 2026, 11, 3, 4) == "2026-11-03T04")
    }

    @Test func longResultsAreNotCut() {
        let format = String(repeating: "%d,", count: 40)
        let arguments: [any CVarArg] = (0..<40).map { $0 * 1000 }
        let expected = (0..<40).map { "\($0 * 1000)," }.joined()
        #expect(cFormatList(format, arguments) == expected)
    }

    private func cFormatList(_ format: String, _ arguments: [any CVarArg]) -> String {
        // Forty arguments through the variadic entry point.
        let a = arguments
        return cFormat(format, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
                       a[14], a[15], a[16], a[17], a[18], a[19], a[20], a[21], a[22], a[23], a[24], a[25], a[26], a[27],
                       a[28], a[29], a[30], a[31], a[32], a[33], a[34], a[35], a[36], a[37], a[38], a[39])
    }
}

@Suite struct PathNameTests {
    @Test func foldersAsNSStringGivesThem() {
        #expect(PathName.folder(of: "/etc/cni/net.d/10-calico.conflist") == "/etc/cni/net.d")
        #expect(PathName.folder(of: "/etc/cni/net.d/") == "/etc/cni")
        #expect(PathName.folder(of: "node.yaml") == "")
        #expect(PathName.folder(of: "conf/node.yaml") == "conf")
        #expect(PathName.folder(of: "/node.yaml") == "/")
        #expect(PathName.folder(of: "/") == "/")
        #expect(PathName.folder(of: "") == "")
    }

    @Test func lastComponents() {
        #expect(PathName.lastComponent(of: "/etc/cni/net.d/10-calico.conflist") == "10-calico.conflist")
        #expect(PathName.lastComponent(of: "/run/rampart/") == "rampart")
        #expect(PathName.lastComponent(of: "name") == "name")
        #expect(PathName.lastComponent(of: "/") == "/")
        #expect(PathName.lastComponent(of: "") == "")
    }
}

@Suite struct ThreadTests {
    @Test func namedThreadRunsAndReportsItsEnd() {
        let ran = Atomic<Int>(0)
        let gate = Condition()
        let handle = NamedThread.start(name: "posix-test") {
            gate.lock()
            ran.store(1, ordering: .releasing)
            gate.signal()
            gate.unlock()
        }
        gate.lock()
        while ran.load(ordering: .acquiring) == 0 { gate.wait(seconds: 1) }
        gate.unlock()
        var spins = 0
        while !handle.isFinished && spins < 1000 { gate.lock(); gate.wait(seconds: 0.001); gate.unlock(); spins += 1 }
        #expect(handle.isFinished)
    }

    @Test func conditionTimesOut() {
        let condition = Condition()
        condition.lock()
        let signalled = condition.wait(seconds: 0.02)
        condition.unlock()
        #expect(!signalled)
    }

    @Test func lockGuardsAcrossThreads() {
        final class Counter: @unchecked Sendable {
            let lock = Lock()
            var value = 0
        }
        let counter = Counter()
        let handles = (0..<4).map { i in
            NamedThread.start(name: "count-\(i)") { for _ in 0..<10_000 { counter.lock.withLock { counter.value += 1 } } }
        }
        let sleeper = Condition()
        while !handles.allSatisfy(\.isFinished) { sleeper.lock(); sleeper.wait(seconds: 0.001); sleeper.unlock() }
        #expect(counter.lock.withLock { counter.value } == 40_000)
    }
}

@Suite struct TrimmingTests {
    @Test func trimsAsCharacterSetDoes() {
        #expect(" \t token \r\n".trimming(.whitespacesAndNewlines) == "token")
        #expect("\u{00A0}a b\u{3000}".trimming(.whitespacesAndNewlines) == "a b")
        #expect(" 42\n".trimming(.whitespaces) == "42\n")
        #expect("\t42 ".trimming(.whitespaces) == "42")
        #expect(".a.b.".trimming(.scalars(["."])) == "a.b")
        #expect("   ".trimming(.whitespaces) == "")
        #expect("".trimming(.whitespacesAndNewlines) == "")
    }
}
