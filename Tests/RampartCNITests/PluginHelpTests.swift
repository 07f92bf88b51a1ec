import Foundation
import RampartCNITestSupport
import RampartTestSupport
import Testing

@Suite struct PluginHelpTests {
    @Test func helpExplainsAndShowsAnExample() throws {
        let binary = try #require(TestShell.executable(named: "rampart-cni", packageRoot: CNITestbed.packageRoot))
        let (status, output) = try TestShell.run("'\(binary.path)' --help", in: CNITestbed.packageRoot)
        #expect(status == 0)
        #expect(output.contains("Example"))
        #expect(output.contains("CNI_COMMAND=ADD"))
        #expect(output.contains("docs/cni.md"))
    }
}
