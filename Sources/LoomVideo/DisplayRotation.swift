import CFFmpeg
import Foundation

/// The display matrix's rotation, and turning RGB pixels by it.
enum DisplayRotation {
    /// Clockwise degrees (0, 90, 180, 270) to turn `stream`'s frames for display: the negated
    /// `av_display_rotation_get` angle of its display-matrix side data, rounded to a quarter turn, as ffmpeg's CLI
    /// autorotation reads it. Flips in the matrix are not applied.
    static func clockwiseDegrees(_ stream: UnsafePointer<AVStream>) -> Int {
        var size: Int = 0
        guard let data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size), size >= 36 else {
            return 0
        }
        let counterClockwise = data.withMemoryRebound(to: Int32.self, capacity: 9) { av_display_rotation_get($0) }
        guard counterClockwise.isFinite else { return 0 }
        let quarterTurns = Int((-counterClockwise / 90).rounded())
        return ((quarterTurns % 4) + 4) % 4 * 90
    }

    /// `pixels` (`width × height` RGB) turned `degrees` clockwise, with its new width and height; the same as
    /// `np.rot90(image, k=-degrees // 90)`.
    static func turn(_ pixels: [UInt8], width: Int, height: Int, degrees: Int)
        -> (pixels: [UInt8], width: Int, height: Int) {
        guard degrees != 0 else { return (pixels, width, height) }
        let (outWidth, outHeight) = degrees == 180 ? (width, height) : (height, width)
        var turned = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { source in
            turned.withUnsafeMutableBufferPointer { target in
                for row in 0..<outHeight {
                    for column in 0..<outWidth {
                        let (sourceRow, sourceColumn): (Int, Int)
                        switch degrees {
                        case 90: (sourceRow, sourceColumn) = (height - 1 - column, row)
                        case 180: (sourceRow, sourceColumn) = (height - 1 - row, width - 1 - column)
                        default: (sourceRow, sourceColumn) = (column, width - 1 - row)
                        }
                        let from = (sourceRow * width + sourceColumn) * 3
                        let to = (row * outWidth + column) * 3
                        target[to] = source[from]
                        target[to + 1] = source[from + 1]
                        target[to + 2] = source[from + 2]
                    }
                }
            }
        }
        return (turned, outWidth, outHeight)
    }
}
