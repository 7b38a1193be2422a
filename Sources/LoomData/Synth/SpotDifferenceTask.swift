/// Multi-image: 2–3 shapes on a 3×3 grid, then one changes colour, appears or disappears → "What changed?" →
/// "The red circle turned blue." / "A green square appeared." / "The blue triangle disappeared.".
struct SpotDifferenceTask: SynthTask {
    let name = "spot-difference"

    func draw(_ random: inout SynthRandom, size: Int) -> SynthContent {
        var before = SynthScene(&random)
        before.addDistinct(random.int(in: 2...3), size: size, &random)
        var after = before
        let answer: String
        switch random.below(3) {
        case 0:
            let changed = random.below(before.items.count)
            let old = before.items[changed].object
            let taken = before.items.map(\.object)
            let color = random.pick(SynthColor.allCases.filter { !taken.contains(SynthObject(color: $0, shape: old.shape)) })
            after.items[changed].object.color = color
            answer = "The \(old.name) turned \(color.rawValue)."
        case 1:
            after.addDistinct(1, size: size, &random)
            answer = "A \(after.items[after.items.count - 1].object.name) appeared."
        default:
            answer = "The \(after.items.remove(at: random.below(after.items.count)).object.name) disappeared."
        }
        return SynthContent(question: "What changed?", answer: answer,
                            media: .images([before.canvas(size: size).image, after.canvas(size: size).image], label: "Image"))
    }
}
