import Foundation
import LoomMedia
import LoomPrompt
import LoomVideo

/// What one media item of a prompt became: how many images and tokens, and for a video which frames were taken.
public struct MediaReport: Sendable, Equatable, Encodable {
    /// `image`, `video` or `views`.
    public let kind: String
    /// The file (or a description of the source).
    public let source: String
    /// Images it entered the prompt as (frames, views, or 1).
    public let images: Int
    /// Tokens those images take.
    public var tokens: Int
    /// For a video: the indices of the chosen frames, their times in seconds, and the frames in the file.
    public let frameIndices: [Int]?
    public let timestamps: [Double]?
    public let totalFrames: Int?

    enum CodingKeys: String, CodingKey {
        case kind, source, images, tokens, frameIndices = "frame_indices", timestamps, totalFrames = "total_frames"
    }
}

extension LoomModel {
    /// `conversation` with every video replaced by its sampled frames (a block of images where the video stood,
    /// each preceded by its time when the request asks for timestamps), and a report per media item in order.
    public func resolveMedia(_ conversation: Conversation) throws -> (Conversation, [MediaReport]) {
        var reports: [MediaReport] = []
        var resolved = conversation
        for m in resolved.messages.indices {
            resolved.messages[m].content = try resolved.messages[m].content.flatMap { part -> [ContentPart] in
                switch part {
                case .text:
                    return [part]
                case .image(let source):
                    reports.append(MediaReport(kind: "image", source: source.label, images: 1, tokens: 0,
                                               frameIndices: nil, timestamps: nil, totalFrames: nil))
                    return [part]
                case .views(let views):
                    reports.append(MediaReport(kind: "views", source: "\(views.count) views", images: views.count, tokens: 0,
                                               frameIndices: nil, timestamps: nil, totalFrames: nil))
                    return [part]
                case .video(let request):
                    let video = try VideoFile(path: request.url.path).sample(request.frameSampling)
                    reports.append(MediaReport(kind: "video", source: request.url.lastPathComponent, images: video.frames.count,
                                               tokens: 0, frameIndices: video.indices, timestamps: video.timestamps,
                                               totalFrames: video.info.frameCount))
                    let frames = video.frames.map { ImageSource.pixels($0) }
                    guard request.showTimestamps else { return [.views(frames)] }
                    return zip(frames, video.timestamps).flatMap { frame, time in
                        [.text(String(format: "[%.2fs] ", time)), .image(frame)]
                    }
                }
            }
        }
        return (resolved, reports)
    }

    /// The rendered prompt for `conversation` (videos decoded into frames) and what each media item became.
    public func preparePrompt(_ conversation: Conversation, template: PromptTemplate? = nil,
                              text: TextTokens = .parsed) throws -> (prompt: RenderedPrompt, media: [MediaReport]) {
        let (resolved, reports) = try resolveMedia(conversation)
        let rendered = try prompt(resolved, template: template, text: text)
        var counts = rendered.imageTokenCounts[...]
        let media = reports.map { report -> MediaReport in
            var filled = report
            filled.tokens = counts.prefix(report.images).reduce(0, +)
            counts = counts.dropFirst(report.images)
            return filled
        }
        return (rendered, media)
    }
}

extension VideoRequest {
    /// The decoder's sampling rule for this request.
    var frameSampling: FrameSampling {
        switch sampling {
        case .uniform: return .uniform(count: frames)
        case .interval: return .interval(count: frames)
        case .fps(let rate): return .fps(rate: rate, maxCount: frames)
        }
    }
}
