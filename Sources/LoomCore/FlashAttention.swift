import LoomKernels

/// bf16 attention without a queries × keys matrix (the C kernel `loom_attention_bf16`): keys and values packed
/// per head, query rows in groups, key tiles of 64 with an online softmax, causal tiles skipped. Its memory is
/// the packed keys and values (the size of a bf16 KV cache) plus about 40 KiB of stack per call.
public enum FlashAttention {
    /// Query rows per parallel work item.
    static let queryBlock = 32

    /// Whether the kernel handles heads of `headDim` (up to 128).
    public static func supports(headDim: Int) -> Bool { headDim > 0 && headDim <= 128 }

    /// Bytes the kernel and its packed operands use for `keys` keys of `kvHeads` heads (no term in queries × keys).
    public static func scratchBytes(keys: Int, kvHeads: Int, headDim: Int) -> Int {
        kvHeads * (loom_attention_keys_bytes(Int64(keys), Int32(headDim)) + loom_attention_values_bytes(Int64(keys), Int32(headDim)))
    }

    /// Packed keys and values of every key-value head, with room for `capacity` keys.
    public final class PackedHeads {
        public let kvHeads: Int
        public let headDim: Int
        public private(set) var capacity = 0
        /// Keys of every head, then values of every head, in one block (so that decoding streams it through huge
        /// pages where the system offers them).
        private var storage: OwnedBuffer?
        /// Bytes of one head's packed keys, and of its packed values, at the current capacity.
        private var keyBytes: Int { loom_attention_keys_bytes(Int64(capacity), Int32(headDim)) }
        private var valueBytes: Int { loom_attention_values_bytes(Int64(capacity), Int32(headDim)) }

        public init(kvHeads: Int, headDim: Int, capacity: Int) {
            self.kvHeads = kvHeads
            self.headDim = headDim
            reserve(capacity)
        }

        /// Bytes held.
        public var byteCount: Int { FlashAttention.scratchBytes(keys: capacity, kvHeads: kvHeads, headDim: headDim) }

        /// Grows to hold at least `keys` keys (doubling), keeping what is stored.
        public func reserve(_ keys: Int) {
            guard keys > capacity || storage == nil else { return }
            let newCapacity = max(keys, capacity * 2, 16)
            let newKeyBytes = loom_attention_keys_bytes(Int64(newCapacity), Int32(headDim))
            let newValueBytes = loom_attention_values_bytes(Int64(newCapacity), Int32(headDim))
            // Left uninitialised: attention reads stored keys only, up to the end of their 16-key block, whose
            // unstored slots `store` keeps zero (so pages are touched as the cache fills, not when reserved).
            let grown = OwnedBuffer(byteCount: kvHeads * (newKeyBytes + newValueBytes))
            if let storage {
                for h in 0..<kvHeads {
                    (grown.pointer + h * newKeyBytes).copyMemory(from: storage.pointer + h * keyBytes, byteCount: keyBytes)
                    (grown.pointer + kvHeads * newKeyBytes + h * newValueBytes)
                        .copyMemory(from: storage.pointer + kvHeads * keyBytes + h * valueBytes, byteCount: valueBytes)
                }
            }
            storage = grown
            capacity = newCapacity
        }

        func keys(_ head: Int) -> UnsafeMutablePointer<UInt16> {
            (storage!.pointer + head * keyBytes).assumingMemoryBound(to: UInt16.self)
        }

        func values(_ head: Int) -> UnsafeMutablePointer<UInt16> {
            (storage!.pointer + kvHeads * keyBytes + head * valueBytes).assumingMemoryBound(to: UInt16.self)
        }

        /// Packs `count` f32 key and value rows (all heads side by side) at key positions `[first, first + count)`.
        ///
        /// Slots after the last stored key within its 16-key block stay zero (attention reads whole blocks): a
        /// block entered here and left partly filled is zeroed before packing; a block entered before already is
        /// past its stored keys.
        public func store(keys k: Attention.Operand, values v: Attention.Operand, at first: Int, count: Int) {
            precondition(first + count <= capacity, "FlashAttention: \(first + count) keys exceed the capacity \(capacity)")
            guard count > 0 else { return }
            let d = headDim
            let end = first + count, lastBlock = (end - 1) / 16, firstEntered = (first + 15) / 16
            if end % 16 != 0 && lastBlock >= firstEntered {
                for h in 0..<kvHeads { loom_attention_clear_block(self.keys(h), values(h), Int64(lastBlock), Int32(d)) }
            }
            Parallel.forEachChunk(kvHeads * 2, costPerItem: count * d) { range in
                for item in range {
                    let h = item / 2
                    if item % 2 == 0 {
                        loom_attention_pack_keys(k.base + h * d, Int64(k.rowStride), Int64(first), Int64(count), Int32(d), self.keys(h))
                    } else {
                        loom_attention_pack_values(v.base + h * d, Int64(v.rowStride), Int64(first), Int64(count), Int32(d), self.values(h))
                    }
                }
            }
        }

        /// Zeroes the packed slots after `keys` within the last block (so padded keys are exact zeros).
        public func clearTail(after keys: Int) {
            for h in 0..<kvHeads { loom_attention_clear_tail(self.keys(h), values(h), Int64(keys), Int32(headDim)) }
        }
    }

    /// `softmax(q·kᵀ·scale [+ causal mask]) · v` for every head against the first `keys` packed keys;
    /// work items (head, block of query rows) are split across Loom's threads.
    public static func run(q: Attention.Operand, packed: PackedHeads, keys: Int, out: UnsafeMutablePointer<Float>, outStride: Int,
                           queries: Int, heads: Int, scale: Float, causalOffset: Int?) {
        let d = packed.headDim, group = heads / packed.kvHeads
        let blocks = (queries + queryBlock - 1) / queryBlock
        let offset = Int64(causalOffset ?? -1)
        Parallel.forEachChunk(heads * blocks, costPerItem: queryBlock * keys * d) { range in
            for item in range {
                let h = item / blocks, r0 = (item % blocks) * queryBlock
                let rows = min(queryBlock, queries - r0), kvh = h / group
                loom_attention_bf16(q.base + r0 * q.rowStride + h * d, Int64(q.rowStride), Int64(rows),
                                    packed.keys(kvh), packed.values(kvh), Int64(keys), Int32(d), scale,
                                    offset < 0 ? -1 : offset + Int64(r0), out + r0 * outStride + h * d, Int64(outStride))
            }
        }
    }
}
