/// GIF's variable-width LZW, with Pillow's rules (`GifDecode.c`): codes up to 12 bits, the table stops growing
/// when full (no reset without a clear code), a code past the next free entry is an error.
enum GIFLZW {
    private static let tableSize = 4096
    private static let maximumCodeSize = 12

    /// Decodes codes from `reader`, handing each index to `emit` until it returns false, the end code, or the end
    /// of the data.
    static func decode(minimumCodeSize: Int, from reader: inout GIFSubBlockReader,
                       emit: (UInt8) -> Bool) throws {
        guard (0...maximumCodeSize).contains(minimumCodeSize) else {
            throw DecodeFailure(.corrupt, "GIF LZW code size \(minimumCodeSize) is out of range")
        }
        let clear = 1 << minimumCodeSize
        let end = clear + 1
        var prefix = [Int](repeating: 0, count: tableSize)
        var suffix = [UInt8](repeating: 0, count: tableSize)
        var string = [UInt8]()
        string.reserveCapacity(tableSize + 1)

        var codeSize = minimumCodeSize + 1
        var next = clear + 2
        var previous: Int?
        var previousFirst: UInt8 = 0
        var bits = 0
        var bitCount = 0

        while true {
            while bitCount < codeSize {
                guard let byte = reader.next() else { return }
                bits |= Int(byte) << bitCount
                bitCount += 8
            }
            let code = bits & ((1 << codeSize) - 1)
            bits >>= codeSize
            bitCount -= codeSize

            if code == clear {
                codeSize = minimumCodeSize + 1
                next = clear + 2
                previous = nil
                continue
            }
            if code == end { return }
            guard let last = previous else {
                guard code < clear else { throw DecodeFailure(.corrupt, "GIF LZW stream starts with code \(code)") }
                previous = code
                previousFirst = UInt8(truncatingIfNeeded: code)
                if !emit(previousFirst) { return }
                continue
            }
            guard code <= next else {
                throw DecodeFailure(.corrupt, "GIF LZW code \(code) is past the table (\(next))")
            }
            string.removeAll(keepingCapacity: true)
            var walk = code
            if code == next {
                string.append(previousFirst)
                walk = last
            }
            while walk >= clear {
                guard walk < tableSize, string.count < tableSize else {
                    throw DecodeFailure(.corrupt, "GIF LZW code \(walk) is invalid")
                }
                string.append(suffix[walk])
                walk = prefix[walk]
            }
            let first = UInt8(truncatingIfNeeded: walk)
            previousFirst = first
            if next < tableSize {
                suffix[next] = first
                prefix[next] = last
                if next == (1 << codeSize) - 1 && codeSize < maximumCodeSize { codeSize += 1 }
                next += 1
            }
            previous = code
            if !emit(first) { return }
            for value in string.reversed() {
                if !emit(value) { return }
            }
        }
    }
}
