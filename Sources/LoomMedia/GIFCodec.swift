/// GIF, first frame, as Pillow's GIF plugin loads it (`GifImagePlugin`, `GifDecode.c`):
/// - the canvas is the logical screen, grown to hold the frame if the frame reaches past it;
/// - it starts filled with the frame's transparent index if it has one, else index 0;
/// - the frame's colours come from its local palette, else the global one; a palette that is the identity gray
///   ramp (entry i = (i, i, i)) is dropped, and without a palette indices read as gray levels (Pillow mode `L`);
/// - indices past the palette read as black; transparency is not applied (`convert("RGB")`).
enum GIFCodec: ImageCodec {
    static func readSize(_ bytes: UnsafeRawBufferPointer) throws -> (width: Int, height: Int) {
        let frame = try GIFFirstFrame(bytes)
        return (frame.canvasWidth, frame.canvasHeight)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, height: Int) throws -> RGBImage {
        let frame = try GIFFirstFrame(bytes)
        var canvas = [UInt8](repeating: UInt8(frame.transparentIndex ?? 0), count: width * height)
        var writer = GIFPixelWriter(frame: frame, canvasWidth: width)
        var reader = GIFSubBlockReader(bytes: bytes, offset: frame.dataOffset)
        try canvas.withUnsafeMutableBufferPointer { out in
            try GIFLZW.decode(minimumCodeSize: frame.minimumCodeSize, from: &reader) { value in
                writer.write(value, into: out)
            }
        }
        guard writer.isComplete else {
            throw DecodeFailure(.truncated, "GIF image data ends after \(writer.written) of "
                                    + "\(frame.width * frame.height) pixels")
        }
        let pixels = frame.palette.map { ColorConversion.rgb(indices: canvas, palette: $0) }
            ?? ColorConversion.rgb(from: canvas, layout: .gray)
        return RGBImage(uncheckedWidth: width, height: height, pixels: pixels)
    }
}

/// The first image descriptor of a GIF and what applies to it.
struct GIFFirstFrame {
    var canvasWidth: Int
    var canvasHeight: Int
    var left = 0
    var top = 0
    var width = 0
    var height = 0
    var interlaced = false
    /// RGB triples, or nil for Pillow's mode `L` (no palette, or an identity gray one).
    var palette: [UInt8]?
    var transparentIndex: Int?
    var minimumCodeSize = 0
    /// Offset of the first LZW sub-block.
    var dataOffset = 0

    /// Parses the header and the blocks before the first image, skipping stray bytes between blocks as Pillow does.
    init(_ bytes: UnsafeRawBufferPointer) throws {
        var cursor = ByteCursor(bytes: bytes, offset: 6)
        canvasWidth = try cursor.uint16()
        canvasHeight = try cursor.uint16()
        let flags = try cursor.byte()
        _ = try cursor.bytes(2)
        var globalPalette: [UInt8]?
        if flags & 0x80 != 0 {
            globalPalette = Self.neededPalette(try cursor.bytes(3 << (Int(flags & 7) + 1)))
        }
        while true {
            guard cursor.remaining > 0 else { throw DecodeFailure(.truncated, "GIF ends before its first image") }
            switch try cursor.byte() {
            case UInt8(ascii: ";"):
                throw DecodeFailure(.corrupt, "GIF has no image")
            case UInt8(ascii: "!"):
                let label = try cursor.byte()
                let first = try cursor.subBlock()
                if label == 0xF9, let block = first, block.count >= 4, block[0] & 1 != 0 {
                    transparentIndex = Int(block[3])
                }
                if first != nil {
                    while try cursor.subBlock() != nil {}
                }
            case UInt8(ascii: ","):
                left = try cursor.uint16()
                top = try cursor.uint16()
                width = try cursor.uint16()
                height = try cursor.uint16()
                let frameFlags = try cursor.byte()
                interlaced = frameFlags & 0x40 != 0
                if frameFlags & 0x80 != 0 {
                    palette = Self.neededPalette(try cursor.bytes(3 << (Int(frameFlags & 7) + 1)))
                } else {
                    palette = globalPalette
                }
                minimumCodeSize = Int(try cursor.byte())
                dataOffset = cursor.offset
                canvasWidth = max(canvasWidth, left + width)
                canvasHeight = max(canvasHeight, top + height)
                return
            default:
                continue
            }
        }
    }

    /// The palette, or nil when it is the identity gray ramp (Pillow's `_is_palette_needed`).
    private static func neededPalette(_ palette: [UInt8]) -> [UInt8]? {
        let isIdentity = stride(from: 0, to: palette.count, by: 3).allSatisfy { i in
            let index = UInt8(truncatingIfNeeded: i / 3)
            return i / 3 < 256 && palette[i] == index && palette[i + 1] == index && palette[i + 2] == index
        }
        return isIdentity ? nil : palette
    }
}

/// Bounds-checked reads through a GIF's header blocks.
private struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    var remaining: Int { bytes.count - offset }

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw DecodeFailure(.truncated, "GIF ends inside its header") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func uint16() throws -> Int {
        let low = try byte()
        return Int(low) | Int(try byte()) << 8
    }

    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count <= remaining else { throw DecodeFailure(.truncated, "GIF ends inside its header") }
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }

    /// The next data sub-block, or nil at a zero-length terminator.
    mutating func subBlock() throws -> [UInt8]? {
        let count = Int(try byte())
        return count == 0 ? nil : try bytes(count)
    }
}

/// Reads the LZW stream's bytes across its length-prefixed sub-blocks.
struct GIFSubBlockReader {
    let bytes: UnsafeRawBufferPointer
    var offset: Int
    private var blockRemaining = 0

    init(bytes: UnsafeRawBufferPointer, offset: Int) {
        self.bytes = bytes
        self.offset = offset
    }

    /// The next byte, or nil at the block terminator or the end of the file.
    mutating func next() -> UInt8? {
        if blockRemaining == 0 {
            guard offset < bytes.count, bytes[offset] != 0 else { return nil }
            blockRemaining = Int(bytes[offset])
            offset += 1
        }
        guard offset < bytes.count else { return nil }
        blockRemaining -= 1
        defer { offset += 1 }
        return bytes[offset]
    }
}

/// Places decoded indices in the frame's rectangle of the canvas, row by row or in the four interlaced passes.
struct GIFPixelWriter {
    private let left: Int
    private let top: Int
    private let width: Int
    private let height: Int
    private let canvasWidth: Int
    private let interlaced: Bool
    private var x = 0
    private var y = 0
    private var pass = 0
    private(set) var written = 0
    private(set) var isComplete: Bool

    /// Interlaced passes: first row and row step.
    private static let passes = [(0, 8), (4, 8), (2, 4), (1, 2)]

    init(frame: GIFFirstFrame, canvasWidth: Int) {
        left = frame.left
        top = frame.top
        width = frame.width
        height = frame.height
        self.canvasWidth = canvasWidth
        interlaced = frame.interlaced
        isComplete = frame.width == 0 || frame.height == 0
    }

    /// Writes one index; returns false once the frame is full.
    mutating func write(_ value: UInt8, into canvas: UnsafeMutableBufferPointer<UInt8>) -> Bool {
        guard !isComplete else { return false }
        canvas[(top + y) * canvasWidth + left + x] = value
        written += 1
        x += 1
        if x == width {
            x = 0
            advanceRow()
        }
        return !isComplete
    }

    private mutating func advanceRow() {
        guard interlaced else {
            y += 1
            isComplete = y >= height
            return
        }
        y += Self.passes[pass].1
        while y >= height {
            pass += 1
            guard pass < Self.passes.count else {
                isComplete = true
                return
            }
            y = Self.passes[pass].0
        }
    }
}
