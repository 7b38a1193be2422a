/// Single image: a digit of the 3×5 pixel font scaled up → "Which digit is shown?" → "7.".
struct DigitTask: SynthTask {
    let name = "digit"

    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent {
        let digit = random.below(10)
        let scale = random.int(in: max(1, size / 16)...max(1, size * 3 / 20))
        var canvas = SynthCanvas(size: size, background: random.pick(SynthColor.backgrounds))
        canvas.drawDigit(digit, x: random.int(in: 0...(size - 3 * scale)), y: random.int(in: 0...(size - 5 * scale)),
                         scale: scale, color: random.pick(SynthColor.allCases).rgb)
        return SynthContent(question: "Which digit is shown?", answer: "\(digit).", media: .image(canvas.image))
    }
}
