import RampartPolicy

/// The page a URL filtering profile answers a blocked (or `continue`) plaintext HTTP
/// request with: a whole HTTP/1.1 response. A profile's `blockPage` HTML replaces the
/// built-in body; in it `{{url}}`, `{{category}}`, `{{action}}`, `{{list}}` and `{{minutes}}`
/// are replaced (HTML-escaped), and `{{continue}}` by the continue link or the `override`
/// password form (empty on a block page). A right override password is answered
/// `303 See Other` to the URL asked for (no page).
///
/// ```swift
/// let bytes = URLBlockPage.response(for: engine.urlResponse!, template: nil)
/// // "HTTP/1.1 403 Forbidden\r\n...<p>Category: gambling</p>..."
/// ```
public enum URLBlockPage {
    public static let defaultTemplate = """
        <!DOCTYPE html>
        <html><head><meta charset="utf-8"><title>{{title}}</title>
        <style>body{font-family:sans-serif;margin:3em;max-width:40em}code{word-break:break-all}</style></head>
        <body><h1>{{title}}</h1>
        <p>Access to <code>{{url}}</code> is {{verb}} by the URL filtering policy.</p>
        <p>Category: <b>{{category}}</b></p>
        {{continue}}
        <p><small>Rampart firewall</small></p>
        </body></html>

        """

    /// The HTTP response's bytes: `403 Forbidden` for a block page, `200 OK` for a continue
    /// page, `Connection: close` (the firewall ends the connection after it).
    public static func response(for r: URLFilteringResponse, template: String?) -> [UInt8] {
        if let location = r.redirect {
            // Right password: back to the page asked for, now let through.
            let head = "HTTP/1.1 303 See Other\r\n"
                + "Location: \(headerSafe(location))\r\n"
                + "Content-Length: 0\r\n"
                + "Cache-Control: no-store\r\n"
                + "Connection: close\r\n\r\n"
            return Array(head.utf8)
        }
        let isContinue = r.verdict.action == .continue
        let isOverride = r.verdict.action == .override
        let url = escape(r.url)
        let link: String
        if isContinue {
            link = "<p><a href=\"\(url)\">Continue to \(url)</a> (this computer may then reach \(escape(host(of: r.url))) for \(r.continueMinutes) minutes).</p>"
        } else if isOverride {
            link = overrideForm(url: url, host: escape(host(of: r.url)), minutes: r.continueMinutes,
                                wrong: r.verdict.overrideAnswer == .refused)
        } else {
            link = ""
        }
        let values: [(String, String)] = [
            ("{{title}}", isContinue ? "Please confirm before you continue" : isOverride ? "Password required" : "Web page blocked"),
            ("{{verb}}", isContinue || isOverride ? "held" : "blocked"),
            ("{{url}}", url),
            ("{{category}}", escape(r.verdict.category)),
            ("{{action}}", r.verdict.action.rawValue),
            ("{{list}}", escape(r.verdict.list ?? "")),
            ("{{minutes}}", String(r.continueMinutes)),
            ("{{continue}}", link),
        ]
        var body = template ?? defaultTemplate
        for (key, value) in values { body = body.replacing(key, with: value) }
        let bodyBytes = Array(body.utf8)
        let head = "HTTP/1.1 \(isContinue ? "200 OK" : "403 Forbidden")\r\n"
            + "Content-Type: text/html; charset=utf-8\r\n"
            + "Content-Length: \(bodyBytes.count)\r\n"
            + "Cache-Control: no-store\r\n"
            + "Connection: close\r\n"
            + "X-Rampart-URL-Category: \(headerSafe(r.verdict.category))\r\n\r\n"
        return Array(head.utf8) + bodyBytes
    }

    /// The path the firewall answers on an `override` host (the form's action).
    public static let overridePath = URLOverrideQuery.path

    /// A request target as logged: an override answer's password replaced by `[masked]`
    /// (the form is a GET, so the password is in the target, and logs must not hold it).
    public static func loggable(_ target: String) -> String { URLOverrideQuery.loggable(target) }

    /// The password form: a GET to `overridePath` on the same host, the URL in a hidden field.
    static func overrideForm(url: String, host: String, minutes: Int, wrong: Bool) -> String {
        (wrong ? "<p><b>Wrong password.</b></p>\n" : "")
            + "<form method=\"get\" action=\"\(overridePath)\">"
            + "<input type=\"hidden\" name=\"url\" value=\"\(url)\">"
            + "<label>Password: <input type=\"password\" name=\"password\" autofocus></label> "
            + "<button type=\"submit\">Continue</button></form>\n"
            + "<p>The right password lets this computer reach \(host) for \(minutes) minutes.</p>"
    }

    static func host(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.firstRange(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.prefix { $0 != "/" })
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Printable ASCII only: a category name must not end the header.
    static func headerSafe(_ s: String) -> String {
        String(decoding: s.utf8.filter { $0 >= 0x20 && $0 < 0x7F }, as: UTF8.self)
    }
}
