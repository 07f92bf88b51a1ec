import RampartRules

/// Runs one inspection's steps over one buffer with Suricata's semantics
/// (`DetectEngineContentInspection`): absolute windows from `offset`/`depth`, relative ones
/// from the end of the previous match (`distance`, `within`), and, when a later step that
/// depends on a match fails, the search goes on from that match's next occurrence.
///
/// Pure and allocation-free: the buffer is borrowed, variables and PCRE2 match data belong
/// to the worker. A budget bounds backtracking (Suricata's `inspection_recursion_limit`),
/// so hostile bytes cannot make a rule run for ever.
struct InspectionEvaluator {
    let steps: [MatchStep]
    let programs: [Int32]
    let buffer: UnsafeRawBufferPointer
    let set: DetectionRuleSet
    let matchData: PCREMatchData
    /// `byte_extract` / `byte_math` results, by the rule's variable index.
    let variables: UnsafeMutablePointer<Int64>
    var budget: Int
    /// Where `base64_decode` writes the rule's `base64_data` buffer (nil: it fails).
    var scratch: DetectionScratch? = nil

    /// Suricata's default `inspection-recursion-limit`.
    static let recursionLimit = 3000

    /// The cursor after the last step when the steps match, else nil.
    mutating func run() -> Int? { step(0, 0) }

    @inline(__always)
    func value(_ v: ByteValue) -> Int64 {
        switch v {
        case .literal(let l): l
        case .variable(let i): variables[i]
        }
    }

    /// Whether the step after `k` is placed relative to `k`'s match (then another
    /// occurrence of `k` can make it match).
    @inline(__always)
    func nextIsRelative(_ k: Int) -> Bool {
        guard k + 1 < steps.count else { return false }
        return RelativeStep.isRelative(steps[k + 1])
    }

    mutating func step(_ k: Int, _ cursor: Int) -> Int? {
        if k == steps.count { return cursor }
        budget -= 1
        if budget <= 0 { return nil }
        let n = buffer.count
        switch steps[k] {
        case .content(let c):
            return c.bytes.withUnsafeBytes { pattern -> Int? in
                let m = pattern.count
                var start: Int
                var end: Int
                if c.startsWith {
                    start = 0
                    end = m
                } else if c.isRelative {
                    let distance = c.distance.map { Int(clamping: value($0)) } ?? 0
                    start = max(0, cursor + distance)
                    end = c.within.map { cursor + distance + Int(clamping: value($0)) } ?? n
                } else {
                    start = c.offset.map { Int(clamping: value($0)) } ?? 0
                    end = c.depth.map { start + Int(clamping: value($0)) } ?? n
                }
                if let o = c.offset, c.isRelative || c.startsWith { start = max(start, Int(clamping: value(o))) }
                end = min(end, n)
                if c.endsWith {
                    let p = n - m
                    let present = p >= start && n <= end && ContentSearch.isAt(pattern, nocase: c.nocase, in: buffer, position: p)
                    if c.negated { return present ? nil : step(k + 1, cursor) }
                    return present ? step(k + 1, n) : nil
                }
                if c.negated {
                    if ContentSearch.find(pattern, nocase: c.nocase, in: buffer, from: start, to: end) != nil { return nil }
                    return step(k + 1, cursor)
                }
                var from = start
                while let p = ContentSearch.find(pattern, nocase: c.nocase, in: buffer, from: from, to: end) {
                    if let r = step(k + 1, p + m) { return r }
                    if !nextIsRelative(k) || budget <= 0 { return nil }
                    from = p + 1
                }
                return nil
            }
        case .pcre(let re):
            let program = set.programs[Int(programs[k])]
            let base = re.relative ? min(cursor, n) : 0
            let subject = UnsafeRawBufferPointer(rebasing: buffer[base...])
            var from = 0
            while from <= subject.count {
                guard let hit = program.firstMatch(subject, from: from, data: matchData, context: set.limits.context) else {
                    return re.negated ? step(k + 1, cursor) : nil
                }
                if re.negated { return nil }
                if let r = step(k + 1, base + hit.end) { return r }
                if !nextIsRelative(k) || budget <= 0 { return nil }
                from = hit.start + 1
            }
            return nil
        case .byteTest(let t):
            let offset = Int(clamping: value(t.offset))
            let position = t.relative ? cursor + offset : offset
            guard let read = ByteNumber.read(buffer, at: position, count: Int(clamping: value(t.reading.count)),
                                             endian: t.reading.endian, base: t.reading.stringBase) else { return nil }
            let v = ByteNumber.masked(read.value, t.bitmask)
            let operand = UInt64(bitPattern: value(t.value))
            var ok: Bool
            switch t.op {
            case .less: ok = v < operand
            case .greater: ok = v > operand
            case .equal: ok = v == operand
            case .lessOrEqual: ok = v <= operand
            case .greaterOrEqual: ok = v >= operand
            case .bitwiseAnd: ok = v & operand != 0
            case .bitwiseXor: ok = v ^ operand != 0
            }
            if t.negated { ok = !ok }
            return ok ? step(k + 1, cursor) : nil
        case .byteJump(let j):
            let offset = Int(clamping: value(j.offset))
            let position = j.relative ? cursor + offset : offset
            guard let read = ByteNumber.read(buffer, at: position, count: Int(clamping: value(j.reading.count)),
                                             endian: j.reading.endian, base: j.reading.stringBase) else { return nil }
            var jump = Int64(clamping: read.value).multipliedReportingOverflow(by: Int64(j.multiplier)).partialValue
            if j.align && jump % 4 != 0 { jump += 4 - jump % 4 }
            let origin: Int64
            switch j.origin {
            case .afterRead: origin = Int64(position + read.length)
            case .beginning: origin = 0
            case .end: origin = Int64(n)
            }
            let target = origin &+ jump &+ Int64(j.postOffset)
            // Suricata: the jump must land inside the buffer.
            guard target >= 0, target < Int64(n) else { return nil }
            return step(k + 1, Int(target))
        case .byteExtract(let e):
            let position = e.relative ? cursor + e.offset : e.offset
            guard let read = ByteNumber.read(buffer, at: position, count: Int(clamping: value(e.reading.count)),
                                             endian: e.reading.endian, base: e.reading.stringBase) else { return nil }
            var v = Int64(clamping: read.value).multipliedReportingOverflow(by: Int64(e.multiplier)).partialValue
            if let a = e.align, a > 1, v % Int64(a) != 0 { v += Int64(a) - v % Int64(a) }
            variables[e.variable] = v
            return step(k + 1, position + read.length)
        case .byteMath(let mth):
            let position = mth.relative ? cursor + mth.offset : mth.offset
            guard let read = ByteNumber.read(buffer, at: position, count: Int(clamping: value(mth.reading.count)),
                                             endian: mth.reading.endian, base: mth.reading.stringBase) else { return nil }
            let v = Int64(clamping: ByteNumber.masked(read.value, mth.bitmask))
            let r = value(mth.rvalue)
            let result: Int64
            switch mth.op {
            case .add: result = v &+ r
            case .subtract: result = v &- r
            case .multiply: result = v &* r
            case .divide:
                guard r != 0 else { return nil }
                result = v / r
            case .shiftLeft: result = r >= 0 && r < 64 ? v << r : 0
            case .shiftRight: result = r >= 0 && r < 64 ? v >> r : 0
            }
            variables[mth.variable] = result
            return step(k + 1, cursor)
        case .isDataAt(let d):
            let at = Int(clamping: value(d.position))
            // Suricata: relative asks for `at` more bytes after the cursor; absolute for a byte at `at`.
            var ok = d.relative ? cursor + at <= n : at < n
            if d.negated { ok = !ok }
            return ok ? step(k + 1, cursor) : nil
        case .bufferSize(let condition):
            return condition.matches(UInt64(n)) ? step(k + 1, cursor) : nil
        case .base64Decode(let d):
            // Suricata: decode `bytes` (default: the rest) from `offset` (after the cursor when
            // relative) into base64_data; the cursor stays. Decoding stops at the first
            // character outside the alphabet (RFC 4648 mode).
            guard let scratch else { return nil }
            let start = (d.relative ? cursor : 0) + d.offset
            guard start >= 0, start <= n else { return nil }
            let end = d.bytes.map { min(n, start + $0) } ?? n
            let input = UnsafeRawBufferPointer(rebasing: buffer[start..<end])
            guard let out = scratch.reserve(0) else { return nil }
            let written = Base64.decode(input, into: out, capacity: scratch.arenaCapacity - scratch.arenaUsed)
            guard written > 0 else { return nil }
            scratch.arenaUsed += written
            scratch.setSource(.base64Data, UnsafeRawBufferPointer(start: out, count: written))
            return step(k + 1, cursor)
        }
    }
}

/// Whether a step is placed after the previous match (RampartRules asks the same when it
/// chooses fast patterns, internally).
enum RelativeStep {
    @inline(__always)
    static func isRelative(_ s: MatchStep) -> Bool {
        switch s {
        case .content(let c): c.isRelative
        case .pcre(let p): p.relative
        case .byteTest(let t): t.relative
        case .byteJump(let j): j.relative
        case .byteExtract(let e): e.relative
        case .byteMath(let m): m.relative
        case .isDataAt(let d): d.relative
        case .base64Decode(let d): d.relative
        case .bufferSize: false
        }
    }
}

/// Base64 decoding as Suricata's `base64_decode` does it (RFC 4648 alphabet; stops at the
/// first padding or character outside the alphabet; a last partial group gives its whole bytes).
enum Base64 {
    @inline(__always)
    static func value(_ c: UInt8) -> UInt32? {
        switch c {
        case 0x41...0x5A: UInt32(c - 0x41)
        case 0x61...0x7A: UInt32(c - 0x61 + 26)
        case 0x30...0x39: UInt32(c - 0x30 + 52)
        case 0x2B: 62
        case 0x2F: 63
        default: nil
        }
    }

    static func decode(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawPointer, capacity: Int) -> Int {
        var n = 0
        var group: UInt32 = 0
        var count = 0
        for c in input {
            guard let v = value(c) else { break }
            group = group << 6 | v
            count += 1
            if count == 4 {
                guard n + 3 <= capacity else { return n }
                out.storeBytes(of: UInt8(group >> 16), toByteOffset: n, as: UInt8.self)
                out.storeBytes(of: UInt8(group >> 8 & 0xFF), toByteOffset: n + 1, as: UInt8.self)
                out.storeBytes(of: UInt8(group & 0xFF), toByteOffset: n + 2, as: UInt8.self)
                n += 3
                group = 0
                count = 0
            }
        }
        // 2 or 3 characters left: 1 or 2 whole bytes.
        if count >= 2 {
            group <<= UInt32(6 * (4 - count))
            let bytes = count - 1
            guard n + bytes <= capacity else { return n }
            out.storeBytes(of: UInt8(group >> 16), toByteOffset: n, as: UInt8.self)
            if bytes == 2 { out.storeBytes(of: UInt8(group >> 8 & 0xFF), toByteOffset: n + 1, as: UInt8.self) }
            n += bytes
        }
        return n
    }
}
