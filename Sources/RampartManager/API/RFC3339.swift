/// RFC 3339 times, written by hand: Foundation's `ISO8601DateFormatter` is outside
/// FoundationEssentials (it would link ICU's locale data), and Essentials'
/// `Date.ISO8601FormatStyle` prints 1795010520.123 as `.122` and takes hour 25.
///
/// What is read: `YYYY-MM-DDTHH:MM:SS`, an optional fraction of one or more digits (kept to
/// the millisecond, the rest dropped), then `Z` or an offset `±HH:MM` (or `±HHMM`, `±HH`),
/// and nothing after it. Hours 0-23, minutes and seconds 0-59; a day past the month's end rolls
/// over (`02-30` is March 2), as ISO8601DateFormatter did. What is written: UTC, milliseconds
/// rounded, `Z`.
///
/// ```swift
/// RFC3339.seconds("2026-11-23T14:02:00.5+01:00")   // 1795438920.5
/// RFC3339.string(1795442520.123)                  // "2026-11-23T14:02:00.123Z"
/// ```
public enum RFC3339 {
    /// Unix seconds of `text`, or nil when it is not an RFC 3339 date and time.
    public static func seconds(_ text: String) -> Double? {
        var reader = Reader(bytes: Array(text.utf8))
        guard let year = reader.digits(4), reader.take("-"), let month = reader.digits(2), reader.take("-"),
              let day = reader.digits(2), reader.take("T"), let hour = reader.digits(2), reader.take(":"),
              let minute = reader.digits(2), reader.take(":"), let second = reader.digits(2)
        else { return nil }
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        var milliseconds = 0
        if reader.take(".") {
            var count = 0
            while let digit = reader.digit() {
                if count < 3 { milliseconds = milliseconds * 10 + digit }
                count += 1
            }
            guard count > 0 else { return nil }
            for _ in count..<max(count, 3) { milliseconds *= 10 }
        }
        var offset = 0
        if reader.take("Z") {
        } else if let sign = reader.sign() {
            guard let hours = reader.digits(2) else { return nil }
            var minutes = 0
            if reader.take(":") {
                guard let m = reader.digits(2) else { return nil }
                minutes = m
            } else if let m = reader.digits(2) {
                minutes = m
            }
            guard hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard reader.atEnd else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        let whole = days * 86400 + hour * 3600 + minute * 60 + second - offset
        return Double(whole) + Double(milliseconds) / 1000
    }

    /// `seconds` as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
    public static func string(_ seconds: Double) -> String {
        let total = Int((seconds * 1000).rounded())
        let (wholeSeconds, milliseconds) = floorDivision(total, 1000)
        let (days, secondOfDay) = floorDivision(wholeSeconds, 86400)
        let (year, month, day) = civilFromDays(days)
        func pad(_ n: Int, _ width: Int) -> String {
            let text = String(n)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):\(pad(secondOfDay / 60 % 60, 2)):"
            + "\(pad(secondOfDay % 60, 2)).\(pad(milliseconds, 3))Z"
    }

    private static func floorDivision(_ a: Int, _ b: Int) -> (Int, Int) {
        let q = a / b, r = a % b
        return r < 0 ? (q - 1, r + b) : (q, r)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146097 + dayOfEra - 719468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let dayOfEra = z - era * 146097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    private struct Reader {
        let bytes: [UInt8]
        var index = 0
        var atEnd: Bool { index == bytes.count }

        mutating func take(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int? {
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int(bytes[index] - UInt8(ascii: "0"))
        }

        mutating func digits(_ count: Int) -> Int? {
            var value = 0
            for _ in 0..<count {
                guard let d = digit() else { return nil }
                value = value * 10 + d
            }
            return value
        }

        mutating func sign() -> Int? {
            if take("+") { return 1 }
            if take("-") { return -1 }
            return nil
        }
    }
}
