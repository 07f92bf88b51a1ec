/// What the list loading needs of a file system, provided by the caller: the engine decides
/// which files to read and how, the caller does the reading (POSIX in the CLI and the data
/// plane, a dictionary in tests).
public protocol ListFileSystem {
    func kind(of path: String) -> ListPathKind
    /// The names in a folder (not `.` and `..`), in any order.
    func entries(of folder: String) throws -> [String]
    /// The target of a symbolic link, or nil when `path` is not one.
    func symbolicLinkTarget(of path: String) -> String?
    func contents(of file: String) throws -> [UInt8]
}

public enum ListPathKind: Sendable {
    case file
    case folder
    case missing
    /// A device, a socket, ...: not read.
    case other
}

/// How the caller wants a path read.
public enum ListFormatChoice: Sendable, Equatable {
    /// Guess from the layout and the first lines (`IndicatorListFormat.guess`).
    case guess
    case format(IndicatorListFormat)
    /// A UT1 folder (`UT1Layout`): a collection of category folders, or one of them.
    case ut1
}

/// Paths that could not be turned into lists.
public struct IndicatorListSetError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// What loading a set of paths did: one report per list read, and notes on what was
/// deliberately not read (UT1 expression files, aliases).
public struct IndicatorListSetReport: Sendable {
    public var lists: [IndicatorListReport] = []
    public var notes: [String] = []

    public var rejected: Int { lists.reduce(0) { $0 + $1.rejected } }
    /// The refusals kept, list after list.
    public var rejections: [IndicatorListRejection] { lists.flatMap(\.rejections) }
}

/// Loads files and UT1 folders into a builder: plain, hosts and CSV files (the format
/// guessed or given), and UT1 folders walked by `UT1Layout`'s rules. A file's entries take
/// the category named by the caller, or else the file's name without its extension
/// (`malware.txt` → `malware`); a UT1 folder's take the folder's name.
///
/// ```swift
/// var builder = IndicatorStoreBuilder()
/// let report = try IndicatorListSet.load(paths: ["lists/"], from: POSIXFiles(), into: &builder)
/// ```
public enum IndicatorListSet {
    public static func load(
        paths: [String], format: ListFormatChoice = .guess, category: String? = nil, from files: some ListFileSystem,
        into builder: inout IndicatorStoreBuilder
    ) throws(IndicatorListSetError) -> IndicatorListSetReport {
        var report = IndicatorListSetReport()
        for path in paths {
            switch files.kind(of: path) {
            case .missing: throw IndicatorListSetError("\(path): no such file or folder")
            case .other: throw IndicatorListSetError("\(path): not a file or a folder")
            case .file:
                if format == .ut1 {
                    throw IndicatorListSetError("\(path): --format ut1 expects a folder (of category folders, or one category's)")
                }
                try loadFile(path, format: format, category: category, files: files, builder: &builder, report: &report)
            case .folder:
                if case .format(let f) = format {
                    throw IndicatorListSetError("\(path): a folder is read as UT1 categories; --format \(f.rawValue) expects a file")
                }
                try loadUT1(path, category: category, files: files, builder: &builder, report: &report)
            }
        }
        return report
    }

    static func baseName(_ path: String) -> String {
        var trimmed = Substring(path)
        while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
        return String(trimmed.split(separator: "/").last ?? trimmed)
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder.hasSuffix("/") ? folder + name : folder + "/" + name
    }

    static func read(_ path: String, _ files: some ListFileSystem) throws(IndicatorListSetError) -> [UInt8] {
        do { return try files.contents(of: path) } catch { throw IndicatorListSetError("\(path): \(error)") }
    }

    static func loadFile(
        _ path: String, format: ListFormatChoice, category: String?, files: some ListFileSystem,
        builder: inout IndicatorStoreBuilder, report: inout IndicatorListSetReport
    ) throws(IndicatorListSetError) {
        let bytes = try read(path, files)
        let name = baseName(path)
        var list: IndicatorList
        if let role = UT1Layout.entryFiles.first(where: { $0.file == name }), format == .guess {
            // One file of a UT1 category folder, given by itself: its folder names the category.
            let folder = baseName(String(path.dropLast(name.count)))
            list = UT1Layout.list(category: category ?? (folder.isEmpty || folder == "." ? name : folder), file: role.file, path: path)
        } else {
            let chosen: IndicatorListFormat
            if case .format(let f) = format {
                chosen = f
            } else {
                chosen = bytes.withUnsafeBytes { IndicatorListFormat.guess(fileName: name, bytes: $0) }
            }
            let stem = name.split(separator: ".").first.map(String.init) ?? name
            list = IndicatorList(file: path, format: chosen, category: category ?? stem)
        }
        list.file = path
        try loadList(bytes, list, builder: &builder, report: &report)
    }

    static func loadList(
        _ bytes: [UInt8], _ list: IndicatorList, builder: inout IndicatorStoreBuilder, report: inout IndicatorListSetReport
    ) throws(IndicatorListSetError) {
        do {
            let listReport = try bytes.withBytes { b throws(IndicatorListLoadError) in
                try IndicatorListLoader.load(b, list, into: &builder)
            }
            report.lists.append(listReport)
        } catch {
            throw IndicatorListSetError(error.description)
        }
    }

    static func loadUT1(
        _ root: String, category: String?, files: some ListFileSystem, builder: inout IndicatorStoreBuilder,
        report: inout IndicatorListSetReport
    ) throws(IndicatorListSetError) {
        let names: [String]
        do { names = try files.entries(of: root).sorted() } catch { throw IndicatorListSetError("\(root): \(error)") }
        let entryFileNames = Set(UT1Layout.entryFiles.map(\.file))
        // One category's folder.
        if names.contains(where: { entryFileNames.contains($0) && files.kind(of: join(root, $0)) == .file }) {
            try loadCategory(root, category: category ?? baseName(root), names: names, files: files, builder: &builder, report: &report)
            return
        }
        // A checkout of the published repository: the categories are under blacklists/.
        if names.contains("blacklists") && files.kind(of: join(root, "blacklists")) == .folder {
            try loadUT1(join(root, "blacklists"), category: category, files: files, builder: &builder, report: &report)
            return
        }
        var categories: [String] = []
        var aliases: [(String, String)] = []
        var others = 0
        for name in names {
            let path = join(root, name)
            switch files.kind(of: path) {
            case .folder:
                if let target = files.symbolicLinkTarget(of: path), names.contains(baseName(target)) {
                    aliases.append((name, baseName(target)))
                    continue
                }
                let inside = (try? files.entries(of: path)) ?? []
                if inside.contains(where: { entryFileNames.contains($0) }) { categories.append(name) } else { others += 1 }
            case .file:
                let small = (try? files.contents(of: path)).flatMap { $0.count <= 64 ? $0 : nil }
                if let small, let target = UT1Layout.aliasTarget(small, categories: Set(names)) {
                    aliases.append((name, target))
                } else {
                    others += 1
                }
            default:
                others += 1
            }
        }
        guard !categories.isEmpty else {
            throw IndicatorListSetError("\(root): no UT1 category folders (folders holding a domains or urls file) in it")
        }
        for name in categories {
            let path = join(root, name)
            let inside: [String]
            do { inside = try files.entries(of: path).sorted() } catch { throw IndicatorListSetError("\(path): \(error)") }
            try loadCategory(path, category: category ?? name, names: inside, files: files, builder: &builder, report: &report)
        }
        for (alias, target) in aliases {
            report.notes.append("\(join(root, alias)): an alias of \(target), not loaded twice")
        }
        if others > 0 {
            report.notes.append("\(root): \(others) other file\(others == 1 ? "" : "s") or folder\(others == 1 ? "" : "s") (no domains or urls file) not read")
        }
    }

    static func loadCategory(
        _ folder: String, category: String, names: [String], files: some ListFileSystem,
        builder: inout IndicatorStoreBuilder, report: inout IndicatorListSetReport
    ) throws(IndicatorListSetError) {
        for (file, _) in UT1Layout.entryFiles where names.contains(file) {
            let path = join(folder, file)
            let list = UT1Layout.list(category: category, file: file, path: path)
            try loadList(try read(path, files), list, builder: &builder, report: &report)
        }
        for name in names.sorted() {
            if let why = UT1Layout.skippedFiles[name], name != "usage" {
                let size = (try? files.contents(of: join(folder, name)))?.count ?? 0
                if size > 0 { report.notes.append("\(join(folder, name)): \(why)") }
            }
        }
    }
}
