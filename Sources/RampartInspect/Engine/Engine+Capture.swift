import RampartWire

extension Engine {
    /// Runs every packet of a capture, in memory or streamed, through the engine, then ends the
    /// sessions still open. The same loop serves `rampart inspect`, the benchmarks and the
    /// tests, so all three see exactly what the firewall would.
    ///
    /// On a corrupt or truncated capture the packets before the damage are processed, the
    /// open sessions are still ended and logged, and the error is thrown.
    ///
    /// ```swift
    /// var reader = try CaptureReader(bytes: fileBytes)
    /// try engine.inspect(&reader, sink: &sink)
    /// ```
    ///
    /// - Parameter progress: called every `progressInterval` packets with the fraction of
    ///   the file read, the packets so far and the sessions open.
    public mutating func inspect<Sink: EventSink>(
        _ reader: inout CaptureReader, sink: inout Sink, progressInterval: UInt64 = 1 << 16,
        progress: (_ fraction: Double, _ packets: UInt64, _ sessions: Int) -> Void = { _, _, _ in }
    ) throws(CaptureError) {
        var failure: CaptureError?
        var record = CaptureRecord()
        var number: UInt64 = 0
        // A streaming reader replaces its window now and then: the loop holds the current
        // window (so its bytes stay valid) and re-enters when the generation changes.
        var pending = false
        window: while failure == nil {
            let bytes = reader.bytes
            let generation = reader.windowGeneration
            bytes.withUnsafeBytes { file in
                do throws(CaptureError) {
                    if pending {
                        pending = false
                        number &+= 1
                        _ = process(
                            frame: UnsafeRawBufferPointer(rebasing: file[record.frameRange]), linkType: record.linkType,
                            timestamp: record.timestamp, packetNumber: number, snapped: record.isSnapped, sink: &sink)
                    }
                    while try reader.next(into: &record) {
                        if reader.windowGeneration != generation { pending = true; return }
                        number &+= 1
                        _ = process(
                            frame: UnsafeRawBufferPointer(rebasing: file[record.frameRange]), linkType: record.linkType,
                            timestamp: record.timestamp, packetNumber: number, snapped: record.isSnapped, sink: &sink)
                        if number % progressInterval == 0 { progress(reader.progress, number, sessions.count) }
                    }
                } catch {
                    failure = error
                }
            }
            if !pending { break window }
        }
        finish(sink: &sink)
        if let failure { throw failure }
    }
}
