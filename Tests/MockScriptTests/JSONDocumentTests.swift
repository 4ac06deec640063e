@testable import MockScript
import Testing

@Suite("JSON parser")
struct JSONDocumentTests {
    func parse(_ text: String) throws(TraceError) -> JSONValue {
        try JSONDocument.parse(text, file: "f.json")
    }

    @Test("values, escapes, exact integers and other numbers as written")
    func values() throws {
        let v = try parse(#"{"a": [1, -2, 1.5, 2e3, 18446744073709551615, true, false, null], "s": "q\"\\\/\n\u00e9\ud83d\ude00"}"#)
        #expect(v == .object([
            "a": .array([.int(1), .int(-2), .decimal("1.5"), .decimal("2e3"), .uint(UInt64.max), .bool(true),
                         .bool(false), .null]),
            "s": .string("q\"\\/\né😀"),
        ]))
    }

    @Test("errors say line and column", arguments: [
        ("{\n  \"a\": [1,\n}", "line 3, column 1: expected a value"),
        ("{\"a\" 1}", "line 1, column 6: expected ':'"),
        ("[1] x", "line 1, column 5: unexpected text after the document"),
        ("\"abc", "unterminated string"),
        ("[01x]", "line 1, column 3: expected ',' or ']'"),
        ("{\"a\": tru}", "expected true"),
        ("\"\\x\"", "invalid escape"),
        ("\"\\ud800\"", "unpaired surrogate"),
        ("", "line 1, column 1: expected a value (found end of file)"),
        ("[1, -1e999]", "number -1e999 is out of range"),
    ])
    func errors(text: String, message: String) {
        do {
            _ = try parse(text)
            Issue.record("parsed \(text)")
        } catch {
            #expect(error.description.contains(message), "got \(error)")
            #expect(error.description.hasPrefix("f.json: not valid JSON: "))
        }
    }

    @Test("nesting is bounded instead of overflowing the stack")
    func depth() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: TraceError.self) { try parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? parse(fine)) != nil)
    }

    @Test("numbers beyond 64 bits and decimals keep their text; their value is still a number")
    func exactNumbers() throws {
        let v = try parse("[123456789012345678901234567890123456789, 1.50, -0.0, 1E-7]")
        #expect(v == .array([.decimal("123456789012345678901234567890123456789"), .decimal("1.50"), .decimal("-0.0"),
                             .decimal("1E-7")]))
        #expect(v.jsonText == "[123456789012345678901234567890123456789,1.50,-0.0,1E-7]")
        #expect(JSONValue.decimal("1.50").doubleValue == 1.5)
    }

    @Test("jsonText writes compact, sorted, escaped JSON")
    func text() throws {
        let v = try parse(#"{"b": [1, 2.5, "x\n"], "a": null}"#)
        #expect(v.jsonText == #"{"a":null,"b":[1,2.5,"x\n"]}"#)
    }
}
