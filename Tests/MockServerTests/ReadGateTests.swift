@testable import MockServer
import Testing

@Suite("Read gate")
struct ReadGateTests {
    @Test("reads pass while open; held during an answer and issued once when it is out")
    func answer() {
        var gate = ReadGate()
        #expect(gate.readRequested() == true)
        gate.answerStarted()
        #expect(!gate.isOpen)
        #expect(gate.readRequested() == false)
        #expect(gate.readRequested() == false)
        #expect(gate.answerFinished() == .read)
        #expect(gate.readRequested() == true)
        #expect(gate.answerFinished() == .none)
    }

    @Test("one read passes during an answer while nothing is buffered; then reads are held")
    func readAhead() {
        var gate = ReadGate()
        gate.answerStarted()
        #expect(gate.readRequested(nothingBuffered: true) == true)
        // What that read brought is buffered, or the client sent nothing and the next is held anyway.
        #expect(gate.readRequested(nothingBuffered: true) == false)
        #expect(gate.readRequested(nothingBuffered: false) == false)
        #expect(gate.answerFinished() == .read)
        // A new answer allows one again; not with bytes buffered, and not to a client that does not read.
        gate.answerStarted()
        #expect(gate.readRequested(nothingBuffered: false) == false)
        #expect(gate.answerFinished() == .read)
        gate.answerStarted()
        #expect(gate.writabilityChanged(false) == .none)
        #expect(gate.readRequested(nothingBuffered: true) == false)
    }

    @Test("an answer with no read asked for meanwhile resumes processing without a read")
    func answerWithoutRead() {
        var gate = ReadGate()
        gate.answerStarted()
        #expect(gate.answerFinished() == .resume)
    }

    @Test("a client that does not read: held until writable, and both must clear")
    func writability() {
        var gate = ReadGate()
        #expect(gate.writabilityChanged(false) == .none)
        #expect(gate.readRequested() == false)
        gate.answerStarted()
        #expect(gate.writabilityChanged(true) == .none)
        #expect(gate.writabilityChanged(false) == .none)
        #expect(gate.answerFinished() == .none)
        #expect(gate.writabilityChanged(true) == .read)
        #expect(gate.writabilityChanged(true) == .none)
        #expect(gate.isOpen)
    }
}
