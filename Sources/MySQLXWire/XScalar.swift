import FoundationEssentials

extension Mysqlx_Datatypes_Scalar {
    /// `V_STRING` holding `text` as UTF-8.
    public static func string(_ text: String) -> Self {
        var scalar = Self()
        scalar.type = .vString
        var value = StringMessage()
        value.value = Data(text.utf8)
        scalar.vString = value
        return scalar
    }

    /// `V_UINT`.
    public static func uint(_ value: UInt64) -> Self {
        var scalar = Self()
        scalar.type = .vUint
        scalar.vUnsignedInt = value
        return scalar
    }

    /// `V_BOOL`.
    public static func bool(_ value: Bool) -> Self {
        var scalar = Self()
        scalar.type = .vBool
        scalar.vBool = value
        return scalar
    }
}
