/// A string that hashes and compares by its UTF-8 bytes, as vocabulary lookups in HF do. (`String`'s own `==` is
/// canonical equivalence, and its hashing pays for normalization checks on every non-ASCII key.)
struct ExactString: Hashable {
    let value: String

    init(_ value: String) {
        var contiguous = value
        contiguous.makeContiguousUTF8()
        self.value = contiguous
    }

    static func == (first: ExactString, second: ExactString) -> Bool {
        first.withUTF8 { firstBytes in
            second.withUTF8 { secondBytes in firstBytes.elementsEqual(secondBytes) }
        }
    }

    func hash(into hasher: inout Hasher) {
        withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    private func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        if let result = value.utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(value.utf8).withUnsafeBufferPointer(body)
    }
}
