/// Multi-frame: a video of 6–8 frames of one ball moving across the image → "Which way does the ball move?" →
/// "left to right." / "right to left." / "top to bottom." / "bottom to top.".
struct MotionTask: SynthTask {
    let name = "motion"
    static let directions = ["left to right", "right to left", "top to bottom", "bottom to top"]

    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent {
        let frameCount = random.int(in: 6...8)
        let direction = random.below(Self.directions.count)
        let color = random.pick(SynthColor.allCases).rgb
        let background = random.pick(SynthColor.backgrounds)
        let ball = max(3, size / 6), margin = 2
        let across = random.int(in: margin...(size - margin - ball))
        let first = margin, last = size - margin - ball
        let frames = (0..<frameCount).map { frame in
            let travelled = first + (last - first) * frame / (frameCount - 1)
            let along = direction % 2 == 0 ? travelled : first + last - travelled
            var canvas = SynthCanvas(size: size, background: background)
            if direction < 2 {
                canvas.draw(.circle, x: along, y: across, size: ball, color: color)
            } else {
                canvas.draw(.circle, x: across, y: along, size: ball, color: color)
            }
            return canvas.image
        }
        return SynthContent(question: "Which way does the ball move?", answer: "\(Self.directions[direction]).", media: .video(frames))
    }
}
