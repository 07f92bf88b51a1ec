/// The top-level domains that make a word a name without a scheme in model output
/// (`AIURLScanner`): a bounded, built-in list of common ones, chosen so that file names and
/// code are not read as names. A name ending in another TLD is found only after `www.`, or
/// with `http://`/`https://`.
///
/// Left out on purpose, although they are TLDs, because words ending in them are mostly not
/// names in the text a model writes:
/// - file extensions: `md` (Moldova: `README.md`), `sh` (Saint Helena: `build.sh`), `py`
///   (Paraguay: `app.py`), `rs` (Serbia: `main.rs`), `pl` (Poland: Perl's `.pl`), `so`
///   (Somalia: `libssl.so`), `cc` (C++), `cs` (C#), `ps` (PostScript), `ml` (OCaml), `pt`
///   (PyTorch's `model.pt`), `zip` and `mov` (archives and films), `app` (`Xcode.app`), `in`
///   (`Makefile.in`), `do`, `sc`;
/// - members in code: `name` (`user.name`), `id` (`user.id`), `pk` (Django's `obj.pk`), `at`
///   (pandas' `df.at`), `is`, `to`, `int`, `ws`, `bg` (`theme.bg`), `top` (`rect.top`),
///   `store`, `page`, `click`, `link`, `space`, `work`, `cloud` (`google.cloud`), `my`.
///
/// `example` (RFC 2606, reserved for documentation) is in, so documentation-style answers
/// and the tests can name `evil.example`.
enum AIURLTopLevelDomains {
    static let names = [
        // Generic.
        "com", "net", "org", "edu", "gov", "mil", "info", "biz", "io", "ai", "co", "me", "tv", "ly", "gg", "xyz", "online",
        "site", "club", "shop", "tech", "dev", "live", "blog", "news", "pro", "icu", "vip", "fun", "website", "example",
        // Countries and regions.
        "uk", "de", "fr", "it", "es", "nl", "be", "ch", "se", "no", "dk", "fi", "ie", "gr", "cz", "sk", "hu", "ro", "hr", "si",
        "lt", "lv", "ee", "ua", "ru", "by", "kz", "su", "eu", "us", "ca", "mx", "br", "ar", "cl", "au", "nz", "jp", "cn",
        "kr", "tw", "hk", "sg", "th", "vn", "ph", "bd", "ir", "tr", "il", "ae", "sa", "eg", "ng", "ke", "za",
        // Free registrations much used by malware.
        "tk", "ga", "cf", "gq",
    ]

    /// The names packed into integers (lower case, up to 8 letters), sorted.
    static let packed: [UInt64] = names.map { name in
        var v: UInt64 = 0
        for b in name.utf8 { v = v << 8 | UInt64(b) }
        return v
    }.sorted()

    /// Whether `label` (any case) is one of `names`. No allocation: a binary search.
    static func contains(_ label: UnsafeRawBufferPointer) -> Bool {
        guard label.count >= 2 && label.count <= 8 else { return false }
        var v: UInt64 = 0
        for b in label {
            let lower = b | 0x20
            guard lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z") else { return false }
            v = v << 8 | UInt64(lower)
        }
        return packed.withUnsafeBufferPointer { table in
            var low = 0
            var high = table.count
            while low < high {
                let mid = (low + high) >> 1
                if table[mid] < v { low = mid + 1 } else { high = mid }
            }
            return low < table.count && table[low] == v
        }
    }
}
