/// Objects on a 3×3 grid over a gray background: the scenes of the multi-image, video and view tasks. Each object
/// sits in its own cell (nudged inside it), so objects never overlap and "the red circle" names one object when the
/// scene's pairs differ.
struct SynthScene: Sendable, Equatable {
    /// An object in a grid cell (0–8, row by row), nudged by (`dx`, `dy`) pixels inside it.
    struct Item: Sendable, Equatable {
        var object: SynthObject
        var cell: Int
        var dx: Int
        var dy: Int
    }

    var background: SynthRGB
    var items: [Item]

    /// The side of a cell and of an object's box in an image of `size` pixels.
    static func cellSize(_ size: Int) -> Int { size / 3 }
    static func objectSize(_ size: Int) -> Int { max(3, cellSize(size) * 3 / 4) }

    /// An empty scene on `background`.
    init(background: SynthRGB) {
        self.background = background
        items = []
    }

    /// An empty scene on a random background.
    init(_ random: inout SynthRandom) { self.init(background: random.pick(SynthColor.backgrounds)) }

    /// The cells no object occupies.
    var freeCells: [Int] { (0..<9).filter { cell in !items.contains { $0.cell == cell } } }

    /// Adds `object` in a random free cell at a random nudge; the scene must have a free cell.
    mutating func add(_ object: SynthObject, size: Int, _ random: inout SynthRandom) {
        let slack = Self.cellSize(size) - Self.objectSize(size)
        items.append(Item(object: object, cell: random.pick(freeCells), dx: random.int(in: 0...slack), dy: random.int(in: 0...slack)))
    }

    /// Adds `count` random objects whose colour–shape pairs differ from each other, from those already there and
    /// from `excluded`.
    mutating func addDistinct(_ count: Int, excluding excluded: [SynthObject] = [], size: Int, _ random: inout SynthRandom) {
        for _ in 0..<count {
            let taken = excluded + items.map(\.object)
            add(random.pick(SynthObject.all.filter { !taken.contains($0) }), size: size, &random)
        }
    }

    /// The top left corner of `item`'s box in an image of `size` pixels.
    static func origin(of item: Item, size: Int) -> (x: Int, y: Int) {
        let cell = cellSize(size), margin = (size - 3 * cell) / 2
        return (margin + item.cell % 3 * cell + item.dx, margin + item.cell / 3 * cell + item.dy)
    }

    /// The scene drawn at `size` × `size` pixels.
    func canvas(size: Int) -> SynthCanvas {
        var canvas = SynthCanvas(size: size, background: background)
        for item in items {
            let (x, y) = Self.origin(of: item, size: size)
            canvas.draw(item.object, x: x, y: y, size: Self.objectSize(size))
        }
        return canvas
    }
}
