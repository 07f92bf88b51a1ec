import FoundationEssentials
import RampartInspect
import RampartPOSIX
import RampartPolicy
#if canImport(Glibc)
import Glibc
#endif

/// The firewall's `spec.files`: its hash lists and YARA rules (a file, or a folder of
/// `*.yar`/`*.yara` read in name order), paths relative to the configuration file's folder,
/// read and compiled once with the policy. A path that cannot be read, a bad hash line or a
/// YARA error refuses the configuration with its file:line.
public enum FileRules {
    public static func load(_ settings: FirewallConfiguration.FileSettings, relativeTo folder: String)
        throws(PolicyErrors) -> FileInspection {
        func resolve(_ path: String) -> String { path.hasPrefix("/") || folder.isEmpty ? path : folder + "/" + path }
        func refuse(_ path: String, _ message: String) -> PolicyErrors {
            PolicyErrors([PolicyError(file: path, line: 0, column: 0, message: message)])
        }
        func text(_ path: String) throws(PolicyErrors) -> String {
            guard let data = FileManager.default.contents(atPath: path) else { throw refuse(path, "spec.files: cannot read the file") }
            return String(decoding: data, as: UTF8.self)
        }
        var lists: [(text: String, file: String)] = []
        for path in settings.hashes.map(resolve) { lists.append((try text(path), path)) }
        var sources: [(text: String, file: String)] = []
        for path in settings.yara.map(resolve) {
            var status = stat()
            guard stat(path, &status) == 0 else { throw refuse(path, "spec.files.yara: no such file or folder") }
            if status.st_mode & S_IFMT == S_IFDIR {
                let names = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                    .filter { $0.hasSuffix(".yar") || $0.hasSuffix(".yara") }.sorted()
                if names.isEmpty { throw refuse(path, "spec.files.yara: the folder has no *.yar or *.yara file") }
                for name in names { sources.append((try text(path + "/" + name), path + "/" + name)) }
            } else {
                sources.append((try text(path), path))
            }
        }
        do {
            return try FileInspection.load(hashLists: lists, yaraSources: sources)
        } catch let p as FileHashList.Problem {
            throw PolicyErrors([PolicyError(file: p.file, line: p.line, column: p.column, message: p.message)])
        } catch let p as YaraRules.Problem {
            throw PolicyErrors([PolicyError(file: p.file, line: p.line, column: 1, message: p.message)])
        } catch {
            throw refuse(settings.hashes.first ?? settings.yara.first ?? "-", "\(error)")
        }
    }
}
