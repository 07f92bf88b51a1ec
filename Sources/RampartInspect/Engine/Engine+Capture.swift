import RampartWire

extension Engine {
    /// Runs every packet of a capture, already in memory, through the engine, then ends the
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
        let bytes = reader.bytes
        var failure: CaptureError?
        bytes.withUnsafeBytes { file in
            var record = CaptureRecord()
            var number: UInt64 = 0
            do throws(CaptureError) {
                while try reader.next(into: &record) {
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
        finish(sink: &sink)
        if let failure { throw failure }
    }
}
