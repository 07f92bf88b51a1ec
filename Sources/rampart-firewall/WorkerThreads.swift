import Dispatch
import RampartDataplane
import RampartPOSIX

#if canImport(Glibc)
import Glibc
#endif

/// Runs one tunnel endpoint per thread; the calling thread reads the signals and passes
/// them on through the board (reload: every worker reloads between batches; stop: every
/// worker ends its sessions and flushes its log), then waits for all of them.
enum WorkerThreads {
    /// Hands a non-Sendable endpoint to the thread that alone will use it.
    struct Handoff: @unchecked Sendable { let endpoint: TunnelEndpoint }

    static func run(_ endpoints: [TunnelEndpoint], board: MetricsBoard, signals: SignalSource) {
        let done = DispatchSemaphore(value: 0)
        for endpoint in endpoints {
            let handoff = Handoff(endpoint: endpoint)
            NamedThread.start(name: "rampart-worker-\(endpoint.index)") {
                handoff.endpoint.run()
                done.signal()
            }
        }
        var descriptor = pollfd(fd: signals.descriptor, events: Int16(POLLIN), revents: 0)
        while !board.stopRequested {
            guard poll(&descriptor, 1, 250) > 0 else { continue }
            while let signal = signals.next() {
                switch signal {
                case SIGHUP: board.requestReload()
                case SIGTERM, SIGINT: board.requestStop()
                default: break
                }
            }
        }
        for _ in endpoints { done.wait() }
    }
}
