import Foundation
import LoomCore

/// Projected image features keyed by a content hash (``imageContentKey(width:height:pixels:settings:)``: a SHA-256 of
/// the decoded RGB pixels, their size and the preprocessing settings), evicted least-recently-used first once their
/// bytes exceed a budget. Later turns of a conversation, and repeated images, are not encoded again.
public final class ImageFeatureCache: @unchecked Sendable {
    /// Most bytes of features kept.
    public let capacityBytes: Int
    /// Lookups answered from the cache, and lookups that were not.
    public private(set) var hits = 0, misses = 0
    private var entries: [String: Tensor] = [:]
    private var order: [String] = []
    private var bytes = 0
    private let lock = NSLock()

    /// A cache holding at most `capacityBytes` of features (0 disables it).
    public init(capacityBytes: Int) { self.capacityBytes = capacityBytes }

    /// Bytes of features held now.
    public var storedBytes: Int { lock.withLock { bytes } }
    /// Entries held now.
    public var count: Int { lock.withLock { entries.count } }

    /// The features stored under `key`, marking them recently used.
    public func features(for key: String) -> Tensor? {
        lock.withLock {
            guard let found = entries[key] else { misses += 1; return nil }
            hits += 1
            order.removeAll { $0 == key }
            order.append(key)
            return found
        }
    }

    /// Stores `features` under `key`, evicting the least recently used entries beyond the budget.
    public func store(_ features: Tensor, for key: String) {
        let size = features.count * MemoryLayout<Float>.size
        guard size <= capacityBytes else { return }
        lock.withLock {
            if let old = entries[key] {
                bytes -= old.count * MemoryLayout<Float>.size
                order.removeAll { $0 == key }
            }
            entries[key] = features
            order.append(key)
            bytes += size
            while bytes > capacityBytes, let oldest = order.first {
                order.removeFirst()
                bytes -= (entries.removeValue(forKey: oldest)?.count ?? 0) * MemoryLayout<Float>.size
            }
        }
    }
}
