import Foundation

/// Polls `condition` every 20 ms for up to `seconds`: a wait for something that happens
/// asynchronously (a watch event, a push), never a timing assertion.
///
/// ```swift
/// #expect(eventually { firewall.tags(of: "10.244.1.1").contains("ns:shop") })
/// ```
public func eventually(_ seconds: Double = 20, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.02)
    }
    return try condition()
}
