import FoundationEssentials

/// Parses JSON text into a `JSONValue`, turning the decoder's complaints into a `TraceError`.
enum JSONDocument {
    static func parse(_ text: String, file: String) throws(TraceError) -> JSONValue {
        do {
            return try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        } catch let DecodingError.dataCorrupted(context) {
            let detail = context.underlyingError.map { "\($0)" } ?? context.debugDescription
            throw TraceError(file: file, path: "", message: "not valid JSON: \(detail)")
        } catch {
            throw TraceError(file: file, path: "", message: "not valid JSON: \(error)")
        }
    }
}
