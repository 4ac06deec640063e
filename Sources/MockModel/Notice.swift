/// An X protocol notice a trace schedules (`notices`, reference spec §3.9): sent `sendOffset` after
/// AuthenticateOk.
public struct NoticeSpec: Sendable, Hashable {
    public enum Scope: Sendable, Hashable {
        case global
        case local
    }

    public enum Kind: Sendable, Hashable {
        /// Type 1.
        case warning(level: UInt32, code: UInt32, message: String)
        /// Type 2.
        case sessionVariableChanged(name: String, value: String)
        /// Type 3.
        case sessionStateChanged(parameter: UInt32, value: String)
        /// Type 4: GroupReplicationStateChanged (1 quorum loss, 2 view change, 3 role change, 4 state change).
        case groupReplicationStateChanged(type: UInt32, viewID: String?)
        /// Type 5.
        case serverHello
    }

    public var sendOffset: Duration
    public var scope: Scope
    public var kind: Kind

    public init(sendOffset: Duration, scope: Scope, kind: Kind) {
        self.sendOffset = sendOffset
        self.scope = scope
        self.kind = kind
    }
}
