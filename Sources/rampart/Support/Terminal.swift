#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a line to standard error.
func printError(_ text: String) {
    writeStandardError(text + "\n")
}

/// Writes text to standard error unbuffered, so it interleaves correctly with the
/// progress bar.
func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { bytes in
        var done = 0
        while done < bytes.count {
            let n = write(2, bytes.baseAddress! + done, bytes.count - done)
            if n <= 0 { break }
            done += n
        }
    }
}

/// Seconds on a monotonic clock, for reporting how long work took (never for decisions).
func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
}

/// Whole numbers with thin grouping: 1234567 → "1,234,567".
func grouped<I: BinaryInteger>(_ value: I) -> String {
    let digits = Array(String(value))
    var out: [Character] = []
    for (i, c) in digits.enumerated() {
        if i > 0 && (digits.count - i) % 3 == 0 && c != "-" && digits[i - 1] != "-" { out.append(",") }
        out.append(c)
    }
    return String(out)
}

/// A fixed-point number: 3.14159 → "3.14" with `places: 2`.
func fixed(_ value: Double, places: Int) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < places { text += String(repeating: "0", count: places - decimals) }
        if places == 0 { text = String(text[..<dot]) }
    } else if places > 0 {
        text += "." + String(repeating: "0", count: places)
    }
    return text
}

/// Renders rows as aligned columns; the first row is the header.
func table(_ rows: [[String]], indent: String = "  ") -> String {
    guard let first = rows.first else { return "" }
    var widths = [Int](repeating: 0, count: first.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
        indent + row.enumerated().map { i, cell in
            let pad = String(repeating: " ", count: widths[i] - cell.count)
            // Numbers read best right-aligned; words left-aligned.
            return cell.first.map { $0.isNumber } == true ? pad + cell : cell + pad
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
