/// A dense, row-major tensor of `Float` activations.
///
/// Loom computes every activation in f32; weights live in ``Weight`` in their stored type.
public struct Tensor: Sendable, Equatable {
    /// Dimensions, outermost first.
    public private(set) var shape: [Int]
    /// Elements in row-major order; `data.count == shape.reduce(1, *)`.
    public var data: [Float]

    /// A tensor over `data` with the given shape.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count,
                     "Tensor: shape \(shape) needs \(shape.reduce(1, *)) elements, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A zero-filled tensor.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// Number of elements.
    public var count: Int { data.count }

    /// Size of the last dimension (the row length).
    public var columns: Int { shape.last ?? 1 }

    /// Number of rows: the product of every dimension but the last.
    public var rows: Int { shape.isEmpty ? 1 : shape.dropLast().reduce(1, *) }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Row `i` of a tensor seen as `[rows, columns]`.
    public func row(_ i: Int) -> ArraySlice<Float> {
        data[(i * columns)..<((i + 1) * columns)]
    }

    /// Rows `range` of a tensor seen as `[rows, columns]`, as a new `[range.count, columns]` tensor.
    public func rows(_ range: Range<Int>) -> Tensor {
        Tensor(shape: [range.count, columns], data: Array(data[(range.lowerBound * columns)..<(range.upperBound * columns)]))
    }

    /// Rows `indices` (in that order) of a tensor seen as `[rows, columns]`, as a new `[indices.count, columns]` tensor.
    public func gatheringRows(_ indices: [Int]) -> Tensor {
        var out: [Float] = []
        out.reserveCapacity(indices.count * columns)
        for i in indices { out += data[(i * columns)..<((i + 1) * columns)] }
        return Tensor(shape: [indices.count, columns], data: out)
    }
}
