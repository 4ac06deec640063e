import FoundationEssentials

/// Corpus files on disk: `Fuzz/corpus/<target>/` (seeds: real client traffic and trace files)
/// and `Fuzz/regressions/<target>/` (inputs that once crashed or broke an invariant).
package enum FuzzCorpus {
    /// The files named by `paths`, folders expanded (their files, not sub-folders; hidden files skipped), sorted.
    package static func files(in paths: [String]) -> [String] {
        var found: [String] = []
        for path in paths {
            var isFolder = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { continue }
            if isFolder {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                for name in names.sorted() where !name.hasPrefix(".") {
                    var nested = false
                    if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &nested), !nested {
                        found.append(path + "/" + name)
                    }
                }
            } else {
                found.append(path)
            }
        }
        return found
    }

    /// Runs `target` on every file; returns "<file>: <failure>" for each broken invariant.
    package static func replay(_ target: FuzzTarget, files: [String]) -> [String] {
        var failures: [String] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                failures.append("\(file): cannot be read")
                continue
            }
            do {
                try target.run(Array(data))
            } catch {
                failures.append("\(file): \(error)")
            }
        }
        return failures
    }
}
