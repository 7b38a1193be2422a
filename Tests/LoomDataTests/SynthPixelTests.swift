import Foundation
import LoomMedia
import Testing
@testable import LoomData

/// The answers of `loom data synth` say what its PNG files show: each file decoded and read back (colours at
/// centres, shapes by pixel counts, digits by the font, objects per grid cell, motion by the ball's centre).
@Suite struct SynthPixelTests {
    static let size = SynthOptions().imageSize
    static let seeds: [UInt64] = Array(0..<40)

    static func samples(_ name: String) throws -> [(SynthSample, [RGBImage])] {
        let task = try #require(SynthTasks.named(name))
        return try seeds.map { seed in
            let sample = SynthSample(task: task, seed: 7_000 + seed, options: SynthOptions())
            return (sample, try sample.files.map { try ImageDecoder.decode(data: Data($0.image.pngData())) })
        }
    }

    @Test func color() throws {
        for (sample, images) in try Self.samples("color") {
            let ink = ImageReading(images[0])
            let (x, y) = try #require(ink.centre)
            #expect(ink.image.color(x: x, y: y) == ImageReading.color(named: sample.content.answer), "\(sample.id)")
            #expect(sample.content.question == "What color is the \(try #require(ink.loneShape).rawValue)?", "\(sample.id)")
        }
    }

    @Test func shape() throws {
        for (sample, images) in try Self.samples("shape") {
            #expect(sample.content.answer == "a \(try #require(ImageReading(images[0]).loneShape).rawValue).", "\(sample.id)")
        }
    }

    @Test func digitAndReadDetail() throws {
        for (sample, images) in try Self.samples("digit") {
            #expect(sample.content.answer == "\(try #require(ImageReading(images[0]).digit))." , "\(sample.id)")
        }
        for (sample, images) in try Self.samples("read-detail") {
            let ink = ImageReading(images[0])
            #expect(images[0].width == 2 * Self.size)
            #expect(sample.content.answer == "\(try #require(ink.digit)).", "\(sample.id)")
            let box = try #require(ink.box)
            let corner = (box.minY >= Self.size ? "bottom" : "top") + " " + (box.minX >= Self.size ? "right" : "left")
            #expect(box.maxX < Self.size || box.minX >= Self.size, "inside one quadrant")
            #expect(box.maxY < Self.size || box.minY >= Self.size, "inside one quadrant")
            #expect(sample.content.question == "What digit is in the \(corner) corner?", "\(sample.id)")
        }
    }

    @Test func spotDifference() throws {
        for (sample, images) in try Self.samples("spot-difference") {
            let before = Set(ImageReading(images[0]).objects.values.map(\.name))
            let after = Set(ImageReading(images[1]).objects.values.map(\.name))
            let gone = before.subtracting(after), new = after.subtracting(before)
            let expected: String
            if gone.count == 1 && new.count == 1 {
                expected = "The \(gone.first!) turned \(new.first!.split(separator: " ")[0])."
            } else if new.count == 1 && gone.isEmpty {
                expected = "A \(new.first!) appeared."
            } else {
                expected = "The \(gone.first ?? "?") disappeared."
            }
            #expect((2...3).contains(before.count))
            #expect(sample.content.answer == expected, "\(sample.id)")
        }
    }

    @Test func oddOneOut() throws {
        for (sample, images) in try Self.samples("odd-one-out") {
            let scenes = images.map { ImageReading($0).objects }
            let odd = scenes.indices.filter { index in scenes.indices.filter { scenes[$0] == scenes[index] }.count == 1 }
            #expect(odd.count == 1 && (3...4).contains(images.count))
            #expect(sample.content.answer == "Image \(odd[0] + 1).", "\(sample.id)")
        }
    }

    @Test func whichView() throws {
        for (sample, images) in try Self.samples("which-view") {
            let target = String(sample.content.question.dropFirst("In which view is the ".count).dropLast())
            let holding = images.indices.filter { ImageReading(images[$0]).objects.values.contains { $0.name == target } }
            #expect(holding.count == 1 && images.count == 4)
            #expect(sample.content.answer == "View \(holding[0] + 1).", "\(sample.id)")
        }
    }

    @Test func countFrames() throws {
        for (sample, frames) in try Self.samples("count-frames") {
            let count = frames.filter { ImageReading($0).objects.values.contains { $0.name == "red square" } }.count
            #expect((6...8).contains(frames.count))
            #expect(sample.content.answer == "\(count).", "\(sample.id)")
        }
    }

    @Test func motion() throws {
        for (sample, frames) in try Self.samples("motion") {
            let centres = try frames.map { try #require(ImageReading($0).centre) }
            let dx = centres.last!.x - centres[0].x, dy = centres.last!.y - centres[0].y
            let expected = abs(dx) > abs(dy) ? (dx > 0 ? "left to right." : "right to left.") : (dy > 0 ? "top to bottom." : "bottom to top.")
            #expect(zip(centres, centres.dropFirst()).allSatisfy { ($1.x - $0.x) * dx >= 0 && ($1.y - $0.y) * dy >= 0 }, "steady motion")
            #expect(sample.content.answer == expected, "\(sample.id)")
        }
    }
}
