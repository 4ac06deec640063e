import MockModel
import Testing

@Suite("SQL scanning: markers and statements")
struct SQLScannerTests {
    @Test("semicolons in strings, identifiers and comments do not split; whitespace around statements goes")
    func splitsAtCodeSemicolons() {
        let query = "SELECT ';', \"a;\\\";\", `x;y` FROM t; \n SELECT 'it''s;' -- ;\n; SELECT /*! ; */ 2 # ;"
        #expect(StatementSplitter.split(query) == [
            .statement("SELECT ';', \"a;\\\";\", `x;y` FROM t"),
            .statement("SELECT 'it''s;' -- ;"),
            .statement("SELECT /*! ; */ 2 # ;"),
        ])
    }

    @Test("one statement keeps its text; a trailing semicolon, whitespace or comment is not a statement")
    func oneStatement() {
        #expect(StatementSplitter.split("SELECT 1") == [.statement("SELECT 1")])
        #expect(StatementSplitter.split("SELECT 1;  \n") == [.statement("SELECT 1;  \n")])
        #expect(StatementSplitter.split("SELECT 1; -- done") == [.statement("SELECT 1; -- done")])
        #expect(StatementSplitter.split("SELECT 1; SELECT 2;\n") == [.statement("SELECT 1"), .statement("SELECT 2")])
    }

    @Test("nothing between two semicolons is an empty statement")
    func emptyStatements() {
        #expect(StatementSplitter.split("SELECT 1;;SELECT 2") == [.statement("SELECT 1"), .empty, .statement("SELECT 2")])
        #expect(StatementSplitter.split("; SELECT 2") == [.empty, .statement("SELECT 2")])
    }

    @Test("an unterminated string or comment swallows the rest, as the server's lexer does")
    func unterminated() {
        #expect(StatementSplitter.split("SELECT 'a; SELECT 2") == [.statement("SELECT 'a; SELECT 2")])
        #expect(StatementSplitter.split("SELECT 1 /* ; SELECT 2") == [.statement("SELECT 1 /* ; SELECT 2")])
        #expect(PlaceholderScanner.count("SELECT ? /* ?") == 1)
    }

    @Test("the second statement starts after the first code semicolon and its whitespace")
    func secondStatement() {
        let text = "SELECT ';' ;\n  SELECT 2"
        #expect(String(text[StatementSplitter.secondStatement(text)...]) == "SELECT 2")
    }

    @Test("? markers are the code question marks")
    func markers() {
        #expect(PlaceholderScanner.split("SELECT ?, '?', `?` /* ? */, ? -- ?\n") == ["SELECT ", ", '?', `?` /* ? */, ", " -- ?\n"])
    }
}
