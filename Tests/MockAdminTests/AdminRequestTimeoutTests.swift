import HTTPTypes
@testable import MockAdmin
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@Suite("Admin request timeout")
struct AdminRequestTimeoutTests {
    func channel() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: AdminRequestTimeout(timeout: .seconds(10)))
        try channel.connect(to: .init(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static let head = HTTPRequest(method: .get, scheme: nil, authority: "127.0.0.1", path: "/api/v1/mock_server/health")

    @Test("a request trickled in (bytes, but no complete head) is closed when the timeout runs out")
    func trickle() throws {
        let channel = try channel()
        channel.pipeline.fireChannelReadComplete()  // header bytes arrived, nothing decoded yet
        channel.embeddedEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        channel.pipeline.fireChannelReadComplete()  // more bytes do not restart the clock
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
    }

    @Test("a head without its end is closed too (a trickled body)")
    func trickledBody() throws {
        let channel = try channel()
        try channel.writeInbound(HTTPRequestPart.head(Self.head))
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(!channel.isActive)
    }

    @Test("a whole request stops the clock; a long answer (journal wait) and an idle keep-alive are not cut")
    func wholeRequests() throws {
        let channel = try channel()
        channel.pipeline.fireChannelReadComplete()
        try channel.writeInbound(HTTPRequestPart.head(Self.head))
        try channel.writeInbound(HTTPRequestPart.end(nil))
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))  // the answer takes a minute
        #expect(channel.isActive)
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        channel.embeddedEventLoop.advanceTime(by: .seconds(60))  // idle keep-alive: the idle timeout's job
        #expect(channel.isActive)
        // The next request gets its own ten seconds.
        channel.pipeline.fireChannelReadComplete()
        channel.embeddedEventLoop.advanceTime(by: .seconds(10))
        #expect(!channel.isActive)
        #expect(try channel.readInbound(as: HTTPRequestPart.self) != nil)  // requests were passed on
    }
}
