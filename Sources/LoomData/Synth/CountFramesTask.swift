/// Multi-frame: a video of 6–8 frames with a red square in some of them among other shapes → "In how many frames
/// is there a red square?" → "4.".
struct CountFramesTask: SynthTask {
    let name = "count-frames"
    static let target = SynthObject(color: .red, shape: .square)

    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent {
        let frameCount = random.int(in: 6...8)
        let count = random.int(in: 1...frameCount)
        let present = random.distinct(count, of: Array(0..<frameCount))
        let background = random.pick(SynthColor.backgrounds)
        let frames = (0..<frameCount).map { frame in
            var scene = SynthScene(background: background)
            if present.contains(frame) { scene.add(Self.target, size: size, &random) }
            scene.addDistinct(random.int(in: 0...2), excluding: [Self.target], size: size, &random)
            return scene.canvas(size: size).image
        }
        return SynthContent(question: "In how many frames is there a \(Self.target.name)?", answer: "\(count).", media: .video(frames))
    }
}
