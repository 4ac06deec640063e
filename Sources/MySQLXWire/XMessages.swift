import NIOCore
import SwiftProtobuf

/// A decoded client → server X protocol message.
public enum XClientMessage: Sendable {
    case capabilitiesGet
    case capabilitiesSet(Mysqlx_Connection_CapabilitiesSet)
    case connectionClose
    case authenticateStart(Mysqlx_Session_AuthenticateStart)
    case authenticateContinue(Mysqlx_Session_AuthenticateContinue)
    case sessionReset(Mysqlx_Session_Reset)
    case sessionClose
    case stmtExecute(Mysqlx_Sql_StmtExecute)
    case expectOpen(Mysqlx_Expect_Open)
    case expectClose
    /// `Mysqlx.Prepare.Prepare` (type 40).
    case prepare(Mysqlx_Prepare_Prepare)
    /// `Mysqlx.Prepare.Execute` (type 41).
    case prepareExecute(Mysqlx_Prepare_Execute)
    /// `Mysqlx.Prepare.Deallocate` (type 42).
    case prepareDeallocate(Mysqlx_Prepare_Deallocate)
    /// A type the mock does not implement (CRUD, cursors, unknown ids).
    case unsupported(UInt8)

    /// Decodes a frame; protobuf errors (missing required fields, bad wire data) become
    /// `MySQLXWireError(.malformedMessage)` naming the message.
    public init(_ frame: XFrame) throws(MySQLXWireError) {
        let bytes = Array(frame.payload.readableBytesView)
        func decode<M: SwiftProtobuf.Message>(_: M.Type) throws(MySQLXWireError) -> M {
            do {
                return try M(serializedBytes: bytes)
            } catch {
                throw MySQLXWireError(.malformedMessage, "\(M.protoMessageName) (type \(frame.type)): \(error)")
            }
        }
        switch Int(frame.type) {
        case Mysqlx_ClientMessages.TypeEnum.conCapabilitiesGet.rawValue: self = .capabilitiesGet
        case Mysqlx_ClientMessages.TypeEnum.conCapabilitiesSet.rawValue:
            self = .capabilitiesSet(try decode(Mysqlx_Connection_CapabilitiesSet.self))
        case Mysqlx_ClientMessages.TypeEnum.conClose.rawValue: self = .connectionClose
        case Mysqlx_ClientMessages.TypeEnum.sessAuthenticateStart.rawValue:
            self = .authenticateStart(try decode(Mysqlx_Session_AuthenticateStart.self))
        case Mysqlx_ClientMessages.TypeEnum.sessAuthenticateContinue.rawValue:
            self = .authenticateContinue(try decode(Mysqlx_Session_AuthenticateContinue.self))
        case Mysqlx_ClientMessages.TypeEnum.sessReset.rawValue: self = .sessionReset(try decode(Mysqlx_Session_Reset.self))
        case Mysqlx_ClientMessages.TypeEnum.sessClose.rawValue: self = .sessionClose
        case Mysqlx_ClientMessages.TypeEnum.sqlStmtExecute.rawValue:
            self = .stmtExecute(try decode(Mysqlx_Sql_StmtExecute.self))
        case Mysqlx_ClientMessages.TypeEnum.expectOpen.rawValue: self = .expectOpen(try decode(Mysqlx_Expect_Open.self))
        case Mysqlx_ClientMessages.TypeEnum.expectClose.rawValue: self = .expectClose
        case Mysqlx_ClientMessages.TypeEnum.preparePrepare.rawValue: self = .prepare(try decode(Mysqlx_Prepare_Prepare.self))
        case Mysqlx_ClientMessages.TypeEnum.prepareExecute.rawValue:
            self = .prepareExecute(try decode(Mysqlx_Prepare_Execute.self))
        case Mysqlx_ClientMessages.TypeEnum.prepareDeallocate.rawValue:
            self = .prepareDeallocate(try decode(Mysqlx_Prepare_Deallocate.self))
        default: self = .unsupported(frame.type)
        }
    }
}

/// Server → client message type bytes.
public enum XServerType {
    public static let ok = UInt8(Mysqlx_ServerMessages.TypeEnum.ok.rawValue)
    public static let error = UInt8(Mysqlx_ServerMessages.TypeEnum.error.rawValue)
    public static let capabilities = UInt8(Mysqlx_ServerMessages.TypeEnum.connCapabilities.rawValue)
    public static let authenticateContinue = UInt8(Mysqlx_ServerMessages.TypeEnum.sessAuthenticateContinue.rawValue)
    public static let authenticateOk = UInt8(Mysqlx_ServerMessages.TypeEnum.sessAuthenticateOk.rawValue)
    public static let notice = UInt8(Mysqlx_ServerMessages.TypeEnum.notice.rawValue)
    public static let columnMetaData = UInt8(Mysqlx_ServerMessages.TypeEnum.resultsetColumnMetaData.rawValue)
    public static let row = UInt8(Mysqlx_ServerMessages.TypeEnum.resultsetRow.rawValue)
    public static let fetchDone = UInt8(Mysqlx_ServerMessages.TypeEnum.resultsetFetchDone.rawValue)
    public static let fetchDoneMoreResultsets =
        UInt8(Mysqlx_ServerMessages.TypeEnum.resultsetFetchDoneMoreResultsets.rawValue)
    public static let stmtExecuteOk = UInt8(Mysqlx_ServerMessages.TypeEnum.sqlStmtExecuteOk.rawValue)
}

extension XFramer {
    /// Appends `message` as a frame of `type`.
    public static func write(type: UInt8, message: some SwiftProtobuf.Message, to buffer: inout ByteBuffer) throws {
        let bytes: [UInt8] = try message.serializedBytes()
        write(type: type, payload: bytes, to: &buffer)
    }
}
