#if canImport(Glibc)
import Glibc
#endif

/// `format` filled in by the C library's `vsnprintf`, exactly as `printf` would: the one
/// replacement for Foundation's `String(format:)` (outside FoundationEssentials). Numbers
/// only (`%d`, `%ld`, `%.1f`, `%04x`...): a Swift `String` is not a C vararg.
///
/// ```swift
/// cFormat("%.1f", 2.25)   // "2.2"
/// cFormat("%04x", 31)     // "001f"
/// ```
public func cFormat(_ format: String, _ arguments: any CVarArg...) -> String {
    withVaList(arguments) { list in
        var buffer = [CChar](repeating: 0, count: 64)
        let needed = Int(vsnprintf(&buffer, buffer.count, format, list))
        guard needed >= buffer.count else { return String(decoding: buffer.prefix(max(needed, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        // A va_list is spent once read: format again from a fresh one.
        return withVaList(arguments) { again in
            buffer = [CChar](repeating: 0, count: needed + 1)
            let written = Int(vsnprintf(&buffer, buffer.count, format, again))
            return String(decoding: buffer.prefix(max(written, 0)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
