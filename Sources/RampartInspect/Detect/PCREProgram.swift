import CPCRE2
import RampartRules

/// One rule's `pcre`, compiled with PCRE2 once per rule set (JIT-compiled where PCRE2 has a
/// JIT for this CPU) and shared read-only by every worker; each worker matches with its own
/// preallocated match data (`PCREMatchData`).
final class PCREProgram: @unchecked Sendable {
    let code: OpaquePointer
    let jit: Bool

    /// Compiles as Suricata does: the rule's flags as PCRE2 options, no automatic captures
    /// unless a back-reference needs them. Nil with PCRE2's message when it does not compile
    /// (the rule parser has already checked it, so this is a belt and braces).
    static func compile(_ m: PCREMatch) -> Result<PCREProgram, PCRECompileError> {
        var options: UInt32 = 0
        if m.caseless { options |= UInt32(PCRE2_CASELESS) }
        if m.multiline { options |= UInt32(PCRE2_MULTILINE) }
        if m.dotAll { options |= UInt32(PCRE2_DOTALL) }
        if m.extended { options |= UInt32(PCRE2_EXTENDED) }
        if m.anchored { options |= UInt32(PCRE2_ANCHORED) }
        if m.dollarEndOnly { options |= UInt32(PCRE2_DOLLAR_ENDONLY) }
        if m.ungreedy { options |= UInt32(PCRE2_UNGREEDY) }
        let bytes = Array(m.expression.utf8)
        func attempt(_ opts: UInt32) -> (OpaquePointer?, Int32) {
            var code: Int32 = 0
            var offset = 0
            let compiled = bytes.withUnsafeBufferPointer { p in
                pcre2_compile_8(p.baseAddress, p.count, opts, &code, &offset, nil)
            }
            return (compiled, code)
        }
        var (code, error) = attempt(options | UInt32(PCRE2_NO_AUTO_CAPTURE))
        if code == nil && error == 115 { (code, error) = attempt(options) }
        guard let code else { return .failure(PCRECompileError(message: "PCRE2 cannot compile the expression (error \(error))")) }
        let jit = pcre2_jit_compile_8(code, UInt32(PCRE2_JIT_COMPLETE)) == 0
        return .success(PCREProgram(code: code, jit: jit))
    }

    private init(code: OpaquePointer, jit: Bool) {
        self.code = code
        self.jit = jit
    }

    deinit { pcre2_code_free_8(code) }

    /// The first match in `subject` from `start`: its start and end, or nil (no match, or a
    /// match limit reached: Suricata counts those as no match too).
    @inline(__always)
    func firstMatch(_ subject: UnsafeRawBufferPointer, from start: Int, data: PCREMatchData,
                    context: OpaquePointer?) -> (start: Int, end: Int)? {
        guard start <= subject.count else { return nil }
        // PCRE2 wants a non-null subject even when it is empty.
        var zero: UInt8 = 0
        let rc = withUnsafePointer(to: &zero) { empty in
            pcre2_match_8(code, subject.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? empty,
                          subject.count, start, 0, data.data, context)
        }
        guard rc > 0, let ovector = pcre2_get_ovector_pointer_8(data.data) else { return nil }
        return (Int(ovector[0]), Int(ovector[1]))
    }
}

/// A worker's PCRE2 match data, allocated once (the ovector holds the whole match only:
/// captures are not read).
final class PCREMatchData {
    let data: OpaquePointer

    init() {
        data = pcre2_match_data_create_8(16, nil)!
    }

    deinit { pcre2_match_data_free_8(data) }
}

/// Suricata's default PCRE limits (`pcre.match-limit: 3500`, `match-limit-recursion:
/// 1500`): a pathological expression over hostile bytes cannot stall a worker.
final class PCRELimits: @unchecked Sendable {
    let context: OpaquePointer?

    init(matchLimit: UInt32 = 3500, depthLimit: UInt32 = 1500) {
        context = pcre2_match_context_create_8(nil)
        if let context {
            pcre2_set_match_limit_8(context, matchLimit)
            pcre2_set_depth_limit_8(context, depthLimit)
        }
    }

    deinit { if let context { pcre2_match_context_free_8(context) } }
}

struct PCRECompileError: Error {
    var message: String
}
