extension String {
    /// The longest start of the string that is at most `bytes` bytes of UTF-8 and ends on a whole
    /// character (a server cutting a message, the journal cutting a statement). The string itself
    /// when it is short enough.
    public func prefix(utf8Bytes bytes: Int) -> String {
        let utf8 = self.utf8
        guard utf8.count > bytes else { return self }
        var end = utf8.index(utf8.startIndex, offsetBy: max(0, bytes))
        while end > utf8.startIndex, UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
        return String(self[..<end])
    }
}
