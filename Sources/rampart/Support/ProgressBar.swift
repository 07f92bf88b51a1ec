#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress bar on standard error, drawn only when standard error is a terminal
/// (so logs and CI output stay clean) and redrawn at most ten times a second.
struct ProgressBar {
    let enabled: Bool
    let label: String
    private var lastDraw: timespec = timespec()
    private var lastPercent = -1

    init(label: String, enabled: Bool) {
        self.label = label
        self.enabled = enabled && isatty(2) != 0
    }

    mutating func update(fraction: Double, detail: String) {
        guard enabled else { return }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let elapsedMs = (now.tv_sec - lastDraw.tv_sec) * 1000 + (now.tv_nsec - lastDraw.tv_nsec) / 1_000_000
        let percent = Int(fraction * 100)
        guard elapsedMs >= 100 || percent == 100, percent != lastPercent else { return }
        lastDraw = now
        lastPercent = percent
        let width = 30
        let filled = min(width, max(0, Int(fraction * Double(width))))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        writeStandardError("\r\(label) \(bar) \(percent)%  \(detail)\u{1B}[K")
    }

    func finish() {
        guard enabled else { return }
        writeStandardError("\r\u{1B}[K")
    }
}
