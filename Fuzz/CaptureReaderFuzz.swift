// libFuzzer target for the capture file reader. Built by scripts/fuzz.sh together with all
// of Sources/RampartWire as one module (so no `import RampartWire`):
//   scripts/fuzz.sh CaptureReaderFuzz 60
// The input is a whole capture file. The reader must throw or end cleanly, never trap,
// and every record it returns must lie inside the input.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard var reader = try? CaptureReader(bytes: bytes) else { return 0 }
    var record = CaptureRecord()
    var checksum: UInt8 = 0
    bytes.withUnsafeBytes { all in
        while (try? reader.next(into: &record)) == true {
            guard record.frameOffset >= 0, record.frameLength >= 0,
                  record.frameLength <= CaptureReader.maximumCapturedLength,
                  record.frameOffset <= all.count &- record.frameLength
            else { fatalError("record \(record.number) outside the input: \(record)") }
            // Touch the frame's first and last byte so ASan checks the range is real.
            let frame = UnsafeRawBufferPointer(rebasing: all[record.frameRange])
            if let first = frame.first, let last = frame.last { checksum ^= first ^ last }
        }
        precondition(reader.bytesConsumed <= all.count)
    }
    // Never true (no records without input); keeps the frame reads from being optimised away.
    return checksum == 0xA5 && size == 0 ? -1 : 0
}
