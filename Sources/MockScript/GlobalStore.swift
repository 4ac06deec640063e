import Synchronization

/// The process-wide store behind `mysqld.global` and the REST API's globals: a map from name to
/// JSON text, shared by every connection and listener. Values are stored as text, so every read
/// gets a fresh copy (mutating a nested value in place is lost, as in the reference).
public final class GlobalStore: Sendable {
    private let values = Mutex<[String: String]>([:])

    public init() {}

    /// The JSON text stored under `key`.
    public func get(_ key: String) -> String? {
        values.withLock { $0[key] }
    }

    public func set(_ key: String, json: String) {
        values.withLock { $0[key] = json }
    }

    /// Removes `key`; returns how many values were removed (0 or 1).
    @discardableResult
    public func remove(_ key: String) -> Int {
        values.withLock { $0.removeValue(forKey: key) == nil ? 0 : 1 }
    }

    public func keys() -> [String] {
        values.withLock { $0.keys.sorted() }
    }

    /// Every value, as JSON text.
    public func snapshot() -> [String: String] {
        values.withLock { $0 }
    }

    /// Replaces all values at once.
    public func replaceAll(with new: [String: String]) {
        values.withLock { $0 = new }
    }
}
