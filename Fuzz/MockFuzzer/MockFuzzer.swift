import FuzzTargets
#if canImport(Glibc)
import Glibc
#endif
#if FUZZING
import CLibFuzzer
#endif

/// `MockFuzzer <target> [libFuzzer flags and corpus folders]`, or the target in the environment
/// variable `MOCK_FUZZ_TARGET` (libFuzzer's `-jobs` re-runs the binary without the target argument).
///
/// Built by `make fuzz` with `-sanitize=fuzzer,address -DFUZZING` it is a libFuzzer binary for one
/// target. Built normally it replays the files and folders it is given through the target and
/// reports broken invariants (the same check the unit tests run over the committed corpus).
@main
enum MockFuzzer {
    static func main() {
        var arguments = CommandLine.arguments
        if let name = getenv("MOCK_FUZZ_TARGET").map({ String(cString: $0) }), arguments.dropFirst().first != name {
            arguments.insert(name, at: 1)
        }
        guard arguments.count >= 2, let target = FuzzTarget.named(arguments[1]) else {
            print("usage: MockFuzzer <target> [libFuzzer flags] [corpus folders]\ntargets:")
            for target in FuzzTarget.all { print("  \(target.name): \(target.summary)") }
            exit(2)
        }
        #if FUZZING
        fuzz(target, arguments: [arguments[0]] + arguments.dropFirst(2))
        #else
        let files = FuzzCorpus.files(in: arguments.dropFirst(2).filter { !$0.hasPrefix("-") })
        let failures = FuzzCorpus.replay(target, files: files)
        for failure in failures { print(failure) }
        print("\(target.name): replayed \(files.count) inputs, \(failures.count) failures")
        exit(failures.isEmpty ? 0 : 1)
        #endif
    }
}

#if FUZZING
/// The target libFuzzer's C callback runs (it cannot capture context).
nonisolated(unsafe) var currentTarget: FuzzTarget?

func fuzz(_ target: FuzzTarget, arguments: [String]) -> Never {
    currentTarget = target
    var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    var argc = CInt(arguments.count)
    let status = argv.withUnsafeMutableBufferPointer { buffer -> CInt in
        var base = buffer.baseAddress
        return LLVMFuzzerRunDriver(&argc, &base) { data, size in
            guard let target = currentTarget else { return 0 }
            let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
            do {
                try target.run(bytes)
            } catch {
                // A broken invariant is a finding: crash so libFuzzer keeps the input.
                print("\(target.name): \(error)")
                fflush(nil)
                abort()
            }
            return 0
        }
    }
    exit(status)
}
#endif
