import NIOCore
import NIOEmbedded

/// Two `EmbeddedChannel`s wired back to back: what one writes, the other reads. For handshakes
/// (TLS, the MySQL login) run entirely in memory, without sockets or threads.
public enum InMemoryChannels {
    /// Moves whatever each side wrote to the other until neither has anything more to say.
    public static func interact(_ client: EmbeddedChannel, _ server: EmbeddedChannel) throws {
        var moved = true
        while moved {
            moved = false
            while let bytes = try client.readOutbound(as: ByteBuffer.self) {
                try server.writeInbound(bytes)
                moved = true
            }
            while let bytes = try server.readOutbound(as: ByteBuffer.self) {
                try client.writeInbound(bytes)
                moved = true
            }
        }
    }
}
