#if canImport(Glibc)
import Glibc
#endif

/// A file's type, told from its first bytes (its "magic"), as file blocking profiles name
/// them; `magic` is the description EVE `fileinfo` records carry, worded as libmagic's.
///
/// Rampart's own table of the common types rather than libmagic: libmagic reads its
/// database from a file (the engine does no I/O), allocates per call and takes milliseconds
/// on some inputs; these checks look at fixed offsets of the first bytes and allocate nothing.
///
/// ```swift
/// FileType.identify(head, complete: false)     // nil: more bytes needed to decide
/// FileType.identify(Array("MZ...".utf8)...)   // .pe
/// FileType.pe.name                              // "pe"
/// ```
public enum FileType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case unknown, pe, elf, macho, pdf, zip, ooxml, ole2, gzip, bzip2, xz, sevenZip, rar, script, jpeg, png, gif, html, text

    /// The name profiles use (`fileTypes: [{types: [pe, elf]}]`).
    public var name: String {
        switch self {
        case .unknown: "unknown"
        case .pe: "pe"
        case .elf: "elf"
        case .macho: "macho"
        case .pdf: "pdf"
        case .zip: "zip"
        case .ooxml: "ooxml"
        case .ole2: "ole2"
        case .gzip: "gzip"
        case .bzip2: "bzip2"
        case .xz: "xz"
        case .sevenZip: "7z"
        case .rar: "rar"
        case .script: "script"
        case .jpeg: "jpeg"
        case .png: "png"
        case .gif: "gif"
        case .html: "html"
        case .text: "text"
        }
    }

    public var description: String { name }

    /// Groups a profile may name instead of listing types.
    public static let groups: [String: [FileType]] = [
        "executable": [.pe, .elf, .macho],
        "archive": [.zip, .gzip, .bzip2, .xz, .sevenZip, .rar],
        "office": [.ooxml, .ole2, .pdf],
        "image": [.jpeg, .png, .gif],
    ]

    /// The types a profile's word stands for: a type's name or a group's; nil when neither.
    public static func named(_ word: String) -> [FileType]? {
        if let group = groups[word] { return group }
        return allCases.first { $0.name == word }.map { [$0] }
    }

    /// Every word a profile may use, for "did you mean" and the docs.
    public static var vocabulary: [String] { allCases.map(\.name) + groups.keys.sorted() }

    /// Bytes looked at to tell text from data (and HTML from text); magic numbers need fewer.
    public static let headBytes = 512

    /// The type of a file beginning with `head`; nil when `head` is shorter than `headBytes`,
    /// the file goes on (`complete` false) and no magic number has decided yet.
    public static func identify(_ head: UnsafeRawBufferPointer, complete: Bool) -> FileType? {
        identifyWithMagic(head, complete: complete)?.type
    }

    /// The type and libmagic's wording of it.
    public static func identifyWithMagic(_ head: UnsafeRawBufferPointer, complete: Bool)
        -> (type: FileType, magic: StaticString)? {
        let n = head.count
        @inline(__always) func at(_ i: Int) -> UInt8 { i < n ? head[i] : 0 }
        @inline(__always) func starts(_ bytes: [UInt8]) -> Bool {
            guard n >= bytes.count else { return false }
            for (i, b) in bytes.enumerated() where head[i] != b { return false }
            return true
        }
        let enough = complete || n >= headBytes
        if n >= 2 && at(0) == 0x4D && at(1) == 0x5A {  // "MZ"
            // The PE header's offset is at 0x3C; a DOS stub alone stays "MS-DOS executable".
            if n < 0x40 && !enough { return nil }
            let peOffset = Int(at(0x3C)) | Int(at(0x3D)) << 8 | Int(at(0x3E)) << 16 | Int(at(0x3F)) << 24
            if peOffset >= 0x40 && peOffset + 26 <= n {
                if at(peOffset) == 0x50 && at(peOffset + 1) == 0x45 && at(peOffset + 2) == 0 && at(peOffset + 3) == 0 {
                    let optionalMagic = Int(at(peOffset + 24)) | Int(at(peOffset + 25)) << 8
                    let characteristics = Int(at(peOffset + 22)) | Int(at(peOffset + 23)) << 8
                    let dll = characteristics & 0x2000 != 0
                    if optionalMagic == 0x20B {
                        return (.pe, dll ? "PE32+ executable (DLL) (Windows)" : "PE32+ executable (Windows)")
                    }
                    return (.pe, dll ? "PE32 executable (DLL) (MS Windows)" : "PE32 executable (MS Windows)")
                }
            } else if peOffset >= 0x40 && peOffset < headBytes && !enough {
                return nil
            }
            return (.pe, "MS-DOS executable")
        }
        if starts([0x7F, 0x45, 0x4C, 0x46]) {
            if n < 18 && !complete { return nil }
            let is64 = at(4) == 2, msb = at(5) == 2
            let type = msb ? Int(at(16)) << 8 | Int(at(17)) : Int(at(16)) | Int(at(17)) << 8
            switch (is64, msb, type) {
            case (true, false, 2): return (.elf, "ELF 64-bit LSB executable")
            case (true, false, 3): return (.elf, "ELF 64-bit LSB shared object")
            case (true, false, 1): return (.elf, "ELF 64-bit LSB relocatable")
            case (false, false, 2): return (.elf, "ELF 32-bit LSB executable")
            case (false, false, 3): return (.elf, "ELF 32-bit LSB shared object")
            case (true, true, _): return (.elf, "ELF 64-bit MSB")
            case (false, true, _): return (.elf, "ELF 32-bit MSB")
            default: return (.elf, is64 ? "ELF 64-bit LSB" : "ELF 32-bit LSB")
            }
        }
        if n >= 4 {
            let word = UInt32(at(0)) << 24 | UInt32(at(1)) << 16 | UInt32(at(2)) << 8 | UInt32(at(3))
            switch word {
            case 0xFEED_FACF, 0xCFFA_EDFE: return (.macho, "Mach-O 64-bit executable")
            case 0xFEED_FACE, 0xCEFA_EDFE: return (.macho, "Mach-O executable")
            case 0xCAFE_BABE:
                // Also a Java class file; a universal binary holds few architectures, a class
                // file's major version is 45 or more.
                if n < 8 && !complete { return nil }
                let count = UInt32(at(4)) << 24 | UInt32(at(5)) << 16 | UInt32(at(6)) << 8 | UInt32(at(7))
                if count > 0 && count < 20 { return (.macho, "Mach-O universal binary") }
            default: break
            }
        }
        if starts(Array("%PDF-".utf8)) { return (.pdf, "PDF document") }
        if starts([0x50, 0x4B, 0x03, 0x04]) {
            // OOXML (docx, xlsx, pptx): a zip whose first entries are its content types or parts.
            let nameLength = Int(at(26)) | Int(at(27)) << 8
            if 30 + nameLength > n && !enough { return nil }
            if 30 + nameLength <= n {
                let name = UnsafeRawBufferPointer(rebasing: head[30..<(30 + nameLength)])
                for prefix: StaticString in ["[Content_Types].xml", "_rels/", "word/", "xl/", "ppt/", "docProps/"]
                where name.count >= prefix.utf8CodeUnitCount
                    && memcmp(name.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0 {
                    return (.ooxml, "Microsoft OOXML")
                }
            }
            return (.zip, "Zip archive data")
        }
        if starts([0x50, 0x4B, 0x05, 0x06]) { return (.zip, "Zip archive data (empty)") }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) { return (.ole2, "Composite Document File V2 Document") }
        if starts([0x1F, 0x8B]) { return (.gzip, "gzip compressed data") }
        if starts(Array("BZh".utf8)) { return (.bzip2, "bzip2 compressed data") }
        if starts([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00]) { return (.xz, "XZ compressed data") }
        if starts([0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C]) { return (.sevenZip, "7-zip archive data") }
        if starts(Array("Rar!\u{1A}\u{07}".utf8)) { return (.rar, "RAR archive data") }
        if starts([0xFF, 0xD8, 0xFF]) { return (.jpeg, "JPEG image data") }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return (.png, "PNG image data") }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return (.gif, "GIF image data") }
        if starts(Array("#!".utf8)) {
            if !enough && !(0..<n).contains(where: { head[$0] == 0x0A }) { return nil }
            return (.script, "script, ASCII text executable")
        }
        if starts(Array(FileType.eicar.utf8)) { return (.text, "EICAR virus test files") }
        // Too few bytes yet to call the rest text, HTML or data.
        guard enough else {
            // A byte no text holds decides early.
            for i in 0..<n where isBinary(head[i]) { return (.unknown, "data") }
            return nil
        }
        if n == 0 { return (.unknown, "empty") }
        var utf8 = false
        var i = 0
        while i < n {
            let b = head[i]
            if isBinary(b) { return (.unknown, "data") }
            if b >= 0x80 {
                // A UTF-8 sequence; one cut at the head's end is allowed.
                let length = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 0
                guard length > 0 else { return (.unknown, "data") }
                for k in 1..<length where i + k < n && head[i + k] & 0xC0 != 0x80 { return (.unknown, "data") }
                utf8 = true
                i += length
                continue
            }
            i += 1
        }
        if isHTML(head) { return (.html, utf8 ? "HTML document, Unicode text, UTF-8 text" : "HTML document, ASCII text") }
        return (.text, utf8 ? "Unicode text, UTF-8 text" : "ASCII text")
    }

    /// The type a file's first bytes already give while its magic waits for more (an `MZ`
    /// executable whose PE header lies further on): enough to block it at once.
    public static func early(_ head: UnsafeRawBufferPointer) -> FileType? {
        head.count >= 2 && head[0] == 0x4D && head[1] == 0x5A ? .pe : nil
    }

    /// The EICAR test file's text (its first 68 bytes): libmagic names it.
    static let eicar = #"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"#

    /// A control character text does not hold (tab, line feed, form feed, carriage return
    /// and escape are text).
    @inline(__always)
    static func isBinary(_ b: UInt8) -> Bool {
        b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0C && b != 0x0D && b != 0x1B || b == 0x7F
    }

    /// Text that opens as HTML after white space (and a UTF-8 byte order mark).
    static func isHTML(_ head: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        if head.count >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF { i = 3 }
        while i < head.count && (head[i] == 0x20 || head[i] == 0x09 || head[i] == 0x0A || head[i] == 0x0D) { i += 1 }
        let rest = UnsafeRawBufferPointer(rebasing: head[i...])
        for tag: StaticString in ["<!doctype html", "<html", "<head", "<body", "<script", "<iframe", "<!--"] {
            let t = UnsafeRawBufferPointer(start: tag.utf8Start, count: tag.utf8CodeUnitCount)
            if rest.count >= t.count, ContentSearch.find(t, nocase: true, in: rest, from: 0, to: t.count) == 0 { return true }
        }
        return false
    }
}
