// Differential libFuzzer target for the streaming capture reader. Built by scripts/fuzz.sh
// together with all of Sources/RampartWire as one module (so no `import RampartWire`):
//   scripts/fuzz.sh CaptureStreamFuzz 120
// The first two bytes choose the window (`chunk`, 64...8,224 bytes) and how many bytes the
// source hands out per read (1...256, like a slow pipe); the rest is a capture file. Read
// whole (`CaptureReader(bytes:)`) and streamed (`CaptureReader(source:chunk:)`), it must
// give the same records (every field but the window-relative frame offset, and the same
// frame bytes) and then the same end: a clean one, or an equal `CaptureError` (reason,
// byte offset, record number). Neither may trap.

/// Hands out at most `step` bytes of `bytes` per read.
struct SlicedSource: CaptureSource {
    let bytes: [UInt8]
    let step: Int
    var at = 0
    var size: Int? { bytes.count }
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(CaptureError) -> Int {
        let n = min(step, buffer.count, bytes.count - at)
        if n > 0 {
            bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[at ..< at + n])) }
        }
        at += n
        return n
    }
}

/// What a reader delivered: records with their frames, then how it ended.
struct Outcome: Equatable {
    var records: [CaptureRecord] = []
    var frames: [[UInt8]] = []
    var end: CaptureError?
    var consumed = 0
}

func readAll(_ reader: inout CaptureReader) -> Outcome {
    var outcome = Outcome()
    var record = CaptureRecord()
    do {
        while try reader.next(into: &record) {
            guard record.frameOffset >= 0, record.frameLength >= 0,
                  record.frameOffset <= reader.bytes.count &- record.frameLength
            else { fatalError("record \(record.number) outside the reader's window: \(record)") }
            outcome.frames.append(Array(reader.frame(of: record)))
            var comparable = record
            comparable.frameOffset = 0
            outcome.records.append(comparable)
        }
        // A clean end stays clean.
        precondition((try? reader.next(into: &record)) == false, "a second call after the end did not return false")
    } catch {
        outcome.end = error
        // After an error every later call throws the same error.
        do { _ = try reader.next(into: &record); fatalError("no error after \(error)") } catch {
            precondition(error == outcome.end, "a later call threw \(error), not \(outcome.end!)")
        }
    }
    outcome.consumed = reader.bytesConsumed
    return outcome
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 2 else { return 0 }
    let chunk = 64 + Int(data[0]) * 32
    let step = 1 + Int(data[1])
    let bytes = Array(UnsafeBufferPointer(start: data + 2, count: size - 2))

    let whole: Result<CaptureReader, CaptureError> = Result { () throws(CaptureError) in try CaptureReader(bytes: bytes) }
    let streamed: Result<CaptureReader, CaptureError> = Result { () throws(CaptureError) in
        try CaptureReader(source: SlicedSource(bytes: bytes, step: step), chunk: chunk)
    }
    switch (whole, streamed) {
    case (.failure(let a), .failure(let b)):
        if a != b { fatalError("the header is refused differently: whole \(a), streamed (chunk \(chunk), step \(step)) \(b)") }
    case (.failure(let a), .success):
        fatalError("the header is refused whole (\(a)) but accepted streamed (chunk \(chunk), step \(step))")
    case (.success, .failure(let b)):
        fatalError("the header is accepted whole but refused streamed (chunk \(chunk), step \(step)): \(b)")
    case (.success(var a), .success(var b)):
        precondition(a.format == b.format && a.fileLinkType == b.fileLinkType && a.snapLength == b.snapLength)
        let x = readAll(&a), y = readAll(&b)
        if x != y {
            let n = zip(x.records, y.records).prefix { $0 == $1 }.count
            let m = zip(x.frames, y.frames).prefix { $0 == $1 }.count
            fatalError("""
                whole and streamed (chunk \(chunk), step \(step)) differ: \
                records \(x.records.count) vs \(y.records.count) (first differing record \(n), frame \(m)), \
                end \(x.end.map { "\($0)" } ?? "clean") vs \(y.end.map { "\($0)" } ?? "clean"), \
                consumed \(x.consumed) vs \(y.consumed)
                """)
        }
        precondition(x.consumed <= bytes.count)
    }
    return 0
}
