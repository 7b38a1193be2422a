/// Multi-view: 4 views of a scene, each with 1–3 objects, the asked-for one in exactly one view → "In which view is
/// the red square?" → "View 2.".
struct WhichViewTask: SynthTask {
    let name = "which-view"
    static let views = 4

    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent {
        let target = random.pick(SynthObject.all)
        let position = random.below(Self.views)
        let background = random.pick(SynthColor.backgrounds)
        let images = (0..<Self.views).map { view in
            var scene = SynthScene(background: background)
            let objects = random.int(in: 1...3)
            if view == position { scene.add(target, size: size, &random) }
            scene.addDistinct(view == position ? objects - 1 : objects, excluding: [target], size: size, &random)
            return scene.canvas(size: size).image
        }
        return SynthContent(question: "In which view is the \(target.name)?", answer: "View \(position + 1).",
                            media: .images(images, label: "View"))
    }
}
