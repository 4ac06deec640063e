import FuzzTargets
import Testing

/// Every committed fuzz input (the seed corpus and every former crash) runs through its target on
/// every `make test`: a decoder that traps or an invariant that breaks fails here.
@Suite struct CorpusReplayTests {
    static let fuzzFolder = String(#filePath.split(separator: "/").dropLast(3).joined(separator: "/")).withLeadingSlash + "/Fuzz"

    @Test(arguments: FuzzTarget.all.map(\.name))
    func committedInputsPass(_ name: String) throws {
        let target = try #require(FuzzTarget.named(name))
        let seeds = FuzzCorpus.files(in: ["\(Self.fuzzFolder)/corpus/\(name)"])
        let regressions = FuzzCorpus.files(in: ["\(Self.fuzzFolder)/regressions/\(name)"])
        #expect(seeds.count >= 2, "the seed corpus of \(name) is missing")
        let failures = FuzzCorpus.replay(target, files: seeds + regressions)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}

extension String {
    var withLeadingSlash: String { hasPrefix("/") ? self : "/" + self }
}
