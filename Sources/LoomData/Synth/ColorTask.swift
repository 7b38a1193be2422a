/// Single image: one shape of one colour → "What color is the circle?" → "red.".
struct ColorTask: SynthTask {
    let name = "color"

    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent {
        let object = SynthObject(color: random.pick(SynthColor.allCases), shape: random.pick(SynthShape.allCases))
        return SynthContent(question: "What color is the \(object.shape.rawValue)?", answer: "\(object.color.rawValue).",
                            media: .image(SynthCanvas.lone(object, size: size, &random).image))
    }
}

extension SynthCanvas {
    /// One object of a random size (a third to three quarters of the side) at a random place on a random background.
    static func lone(_ object: SynthObject, size: Int, _ random: inout SynthRandom) -> SynthCanvas {
        var canvas = SynthCanvas(size: size, background: random.pick(SynthColor.backgrounds))
        let side = random.int(in: (size / 3)...(size * 3 / 4))
        canvas.draw(object, x: random.int(in: 1...(size - side - 1)), y: random.int(in: 1...(size - side - 1)), size: side)
        return canvas
    }
}
