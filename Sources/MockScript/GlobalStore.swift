import Synchronization

/// The process-wide store behind `mysqld.global` and the REST API's globals: a map from name to
/// JSON text, shared by every connection and listener. Values are stored as text, so every read
/// gets a fresh copy (mutating a nested value in place is lost, as in the reference).
public final class GlobalStore: Sendable {
    private let values = Mutex<[String: String]>([:])
    /// The cluster's store under this node's (`--cluster`): read where this store has no value of
    /// its own; writes stay in this store.
    public let shared: GlobalStore?

    public init() {
        shared = nil
    }

    public init(shared: GlobalStore?) {
        self.shared = shared
    }

    /// The JSON text stored under `key` (here, or else in the shared store).
    public func get(_ key: String) -> String? {
        if let own = values.withLock({ $0[key] }) { return own }
        return shared?.get(key)
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
        snapshot().keys.sorted()
    }

    /// Every value, as JSON text (the shared store's under this store's own).
    public func snapshot() -> [String: String] {
        let own = values.withLock { $0 }
        guard let shared else { return own }
        return shared.snapshot().merging(own) { _, mine in mine }
    }

    /// Replaces all values at once.
    public func replaceAll(with new: [String: String]) {
        values.withLock { $0 = new }
    }
}
