/// Single image: one shape of one colour → "Which shape is shown?" → "a triangle.".
struct ShapeTask: SynthTask {
    let name = "shape"

    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent {
        let object = SynthObject(color: random.pick(SynthColor.allCases), shape: random.pick(SynthShape.allCases))
        return SynthContent(question: "Which shape is shown?", answer: "a \(object.shape.rawValue).",
                            media: .image(SynthCanvas.lone(object, size: size, &random).image))
    }
}
