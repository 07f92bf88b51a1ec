import Foundation
import RampartInspect
import RampartPOSIX

/// Reads `--hashes` lists and `--yara` sources (a file, or a folder of `*.yar`/`*.yara`
/// read in name order) for the engine's file inspection.
enum FileInspectionFiles {
    static func load(hashes: [String], yara: [String]) throws -> FileInspection {
        func text(_ path: String) throws -> String {
            String(decoding: try readFileBytes(path, limit: 256 << 20), as: UTF8.self)
        }
        var sources: [(text: String, file: String)] = []
        for path in yara {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
                let names = try FileManager.default.contentsOfDirectory(atPath: path)
                    .filter { $0.hasSuffix(".yar") || $0.hasSuffix(".yara") }.sorted()
                guard !names.isEmpty else { throw FileReadError(path: path, reason: "the folder has no *.yar or *.yara file") }
                for name in names { sources.append((try text(path + "/" + name), path + "/" + name)) }
            } else {
                sources.append((try text(path), path))
            }
        }
        return try FileInspection.load(hashLists: try hashes.map { (try text($0), $0) }, yaraSources: sources)
    }
}
