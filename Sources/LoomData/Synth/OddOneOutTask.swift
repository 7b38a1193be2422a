/// Multi-image: 3–4 identical images but one, where one object changed colour or shape or moved → "Which image is
/// different?" → "Image 3.".
struct OddOneOutTask: SynthTask {
    let name = "odd-one-out"

    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent {
        let count = random.int(in: 3...4)
        var scene = SynthScene(&random)
        scene.addDistinct(random.int(in: 1...3), size: size, &random)
        var odd = scene
        let changed = random.below(scene.items.count)
        let old = scene.items[changed].object
        let taken = scene.items.map(\.object)
        let shapes = SynthShape.allCases.filter { !taken.contains(SynthObject(color: old.color, shape: $0)) }
        switch random.below(3) {
        case 1 where !shapes.isEmpty:
            odd.items[changed].object.shape = random.pick(shapes)
        case 2:
            odd.items[changed].cell = random.pick(scene.freeCells)
        default:
            // A colour change (also when every other shape of the object's colour is taken).
            odd.items[changed].object.color = random.pick(SynthColor.allCases.filter { !taken.contains(SynthObject(color: $0, shape: old.shape)) })
        }
        let position = random.below(count)
        let images = (0..<count).map { ($0 == position ? odd : scene).canvas(size: size).image }
        return SynthContent(question: "Which image is different?", answer: "Image \(position + 1).", media: .images(images, label: "Image"))
    }
}
