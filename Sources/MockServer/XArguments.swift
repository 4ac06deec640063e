import FoundationEssentials
import MockModel
import MySQLXWire

/// The `args` of an X `StmtExecute` or `Prepare.Execute` as the parameter values a trace sees.
///
/// The X Plugin accepts scalars only (`Getter_any::put_scalar_value_to_functor`): signed and
/// unsigned integers, NULL, octets and strings (as text), doubles and floats, and booleans (bound
/// as a TINYINT 1 / 0).
enum XArguments {
    /// An argument that is not a scalar, or a scalar without the value its type names.
    struct Unsupported: Error, Equatable {
        /// Its position among the arguments.
        var index: Int
        /// `Mysqlx.Datatypes.Any` type (`OBJECT`, `ARRAY`) or scalar type (`V_SINT`…) name.
        var typeName: String
    }

    static func parameters(_ arguments: [Mysqlx_Datatypes_Any]) -> Result<[ParameterValue], Unsupported> {
        var values: [ParameterValue] = []
        values.reserveCapacity(arguments.count)
        for (index, argument) in arguments.enumerated() {
            guard argument.type == .scalar, argument.hasScalar, let value = parameter(argument.scalar) else {
                let name = argument.type == .scalar ? "Scalar \(argument.scalar.type)" : "\(argument.type)"
                return .failure(Unsupported(index: index, typeName: name))
            }
            values.append(value)
        }
        return .success(values)
    }

    private static func parameter(_ scalar: Mysqlx_Datatypes_Scalar) -> ParameterValue? {
        switch scalar.type {
        case .vSint: return scalar.hasVSignedInt ? .int(scalar.vSignedInt) : nil
        case .vUint: return scalar.hasVUnsignedInt ? .uint(scalar.vUnsignedInt) : nil
        case .vNull: return .null
        case .vOctets: return scalar.hasVOctets ? text(scalar.vOctets.value) : nil
        case .vString: return scalar.hasVString ? text(scalar.vString.value) : nil
        case .vDouble: return scalar.hasVDouble ? .double(scalar.vDouble) : nil
        case .vFloat: return scalar.hasVFloat ? .double(Double(scalar.vFloat)) : nil
        case .vBool: return scalar.hasVBool ? .int(scalar.vBool ? 1 : 0) : nil
        }
    }

    /// UTF-8 text as text; other bytes as bytes (`X'…'` when interpolated).
    private static func text(_ data: Data) -> ParameterValue {
        let bytes = [UInt8](data)
        if let string = String(validating: bytes, as: UTF8.self) { return .text(string) }
        return .bytes(bytes)
    }
}
