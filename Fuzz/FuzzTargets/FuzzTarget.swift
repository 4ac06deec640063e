/// One libFuzzer entry point: `run` gets one input and must never trap on it. A broken invariant
/// (for example a packet that does not decode to itself after a round trip) is reported by
/// throwing `FuzzFailure`; the fuzzer driver turns that into a crash so libFuzzer saves the input.
package struct FuzzTarget: Sendable {
    package var name: String
    package var summary: String
    package var run: @Sendable ([UInt8]) throws(FuzzFailure) -> Void

    /// Every target, by the name `make fuzz` and the corpus folders use.
    package static let all: [FuzzTarget] = [
        FuzzTarget(name: "classic-protocol",
                   summary: "classic framing, every packet decoder (round trips) and the connection state machine",
                   run: ClassicProtocolFuzzTarget.run),
        FuzzTarget(name: "x-protocol",
                   summary: "X frames, client message decoding and the X connection state machine",
                   run: XProtocolFuzzTarget.run),
        FuzzTarget(name: "json-trace",
                   summary: "the JSON parser (round trip) and the JSON trace loader and responder",
                   run: JSONTraceFuzzTarget.run),
        FuzzTarget(name: "regex-hints",
                   summary: "what a regular expression says a matching statement starts with and contains: never wrong",
                   run: RegexHintsFuzzTarget.run),
        FuzzTarget(name: "upstream-session",
                   summary: "what an upstream server sends the recorder: login, answers, several results",
                   run: UpstreamSessionFuzzTarget.run),
        FuzzTarget(name: "compressed-frames",
                   summary: "the compressed protocol's frames (zlib and zstd): limits, lying lengths, round trips",
                   run: CompressedFramesFuzzTarget.run),
        FuzzTarget(name: "admin-body",
                   summary: "REST API request bodies: globals PUT/PATCH, one global, journal wait",
                   run: AdminBodyFuzzTarget.run),
    ]

    package static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name }
    }
}

/// An invariant a fuzz input broke.
package struct FuzzFailure: Error, CustomStringConvertible {
    package var description: String

    package init(_ description: String) {
        self.description = description
    }
}
