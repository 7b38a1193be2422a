import Testing
@testable import LoomVideo

@Suite("Frame sampling reproduces lmms-eval's linspace and the interleave demo's interval")
struct SamplingTests {
    @Test("uniform indices equal numpy's for every total 1…600 and n in 1, 8, 16, 32")
    func uniformMatchesNumpy() {
        let table = VideoFixtures.sampling
        #expect(table.totals == [1, 600])
        for count in table.counts {
            let expected = table.uniform[String(count)] ?? []
            #expect(expected.count == 600)
            for (offset, indices) in expected.enumerated() {
                #expect(FrameSampling.uniformIndices(total: offset + 1, count: count) == indices,
                        "total \(offset + 1), n \(count)")
            }
        }
    }

    @Test("interval indices equal the demo's for every total 1…600 and n in 1, 8, 16, 32")
    func intervalMatchesDemo() {
        let table = VideoFixtures.sampling
        for count in table.counts {
            let expected = table.interval[String(count)] ?? []
            #expect(expected.count == 600)
            for (offset, indices) in expected.enumerated() {
                #expect(FrameSampling.intervalIndices(total: offset + 1, count: count) == indices,
                        "total \(offset + 1), n \(count)")
            }
        }
    }

    @Test("interval sampling can give more frames than asked, as the demo does")
    func intervalOvershoots() {
        #expect(FrameSampling.intervalIndices(total: 100, count: 16) == Array(stride(from: 0, to: 100, by: 6)))
        #expect(FrameSampling.intervalIndices(total: 100, count: 16).count == 17)
        #expect(FrameSampling.intervalIndices(total: 5, count: 16) == [0, 1, 2, 3, 4])
    }

    @Test("uniform sampling truncates numpy's float steps and ends on the last frame")
    func uniformTruncates() {
        #expect(FrameSampling.uniformIndices(total: 10, count: 4) == [0, 3, 6, 9])
        #expect(FrameSampling.uniformIndices(total: 300, count: 16)
            == [0, 19, 39, 59, 79, 99, 119, 139, 159, 179, 199, 219, 239, 259, 279, 299])
        #expect(FrameSampling.uniformIndices(total: 3, count: 16) == [0, 1, 2])
        #expect(FrameSampling.uniformIndices(total: 7, count: 1) == [0])
        #expect(FrameSampling.uniformIndices(total: 0, count: 8) == [])
        #expect(FrameSampling.default == .uniform(count: 16))
    }

    @Test("fps sampling takes the frame nearest each target time, once, ties to the earlier")
    func fpsNearest() {
        let times = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0, 1.6]
        #expect(FrameSampling.fpsIndices(timestamps: times, rate: 2, maxCount: 10) == [0, 3, 5, 6])
        #expect(FrameSampling.fpsIndices(timestamps: times, rate: 8, maxCount: 10) == [0, 1, 2, 3, 4, 5, 6])
        #expect(FrameSampling.fpsIndices(timestamps: [2.0, 2.5, 3.0], rate: 4, maxCount: 10) == [0, 1, 2])
    }

    @Test("fps sampling thins to maxCount with the uniform rule")
    func fpsCapped() {
        let times = (0..<300).map { Double($0) / 30 }
        let every = FrameSampling.fpsIndices(timestamps: times, rate: 2, maxCount: 100)
        #expect(every == Array(stride(from: 0, to: 300, by: 15)))
        let capped = FrameSampling.fpsIndices(timestamps: times, rate: 2, maxCount: 8)
        #expect(capped == FrameSampling.uniformIndices(total: 20, count: 8).map { every[$0] })
        #expect(capped == [0, 30, 75, 120, 150, 195, 240, 285])
    }
}
