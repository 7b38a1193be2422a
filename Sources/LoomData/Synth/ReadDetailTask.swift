/// Multi-patch (AnyRes): an image twice the size with a small digit in one quadrant, legible in the image-size tiles
/// and blurred in the squashed whole view → "What digit is in the top right corner?" → "5.".
struct ReadDetailTask: SynthTask {
    let name = "read-detail"
    /// The quadrants, row by row, as the question names them.
    static let corners = ["top left", "top right", "bottom left", "bottom right"]

    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent {
        let digit = random.below(10)
        let corner = random.below(Self.corners.count)
        let scale = max(1, size / 48), margin = 2 * scale
        var canvas = SynthCanvas(size: 2 * size, background: random.pick(SynthColor.backgrounds))
        let x = corner % 2 * size + random.int(in: margin...(size - margin - 3 * scale))
        let y = corner / 2 * size + random.int(in: margin...(size - margin - 5 * scale))
        canvas.drawDigit(digit, x: x, y: y, scale: scale, color: random.pick(SynthColor.allCases).rgb)
        return SynthContent(question: "What digit is in the \(Self.corners[corner]) corner?", answer: "\(digit).", media: .image(canvas.image))
    }
}
